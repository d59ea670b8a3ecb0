select customer_id
/* a comment that never ends
from staging.customer
