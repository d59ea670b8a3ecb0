-- revenue by the customer's city at the time of sale
select c.city, count(*) as lines, sum(f.amount) as amount
from presentation.fact_sales f
join presentation.dim_customer c on c.customer_sk = f.customer_sk
group by c.city
