select c.*, o.order_id from staging.customer c join staging.orders o using (customer_id)
