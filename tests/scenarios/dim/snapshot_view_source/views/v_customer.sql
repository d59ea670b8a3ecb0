-- the dimension's source is a view: a snapshot load stages it once
select customer_id, lower(email) as email, city, segment
from staging.customer
where city <> 'skip'
