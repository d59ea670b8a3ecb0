-- ddl: add new column
ALTER TABLE presentation.fact_sales ADD COLUMN customer_sk BIGINT;

-- ddl: drop stale stage (target has rows)
DROP TABLE IF EXISTS pg_temp.dla_stage;

-- ddl: stage source with resolved keys (target has rows)
CREATE TEMPORARY TABLE dla_stage AS
SELECT CAST(s.order_id AS BIGINT) AS order_id, CAST(s.product_code AS TEXT) AS product_code, CAST(s.amount AS NUMERIC(12,2)) AS amount, s.customer_id,
       COALESCE(d1.customer_sk, -1) AS customer_sk,
       COALESCE(d2.product_key, -1) AS product_key,
       CASE WHEN dla_t.order_id IS NULL THEN 0 ELSE 1 END AS dla_in_target
FROM staging.sale s
LEFT JOIN presentation.dim_customer d1
       ON d1.customer_id = s.customer_id
LEFT JOIN presentation.dim_product d2
       ON d2.product_code = s.product_code
LEFT JOIN presentation.fact_sales dla_t
       ON dla_t.order_id = CAST(s.order_id AS BIGINT);

-- check on failure: duplicate grain
SELECT order_id, COUNT(*) AS dla_rows
FROM (SELECT CAST(s.order_id AS BIGINT) AS order_id
FROM staging.sale s
LEFT JOIN presentation.dim_customer d1
       ON d1.customer_id = s.customer_id
LEFT JOIN presentation.dim_product d2
       ON d2.product_code = s.product_code) dla_x
GROUP BY order_id
HAVING COUNT(*) > 1
ORDER BY order_id
LIMIT 5;

-- check on failure: NULL grain
SELECT CAST(s.order_id AS BIGINT) AS order_id
FROM staging.sale s
WHERE (s.order_id IS NULL)
LIMIT 5;

-- check: duplicate grain among existing rows (target has rows)
SELECT order_id, COUNT(*) AS dla_rows
FROM dla_stage
WHERE dla_in_target = 1
GROUP BY order_id
HAVING COUNT(*) > 1
ORDER BY order_id
LIMIT 5;

-- check: new lookup whose columns are not stored (target has rows)
SELECT dla_n AS dla_rows
FROM (SELECT COUNT(*) AS dla_n FROM presentation.fact_sales) dla_c
WHERE dla_n > 0;

-- dml: fill new lookup keys of existing rows (target has rows)
UPDATE presentation.fact_sales AS t
SET product_key = f.product_key, dla_run_id = 'r1', dla_loaded_at = (now() AT TIME ZONE 'UTC')
FROM (SELECT s.order_id,
       COALESCE(d2.product_key, -1) AS product_key
FROM presentation.fact_sales s
LEFT JOIN presentation.dim_product d2
       ON d2.product_code = s.product_code
WHERE s.product_key IS NULL) f
WHERE t.order_id = f.order_id;

-- dml: update changed rows (target has rows)
UPDATE presentation.fact_sales AS t
SET product_code = x.product_code, amount = x.amount, customer_sk = x.customer_sk, product_key = x.product_key, dla_run_id = 'r1', dla_loaded_at = (now() AT TIME ZONE 'UTC')
FROM dla_stage AS x
WHERE x.dla_in_target = 1 AND t.order_id = x.order_id
  AND ((t.product_code IS DISTINCT FROM x.product_code) OR (t.amount IS DISTINCT FROM x.amount) OR (t.customer_sk IS DISTINCT FROM x.customer_sk) OR (t.product_key IS DISTINCT FROM x.product_key));

-- dml: insert new rows (target has rows)
INSERT INTO presentation.fact_sales (order_id, product_code, amount, customer_sk, product_key, dla_run_id, dla_loaded_at)
SELECT x.order_id, x.product_code, x.amount, x.customer_sk, x.product_key, 'r1', (now() AT TIME ZONE 'UTC')
FROM dla_stage x
WHERE x.dla_in_target = 0;

-- dml: insert rows (empty target)
INSERT INTO presentation.fact_sales (order_id, product_code, amount, customer_sk, product_key, dla_run_id, dla_loaded_at)
SELECT CAST(s.order_id AS BIGINT) AS order_id, CAST(s.product_code AS TEXT) AS product_code, CAST(s.amount AS NUMERIC(12,2)) AS amount,
       COALESCE(d1.customer_sk, -1) AS customer_sk,
       COALESCE(d2.product_key, -1) AS product_key,
       'r1', (now() AT TIME ZONE 'UTC')
FROM staging.sale s
LEFT JOIN presentation.dim_customer d1
       ON d1.customer_id = s.customer_id
LEFT JOIN presentation.dim_product d2
       ON d2.product_code = s.product_code;

-- cleanup: drop stage (target has rows)
DROP TABLE IF EXISTS pg_temp.dla_stage;

