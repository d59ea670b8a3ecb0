select extract(year from sold_at) as y,
       substring(name from 2 for 3) as s,
       trim(both ' ' from name) as t,
       overlay(name placing 'x' from 2) as o,
       a is distinct from b as d,
       a is not distinct from b as nd,
       nth_value(x, 2) from first over (order by y) as nv,
       extract(epoch from (select max(ts) from staging.clock)) as e
from sales
where a is distinct from b
