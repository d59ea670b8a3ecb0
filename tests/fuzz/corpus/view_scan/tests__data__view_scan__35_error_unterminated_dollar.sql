select 1,
  $tag$ never closed $tg$
