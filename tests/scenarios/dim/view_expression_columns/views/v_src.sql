-- every column an expression: SQLite gives none of them a declared type
select id + 0 as id,
       color || '' as color,
       length(color) as n,
       case when id > 1 then 'big' else 'small' end as size,
       coalesce(weight * 1, 0) as weight
from staging.src
