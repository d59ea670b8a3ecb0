select 1 as customer_id, 'x' as email
