with days (d) as (
    select sold_at from staging.sale
    union all
    select cast(starts_at as date) from staging.event
), named as (select d as day_key, d from days)
select n.day_key, n.d as raw_day from named n
