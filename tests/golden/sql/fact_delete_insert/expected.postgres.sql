-- ddl: drop stale stage
DROP TABLE IF EXISTS pg_temp.dla_stage;

-- ddl: stage source with resolved keys
CREATE TEMPORARY TABLE dla_stage AS
SELECT CAST(s.order_id AS BIGINT) AS order_id, CAST(s.line_no AS BIGINT) AS line_no, CAST(s.customer_id AS BIGINT) AS customer_id, CAST(s.product_code AS TEXT) AS product_code,
       CAST(s.quantity AS BIGINT) AS quantity, CAST(s.amount AS NUMERIC(12,2)) AS amount, (CAST(s.sold_at AS TIMESTAMPTZ) AT TIME ZONE 'UTC') AS sold_at, CAST(s.sale_date AS DATE) AS sale_date,
       COALESCE(d1.product_key, -1) AS product_key
FROM staging.sale s
LEFT JOIN presentation.dim_product d1
       ON d1.product_code = s.product_code;

-- check on failure: duplicate grain
SELECT order_id, line_no, COUNT(*) AS dla_rows
FROM (SELECT CAST(s.order_id AS BIGINT) AS order_id, CAST(s.line_no AS BIGINT) AS line_no
FROM staging.sale s
LEFT JOIN presentation.dim_product d1
       ON d1.product_code = s.product_code) dla_x
GROUP BY order_id, line_no
HAVING COUNT(*) > 1
ORDER BY order_id, line_no
LIMIT 5;

-- check on failure: NULL grain
SELECT CAST(s.order_id AS BIGINT) AS order_id, CAST(s.line_no AS BIGINT) AS line_no
FROM staging.sale s
WHERE (s.order_id IS NULL OR s.line_no IS NULL)
LIMIT 5;

-- dml: delete the partitions present in the source
DELETE FROM presentation.fact_sales
WHERE sale_date IN (SELECT x.sale_date FROM dla_stage x)
   OR (sale_date IS NULL AND EXISTS (SELECT 1 FROM dla_stage x WHERE x.sale_date IS NULL));

-- dml: insert rows
INSERT INTO presentation.fact_sales (order_id, line_no, customer_id, product_code, quantity, amount, sold_at, sale_date, product_key, dla_run_id, dla_loaded_at)
SELECT x.order_id, x.line_no, x.customer_id, x.product_code, x.quantity, x.amount, x.sold_at, x.sale_date, x.product_key, 'r1', (now() AT TIME ZONE 'UTC')
FROM dla_stage x;

-- cleanup: drop stage
DROP TABLE IF EXISTS pg_temp.dla_stage;

