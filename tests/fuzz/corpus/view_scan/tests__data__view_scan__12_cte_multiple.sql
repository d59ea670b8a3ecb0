with a as (select * from staging.x),
     b (id, n) as materialized (select id, count(*) from a group by id),
     c as not materialized (select * from b join staging.y on true)
select * from a join c on true join t on true
