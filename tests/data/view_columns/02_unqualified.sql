select id, first_name || ' ' || last_name as full_name, cast(amount as decimal(12, 2)) amount,
       amount::numeric(10,2) as amount2, date '2024-01-01' as day, current_timestamp as now
from staging.customer
