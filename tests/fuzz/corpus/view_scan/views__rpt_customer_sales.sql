-- dla: tags: [reporting, tableau]
-- rpt_customer_sales: Tableau-facing customer revenue, one row per customer
-- VERSION that bought something.
--
-- fact_ticket_sales.customer_sk is the point-in-time key: the dim_customer
-- version valid when the ticket was sold (lookup as_of sold_at).  Joining on
-- it therefore reports revenue under the city / country / tier the customer
-- had AT THE TIME OF THE SALE: a customer who moved from Lyon to Berlin shows
-- two rows, Lyon revenue before the move and Berlin revenue after it.
-- email is type 1 in dim_customer, so every row shows the current address;
-- loyalty_segment is type 3 (previous_loyalty_segment holds the old value).
SELECT
    c.customer_sk,
    c.customer_id,
    c.full_name,
    c.email,
    c.city AS city_at_sale,
    c.country AS country_at_sale,
    c.tier AS tier_at_sale,
    c.loyalty_segment,
    c.previous_loyalty_segment,
    c.valid_from AS version_valid_from,
    c.valid_to AS version_valid_to,
    COUNT(DISTINCT f.order_id) AS orders,
    SUM(f.quantity) AS tickets_bought,
    SUM(f.net_amount) AS net_amount,
    MIN(f.sale_date) AS first_sale_date,
    MAX(f.sale_date) AS last_sale_date
FROM presentation.fact_ticket_sales f
JOIN presentation.dim_customer c
    ON c.customer_sk = f.customer_sk
GROUP BY
    c.customer_sk,
    c.customer_id,
    c.full_name,
    c.email,
    c.city,
    c.country,
    c.tier,
    c.loyalty_segment,
    c.previous_loyalty_segment,
    c.valid_from,
    c.valid_to
