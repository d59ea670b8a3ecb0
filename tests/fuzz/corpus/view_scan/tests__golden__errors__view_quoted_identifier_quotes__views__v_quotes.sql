select w.x
  from "weird""name" w
  join `back``tick` b on b.x = w.x
