with recent as (
    select * from staging.orders where placed_at > now() - interval '7 days'
)
select * from recent
