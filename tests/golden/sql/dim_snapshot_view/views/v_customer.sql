select customer_id, full_name, email, city, country, segment, signup_channel
from staging.customer
