select *
from staging.customer c
join lateral (
    select * from staging.orders o where o.customer_id = c.id limit 1
) last_order on true
cross join lateral generate_series(1, 3) g
left join lateral (select 1 from staging.items i) x on true
