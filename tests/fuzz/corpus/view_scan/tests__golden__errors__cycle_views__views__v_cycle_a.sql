select a.customer_id
from v_cycle_b a
