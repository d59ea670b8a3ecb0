select * from t
where x in (select y from u)
  and exists (select 1 from v where v.id = t.id)
  and z = any (select z from w)
  and not exists(select 1 from s.x where (select 1 from s.y) = 1)
