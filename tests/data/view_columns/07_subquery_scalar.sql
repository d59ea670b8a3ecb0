select o.id,
       (select max(x.amount) from s.x x where x.id = o.id) as max_amount,
       count(*) as n,
       o.total * 2
from s.orders o
group by o.id, o.total
