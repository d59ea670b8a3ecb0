-- one row per customer: the latest name, email and city seen in orders
SELECT DISTINCT customer_id, customer_name, email, city
FROM staging.orders
