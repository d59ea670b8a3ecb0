SELECT s.sale_id, s.customer_id, s.amount * 2 AS amount_doubled, s.sold_at FROM staging.sale s
