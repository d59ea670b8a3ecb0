SELECT o.order_id, o.line_no, o.customer_id, o.amount, o.sold_at
FROM staging.orders AS o
WHERE o.amount IS NOT NULL
