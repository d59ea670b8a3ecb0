select e.id,
       case when e.price < 30 then 'budget' else 'premium' end as band,
       case e.kind when 1 then 'a' end kind_name,
       row_number() over (partition by e.venue order by e.starts) as seq,
       extract(year from e.starts) as y,
       e.a is distinct from e.b as changed
from staging.event e
