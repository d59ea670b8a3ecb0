with orders as (
    select * from staging.orders where status <> 'test'
)
select * from orders o join customers c on c.id = o.customer_id
