select id from a
union
select id from b
union all
select id from c
intersect
select id from d
except
select id from e
minus
select id from f
