select a.x, b.y
from a
  inner join b on a.id = b.id and b.k in (1, 2),
  c
where a.x = (select max(x) from d)
group by a.x, b.y
having count(*) > (select 1 from e)
order by 1
limit 10
