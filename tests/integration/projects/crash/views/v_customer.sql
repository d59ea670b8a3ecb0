select customer_id, name, lower(email) as email, city, tier
from staging.customer
