-- ddl: drop stale stage (target has rows)
DROP TABLE IF EXISTS pg_temp.dla_stage;

-- ddl: stage source (target has rows)
CREATE TEMPORARY TABLE dla_stage AS
SELECT CAST(s.order_id AS BIGINT) AS order_id, CAST(s.line_no AS BIGINT) AS line_no, CAST(s.customer_id AS BIGINT) AS customer_id, CAST(s.product_code AS TEXT) AS product_code,
       CAST(s.quantity AS BIGINT) AS quantity, CAST(s.amount AS NUMERIC(12,2)) AS amount, (CAST(s.sold_at AS TIMESTAMPTZ) AT TIME ZONE 'UTC') AS sold_at, CAST(s.sale_date AS DATE) AS sale_date,
       CASE WHEN dla_t.order_id IS NULL THEN 0 ELSE 1 END AS dla_in_target
FROM staging.sale s
CROSS JOIN (SELECT MAX(order_id) AS v FROM presentation.fact_sales) dla_max
LEFT JOIN presentation.fact_sales dla_t
       ON dla_t.order_id = CAST(s.order_id AS BIGINT) AND dla_t.line_no = CAST(s.line_no AS BIGINT)
WHERE dla_max.v IS NULL OR s.order_id > dla_max.v;

-- check on failure: duplicate grain
SELECT order_id, line_no, COUNT(*) AS dla_rows
FROM (SELECT CAST(s.order_id AS BIGINT) AS order_id, CAST(s.line_no AS BIGINT) AS line_no
FROM staging.sale s
CROSS JOIN (SELECT MAX(order_id) AS v FROM presentation.fact_sales) dla_max
WHERE dla_max.v IS NULL OR s.order_id > dla_max.v) dla_x
GROUP BY order_id, line_no
HAVING COUNT(*) > 1
ORDER BY order_id, line_no
LIMIT 5;

-- check on failure: NULL grain
SELECT CAST(s.order_id AS BIGINT) AS order_id, CAST(s.line_no AS BIGINT) AS line_no
FROM staging.sale s
CROSS JOIN (SELECT MAX(order_id) AS v FROM presentation.fact_sales) dla_max
WHERE (s.order_id IS NULL OR s.line_no IS NULL)
  AND (dla_max.v IS NULL OR s.order_id > dla_max.v)
LIMIT 5;

-- check: duplicate grain among existing rows (target has rows)
SELECT order_id, line_no, COUNT(*) AS dla_rows
FROM dla_stage
WHERE dla_in_target = 1
GROUP BY order_id, line_no
HAVING COUNT(*) > 1
ORDER BY order_id, line_no
LIMIT 5;

-- dml: update changed rows (target has rows)
UPDATE presentation.fact_sales AS t
SET customer_id = x.customer_id, product_code = x.product_code, quantity = x.quantity, amount = x.amount, sold_at = x.sold_at, sale_date = x.sale_date, dla_run_id = 'r1', dla_loaded_at = (now() AT TIME ZONE 'UTC')
FROM dla_stage AS x
WHERE x.dla_in_target = 1 AND t.order_id = x.order_id AND t.line_no = x.line_no
  AND ((t.customer_id IS DISTINCT FROM x.customer_id) OR (t.product_code IS DISTINCT FROM x.product_code) OR (t.quantity IS DISTINCT FROM x.quantity) OR (t.amount IS DISTINCT FROM x.amount) OR (t.sold_at IS DISTINCT FROM x.sold_at) OR (t.sale_date IS DISTINCT FROM x.sale_date));

-- dml: insert new rows (target has rows)
INSERT INTO presentation.fact_sales (order_id, line_no, customer_id, product_code, quantity, amount, sold_at, sale_date, dla_run_id, dla_loaded_at)
SELECT x.order_id, x.line_no, x.customer_id, x.product_code, x.quantity, x.amount, x.sold_at, x.sale_date, 'r1', (now() AT TIME ZONE 'UTC')
FROM dla_stage x
WHERE x.dla_in_target = 0;

-- dml: insert rows (empty target)
INSERT INTO presentation.fact_sales (order_id, line_no, customer_id, product_code, quantity, amount, sold_at, sale_date, dla_run_id, dla_loaded_at)
SELECT CAST(s.order_id AS BIGINT) AS order_id, CAST(s.line_no AS BIGINT) AS line_no, CAST(s.customer_id AS BIGINT) AS customer_id, CAST(s.product_code AS TEXT) AS product_code,
       CAST(s.quantity AS BIGINT) AS quantity, CAST(s.amount AS NUMERIC(12,2)) AS amount, (CAST(s.sold_at AS TIMESTAMPTZ) AT TIME ZONE 'UTC') AS sold_at, CAST(s.sale_date AS DATE) AS sale_date,
       'r1', (now() AT TIME ZONE 'UTC')
FROM staging.sale s;

-- cleanup: drop stage (target has rows)
DROP TABLE IF EXISTS pg_temp.dla_stage;

