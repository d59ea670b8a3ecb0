-- ddl: create target table
CREATE TABLE presentation.fact_sales (
    order_id BIGINT,
    line_no BIGINT,
    customer_id BIGINT,
    product_code TEXT,
    quantity BIGINT,
    amount NUMERIC(12,2),
    sold_at TIMESTAMP,
    sale_date DATE,
    customer_sk BIGINT,
    product_key BIGINT,
    dla_run_id TEXT,
    dla_loaded_at TIMESTAMP,
    PRIMARY KEY (order_id, line_no)
);

-- ddl: drop stale stage
DROP TABLE IF EXISTS pg_temp.dla_stage;

-- ddl: stage source with resolved keys
CREATE TEMPORARY TABLE dla_stage AS
SELECT CAST(s.order_id AS BIGINT) AS order_id, CAST(s.line_no AS BIGINT) AS line_no, CAST(s.customer_id AS BIGINT) AS customer_id, CAST(s.product_code AS TEXT) AS product_code,
       CAST(s.quantity AS BIGINT) AS quantity, CAST(s.amount AS NUMERIC(12,2)) AS amount, (CAST(s.sold_at AS TIMESTAMPTZ) AT TIME ZONE 'UTC') AS sold_at, CAST(s.sale_date AS DATE) AS sale_date,
       COALESCE(d1.customer_sk, -1) AS customer_sk,
       CASE WHEN s.product_code IS NULL THEN -1 ELSE d2.product_key END AS product_key,
       CASE WHEN dla_t.order_id IS NULL THEN 0 ELSE 1 END AS dla_in_target
FROM staging.sale s
LEFT JOIN (SELECT customer_sk, customer_id, valid_from,
                  ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY valid_from) AS dla_rn,
                  LEAD(valid_from) OVER (PARTITION BY customer_id ORDER BY valid_from) AS dla_next
           FROM presentation.dim_customer) d1
       ON d1.customer_id = s.customer_id
      AND (d1.dla_rn = 1 OR d1.valid_from <= s.sold_at OR s.sold_at IS NULL)
      AND (d1.dla_next IS NULL OR s.sold_at < d1.dla_next)
LEFT JOIN presentation.dim_product d2
       ON d2.product_code = s.product_code
LEFT JOIN presentation.fact_sales dla_t
       ON dla_t.order_id = CAST(s.order_id AS BIGINT) AND dla_t.line_no = CAST(s.line_no AS BIGINT);

-- check on failure: duplicate grain
SELECT order_id, line_no, COUNT(*) AS dla_rows
FROM (SELECT CAST(s.order_id AS BIGINT) AS order_id, CAST(s.line_no AS BIGINT) AS line_no
FROM staging.sale s
LEFT JOIN (SELECT customer_sk, customer_id, valid_from,
                  ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY valid_from) AS dla_rn,
                  LEAD(valid_from) OVER (PARTITION BY customer_id ORDER BY valid_from) AS dla_next
           FROM presentation.dim_customer) d1
       ON d1.customer_id = s.customer_id
      AND (d1.dla_rn = 1 OR d1.valid_from <= s.sold_at OR s.sold_at IS NULL)
      AND (d1.dla_next IS NULL OR s.sold_at < d1.dla_next)
LEFT JOIN presentation.dim_product d2
       ON d2.product_code = s.product_code) dla_x
GROUP BY order_id, line_no
HAVING COUNT(*) > 1
ORDER BY order_id, line_no
LIMIT 5;

-- check on failure: NULL grain
SELECT CAST(s.order_id AS BIGINT) AS order_id, CAST(s.line_no AS BIGINT) AS line_no
FROM staging.sale s
WHERE (s.order_id IS NULL OR s.line_no IS NULL)
LIMIT 5;

-- check: duplicate grain among existing rows
SELECT order_id, line_no, COUNT(*) AS dla_rows
FROM dla_stage
WHERE dla_in_target = 1
GROUP BY order_id, line_no
HAVING COUNT(*) > 1
ORDER BY order_id, line_no
LIMIT 5;

-- check: missing dimension members
SELECT DISTINCT product_code
FROM dla_stage
WHERE product_key IS NULL
ORDER BY product_code
LIMIT 5;

-- dml: update changed rows
UPDATE presentation.fact_sales AS t
SET customer_id = x.customer_id, product_code = x.product_code, quantity = x.quantity, amount = x.amount, sold_at = x.sold_at, sale_date = x.sale_date, customer_sk = x.customer_sk, product_key = x.product_key, dla_run_id = 'r1', dla_loaded_at = (now() AT TIME ZONE 'UTC')
FROM dla_stage AS x
WHERE x.dla_in_target = 1 AND t.order_id = x.order_id AND t.line_no = x.line_no
  AND ((t.customer_id IS DISTINCT FROM x.customer_id) OR (t.product_code IS DISTINCT FROM x.product_code) OR (t.quantity IS DISTINCT FROM x.quantity) OR (t.amount IS DISTINCT FROM x.amount) OR (t.sold_at IS DISTINCT FROM x.sold_at) OR (t.sale_date IS DISTINCT FROM x.sale_date) OR (t.customer_sk IS DISTINCT FROM x.customer_sk) OR (t.product_key IS DISTINCT FROM x.product_key));

-- dml: insert new rows
INSERT INTO presentation.fact_sales (order_id, line_no, customer_id, product_code, quantity, amount, sold_at, sale_date, customer_sk, product_key, dla_run_id, dla_loaded_at)
SELECT x.order_id, x.line_no, x.customer_id, x.product_code, x.quantity, x.amount, x.sold_at, x.sale_date, x.customer_sk, x.product_key, 'r1', (now() AT TIME ZONE 'UTC')
FROM dla_stage x
WHERE x.dla_in_target = 0;

-- cleanup: drop stage
DROP TABLE IF EXISTS pg_temp.dla_stage;

