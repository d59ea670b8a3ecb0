SELECT c.region_name, SUM(f.amount_doubled) AS revenue
FROM presentation.fact_sale f
JOIN presentation.dim_customer c ON c.customer_sk = f.customer_sk
GROUP BY c.region_name
