-- plain, renamed, implicit alias, quoted alias, expression
select c.id, c.name as customer_name, c.city town, c.tier "Tier",
       upper(c.email) as email, 42 as answer, 'x' label
from staging.customer c
