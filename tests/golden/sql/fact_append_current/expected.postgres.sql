-- ddl: add new column
ALTER TABLE presentation.fact_sales ADD COLUMN sale_date DATE;

-- ddl: drop stale stage (target has rows)
DROP TABLE IF EXISTS pg_temp.dla_stage;

-- ddl: stage source with resolved keys (target has rows)
CREATE TEMPORARY TABLE dla_stage AS
SELECT CAST(s.order_id AS BIGINT) AS order_id, CAST(s.line_no AS BIGINT) AS line_no, CAST(s.product_code AS TEXT) AS product_code, CAST(s.quantity AS BIGINT) AS quantity,
       CAST(s.amount AS NUMERIC(12,2)) AS amount, (CAST(s.sold_at AS TIMESTAMPTZ) AT TIME ZONE 'UTC') AS sold_at, CAST(s.sale_date AS DATE) AS sale_date, s.customer_id,
       COALESCE(d1.customer_sk, -1) AS customer_sk,
       CASE WHEN dla_t.order_id IS NULL THEN 0 ELSE 1 END AS dla_in_target
FROM staging.sale s
LEFT JOIN (SELECT customer_sk, customer_id, valid_from,
                  LEAD(valid_from) OVER (PARTITION BY customer_id ORDER BY valid_from) AS dla_next
           FROM presentation.dim_customer) d1
       ON d1.customer_id = s.customer_id AND d1.dla_next IS NULL
LEFT JOIN presentation.fact_sales dla_t
       ON dla_t.order_id = CAST(s.order_id AS BIGINT) AND dla_t.line_no = CAST(s.line_no AS BIGINT);

-- check on failure: duplicate grain
SELECT order_id, line_no, COUNT(*) AS dla_rows
FROM (SELECT CAST(s.order_id AS BIGINT) AS order_id, CAST(s.line_no AS BIGINT) AS line_no
FROM staging.sale s
LEFT JOIN (SELECT customer_sk, customer_id, valid_from,
                  LEAD(valid_from) OVER (PARTITION BY customer_id ORDER BY valid_from) AS dla_next
           FROM presentation.dim_customer) d1
       ON d1.customer_id = s.customer_id AND d1.dla_next IS NULL) dla_x
GROUP BY order_id, line_no
HAVING COUNT(*) > 1
ORDER BY order_id, line_no
LIMIT 5;

-- check on failure: NULL grain
SELECT CAST(s.order_id AS BIGINT) AS order_id, CAST(s.line_no AS BIGINT) AS line_no
FROM staging.sale s
WHERE (s.order_id IS NULL OR s.line_no IS NULL)
LIMIT 5;

-- check: duplicate grain among existing rows (target has rows)
SELECT order_id, line_no, COUNT(*) AS dla_rows
FROM dla_stage
WHERE dla_in_target = 1
GROUP BY order_id, line_no
HAVING COUNT(*) > 1
ORDER BY order_id, line_no
LIMIT 5;

-- dml: insert new rows (target has rows)
INSERT INTO presentation.fact_sales (order_id, line_no, product_code, quantity, amount, sold_at, sale_date, customer_sk, dla_run_id, dla_loaded_at)
SELECT x.order_id, x.line_no, x.product_code, x.quantity, x.amount, x.sold_at, x.sale_date, x.customer_sk, 'r1', (now() AT TIME ZONE 'UTC')
FROM dla_stage x
WHERE x.dla_in_target = 0;

-- dml: insert rows (empty target)
INSERT INTO presentation.fact_sales (order_id, line_no, product_code, quantity, amount, sold_at, sale_date, customer_sk, dla_run_id, dla_loaded_at)
SELECT CAST(s.order_id AS BIGINT) AS order_id, CAST(s.line_no AS BIGINT) AS line_no, CAST(s.product_code AS TEXT) AS product_code, CAST(s.quantity AS BIGINT) AS quantity,
       CAST(s.amount AS NUMERIC(12,2)) AS amount, (CAST(s.sold_at AS TIMESTAMPTZ) AT TIME ZONE 'UTC') AS sold_at, CAST(s.sale_date AS DATE) AS sale_date,
       COALESCE(d1.customer_sk, -1) AS customer_sk,
       'r1', (now() AT TIME ZONE 'UTC')
FROM staging.sale s
LEFT JOIN (SELECT customer_sk, customer_id, valid_from,
                  LEAD(valid_from) OVER (PARTITION BY customer_id ORDER BY valid_from) AS dla_next
           FROM presentation.dim_customer) d1
       ON d1.customer_id = s.customer_id AND d1.dla_next IS NULL;

-- cleanup: drop stage (target has rows)
DROP TABLE IF EXISTS pg_temp.dla_stage;

