select c.customer_id -- café
from v_customer c
