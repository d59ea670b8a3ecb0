select c.customer_id
from v_customer c
where c.email like '%@example.com
