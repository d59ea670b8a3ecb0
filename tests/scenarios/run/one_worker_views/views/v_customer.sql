-- executed by the second run (selected)
select customer_id, upper(city) as city
from staging.customer
