-- ddl: drop stale stage
DROP TABLE IF EXISTS pg_temp.dla_stage;

-- ddl: stage source with resolved keys
CREATE TEMPORARY TABLE dla_stage AS
SELECT CAST(s.order_id AS BIGINT) AS order_id, CAST(s.line_no AS BIGINT) AS line_no, CAST(s.customer_id AS BIGINT) AS customer_id, CAST(s.product_code AS TEXT) AS product_code,
       CAST(s.quantity AS BIGINT) AS quantity, CAST(s.amount AS NUMERIC(12,2)) AS amount, (CAST(s.sold_at AS TIMESTAMPTZ) AT TIME ZONE 'UTC') AS sold_at, CAST(s.sale_date AS DATE) AS sale_date,
       CASE WHEN s.customer_id IS NULL THEN -1 ELSE d1.customer_sk END AS customer_sk,
       CASE WHEN dla_t.order_id IS NULL THEN 0 ELSE 1 END AS dla_in_target
FROM staging.sale s
CROSS JOIN (SELECT MAX(sold_at) AS v FROM presentation.fact_sales) dla_max
LEFT JOIN (SELECT customer_sk, customer_id, valid_from,
                  ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY valid_from) AS dla_rn,
                  LEAD(valid_from) OVER (PARTITION BY customer_id ORDER BY valid_from) AS dla_next
           FROM presentation.dim_customer) d1
       ON d1.customer_id = s.customer_id
      AND (d1.dla_rn = 1 OR d1.valid_from <= s.sold_at OR s.sold_at IS NULL)
      AND (d1.dla_next IS NULL OR s.sold_at < d1.dla_next)
LEFT JOIN presentation.fact_sales dla_t
       ON dla_t.order_id = CAST(s.order_id AS BIGINT) AND dla_t.line_no = CAST(s.line_no AS BIGINT)
WHERE dla_max.v IS NULL OR s.sold_at > (dla_max.v - INTERVAL '259200 seconds');

-- check on failure: duplicate grain
SELECT order_id, line_no, COUNT(*) AS dla_rows
FROM (SELECT CAST(s.order_id AS BIGINT) AS order_id, CAST(s.line_no AS BIGINT) AS line_no
FROM staging.sale s
CROSS JOIN (SELECT MAX(sold_at) AS v FROM presentation.fact_sales) dla_max
LEFT JOIN (SELECT customer_sk, customer_id, valid_from,
                  ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY valid_from) AS dla_rn,
                  LEAD(valid_from) OVER (PARTITION BY customer_id ORDER BY valid_from) AS dla_next
           FROM presentation.dim_customer) d1
       ON d1.customer_id = s.customer_id
      AND (d1.dla_rn = 1 OR d1.valid_from <= s.sold_at OR s.sold_at IS NULL)
      AND (d1.dla_next IS NULL OR s.sold_at < d1.dla_next)
WHERE dla_max.v IS NULL OR s.sold_at > (dla_max.v - INTERVAL '259200 seconds')) dla_x
GROUP BY order_id, line_no
HAVING COUNT(*) > 1
ORDER BY order_id, line_no
LIMIT 5;

-- check on failure: NULL grain
SELECT CAST(s.order_id AS BIGINT) AS order_id, CAST(s.line_no AS BIGINT) AS line_no
FROM staging.sale s
CROSS JOIN (SELECT MAX(sold_at) AS v FROM presentation.fact_sales) dla_max
WHERE (s.order_id IS NULL OR s.line_no IS NULL)
  AND (dla_max.v IS NULL OR s.sold_at > (dla_max.v - INTERVAL '259200 seconds'))
LIMIT 5;

-- check: duplicate grain among existing rows
SELECT order_id, line_no, COUNT(*) AS dla_rows
FROM dla_stage
WHERE dla_in_target = 1
GROUP BY order_id, line_no
HAVING COUNT(*) > 1
ORDER BY order_id, line_no
LIMIT 5;

-- dml: lock dimension for inferred members
LOCK TABLE presentation.dim_customer IN SHARE ROW EXCLUSIVE MODE;

-- dml: insert inferred members
INSERT INTO presentation.dim_customer (customer_sk, customer_id, valid_from, valid_to, is_current, is_inferred, dla_run_id, dla_updated_at)
SELECT (SELECT COALESCE(MAX(customer_sk), 0) FROM presentation.dim_customer WHERE customer_sk > 0) + ROW_NUMBER() OVER (ORDER BY m.customer_id),
       m.customer_id, TIMESTAMP '1900-01-01 00:00:00', TIMESTAMP '9999-12-31 00:00:00', TRUE, TRUE, 'r1', (now() AT TIME ZONE 'UTC')
FROM (SELECT DISTINCT s.customer_id AS customer_id
      FROM dla_stage s
      WHERE s.customer_sk IS NULL
        AND NOT EXISTS (SELECT 1 FROM presentation.dim_customer d1 WHERE d1.customer_id = s.customer_id)) m;

-- dml: use inferred members
UPDATE dla_stage AS s
SET customer_sk = d1.customer_sk
FROM presentation.dim_customer AS d1
WHERE s.customer_sk IS NULL AND d1.customer_id = s.customer_id;

-- dml: update changed rows
UPDATE presentation.fact_sales AS t
SET customer_id = x.customer_id, product_code = x.product_code, quantity = x.quantity, amount = x.amount, sold_at = x.sold_at, sale_date = x.sale_date, customer_sk = x.customer_sk, dla_run_id = 'r1', dla_loaded_at = (now() AT TIME ZONE 'UTC')
FROM dla_stage AS x
WHERE x.dla_in_target = 1 AND t.order_id = x.order_id AND t.line_no = x.line_no
  AND ((t.customer_id IS DISTINCT FROM x.customer_id) OR (t.product_code IS DISTINCT FROM x.product_code) OR (t.quantity IS DISTINCT FROM x.quantity) OR (t.amount IS DISTINCT FROM x.amount) OR (t.sold_at IS DISTINCT FROM x.sold_at) OR (t.sale_date IS DISTINCT FROM x.sale_date) OR (t.customer_sk IS DISTINCT FROM x.customer_sk));

-- dml: insert new rows
INSERT INTO presentation.fact_sales (order_id, line_no, customer_id, product_code, quantity, amount, sold_at, sale_date, customer_sk, dla_run_id, dla_loaded_at)
SELECT x.order_id, x.line_no, x.customer_id, x.product_code, x.quantity, x.amount, x.sold_at, x.sale_date, x.customer_sk, 'r1', (now() AT TIME ZONE 'UTC')
FROM dla_stage x
WHERE x.dla_in_target = 0;

-- cleanup: drop stage
DROP TABLE IF EXISTS pg_temp.dla_stage;

