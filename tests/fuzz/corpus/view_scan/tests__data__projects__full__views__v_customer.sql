-- dla: tags: [daily, finance]
-- the customer view
SELECT customer_id, email FROM staging.customer
