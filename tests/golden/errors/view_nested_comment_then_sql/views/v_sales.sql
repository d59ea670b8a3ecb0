select 1 as order_id, 1 as line_no, 1 as customer_id
