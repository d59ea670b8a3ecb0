select s.order_id, s.line_no, s.customer_id, s.product_id, s.sold_at,
       s.qty, s.qty * p.price as amount
from staging.sale s
left join staging.product p on p.product_id = s.product_id
