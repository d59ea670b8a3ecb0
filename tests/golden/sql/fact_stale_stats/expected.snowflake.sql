-- ddl: add new column
ALTER TABLE presentation.fact_sales ADD COLUMN sale_date DATE;

-- ddl: drop stale stage
DROP TABLE IF EXISTS dla_stage;

-- ddl: stage source with resolved keys
CREATE TEMPORARY TABLE dla_stage AS
SELECT CAST(s.order_id AS NUMBER(38,0)) AS order_id, CAST(s.line_no AS NUMBER(38,0)) AS line_no, CAST(s.product_code AS VARCHAR) AS product_code, CAST(s.quantity AS NUMBER(38,0)) AS quantity,
       CAST(s.amount AS NUMBER(12,2)) AS amount, CAST(s.sold_at AS TIMESTAMP_NTZ) AS sold_at, CAST(s.sale_date AS DATE) AS sale_date, s.customer_id,
       COALESCE(d1.customer_sk, -1) AS customer_sk,
       CASE WHEN dla_t.order_id IS NULL THEN 0 ELSE 1 END AS dla_in_target
FROM staging.sale s
LEFT JOIN (SELECT customer_sk, customer_id, valid_from,
                  LEAD(valid_from) OVER (PARTITION BY customer_id ORDER BY valid_from) AS dla_next
           FROM presentation.dim_customer) d1
       ON d1.customer_id = s.customer_id AND d1.dla_next IS NULL
LEFT JOIN presentation.fact_sales dla_t
       ON dla_t.order_id = CAST(s.order_id AS NUMBER(38,0)) AND dla_t.line_no = CAST(s.line_no AS NUMBER(38,0));

-- check: duplicate grain
SELECT order_id, line_no, COUNT(*) AS dla_rows
FROM dla_stage
GROUP BY order_id, line_no
HAVING COUNT(*) > 1
ORDER BY order_id, line_no
LIMIT 5;

-- check: NULL grain
SELECT order_id, line_no
FROM dla_stage
WHERE order_id IS NULL OR line_no IS NULL
LIMIT 5;

-- dml: insert new rows
INSERT INTO presentation.fact_sales (order_id, line_no, product_code, quantity, amount, sold_at, sale_date, customer_sk, dla_run_id, dla_loaded_at)
SELECT x.order_id, x.line_no, x.product_code, x.quantity, x.amount, x.sold_at, x.sale_date, x.customer_sk, 'r1', SYSDATE()
FROM dla_stage x
WHERE x.dla_in_target = 0;

-- cleanup: drop stage
DROP TABLE IF EXISTS dla_stage;

