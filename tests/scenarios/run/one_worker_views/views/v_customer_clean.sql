-- not selected by the second run, read by the dimension it runs
select customer_id, city
from v_customer
where city <> 'SKIP'
