-- the customer as the business sees it
select customer_id,
       name,
       lower(email) as email,
       city
from staging.customer
