-- ddl: add new column
ALTER TABLE presentation.fact_sales ADD COLUMN sale_date TEXT;

-- ddl: drop stale stage (target has rows)
DROP TABLE IF EXISTS temp.dla_stage;

-- ddl: stage source with resolved keys (target has rows)
CREATE TEMP TABLE dla_stage AS
SELECT s.order_id AS order_id, s.line_no AS line_no, (CASE WHEN typeof(s.product_code) IN ('integer', 'real') THEN CAST(s.product_code AS TEXT) ELSE s.product_code END) AS product_code, s.quantity AS quantity,
       s.amount AS amount, (CASE WHEN typeof(s.sold_at) <> 'text' THEN s.sold_at
     WHEN length(s.sold_at) = 19 AND substr(s.sold_at, 11, 1) = ' ' THEN s.sold_at
     WHEN s.sold_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' THEN s.sold_at || ' 00:00:00'
     WHEN NOT s.sold_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]*' THEN s.sold_at
     WHEN substr(s.sold_at, 17) GLOB '*[zZ+-]*' THEN coalesce(rtrim(rtrim(strftime('%Y-%m-%d %H:%M:%f', s.sold_at), '0'), '.'), s.sold_at)
     WHEN length(s.sold_at) = 16 THEN substr(s.sold_at, 1, 10) || ' ' || substr(s.sold_at, 12) || ':00'
     ELSE substr(s.sold_at, 1, 10) || ' ' || substr(s.sold_at, 12, 8) || CASE WHEN substr(s.sold_at, 20, 1) = '.' AND rtrim(substr(s.sold_at, 21, 6), '0') <> '' THEN '.' || rtrim(substr(s.sold_at, 21, 6), '0') ELSE '' END END) AS sold_at, (CASE WHEN typeof(s.sale_date) IN ('integer', 'real') THEN CAST(s.sale_date AS TEXT) ELSE s.sale_date END) AS sale_date, s.customer_id,
       COALESCE(d1.customer_sk, -1) AS customer_sk,
       CASE WHEN dla_t.order_id IS NULL THEN 0 ELSE 1 END AS dla_in_target
FROM staging.sale s
LEFT JOIN (SELECT customer_sk, customer_id, valid_from,
                  LEAD(valid_from) OVER (PARTITION BY customer_id ORDER BY valid_from) AS dla_next
           FROM presentation.dim_customer) d1
       ON d1.customer_id = s.customer_id AND d1.dla_next IS NULL
LEFT JOIN presentation.fact_sales dla_t
       ON dla_t.order_id = s.order_id AND dla_t.line_no = s.line_no;

-- check on failure: duplicate grain
SELECT order_id, line_no, COUNT(*) AS dla_rows
FROM (SELECT s.order_id AS order_id, s.line_no AS line_no
FROM staging.sale s
LEFT JOIN (SELECT customer_sk, customer_id, valid_from,
                  LEAD(valid_from) OVER (PARTITION BY customer_id ORDER BY valid_from) AS dla_next
           FROM presentation.dim_customer) d1
       ON d1.customer_id = s.customer_id AND d1.dla_next IS NULL) dla_x
GROUP BY order_id, line_no
HAVING COUNT(*) > 1
ORDER BY order_id, line_no
LIMIT 5;

-- check: duplicate grain among existing rows (target has rows)
SELECT order_id, line_no, COUNT(*) AS dla_rows
FROM dla_stage
WHERE dla_in_target = 1
GROUP BY order_id, line_no
HAVING COUNT(*) > 1
ORDER BY order_id, line_no
LIMIT 5;

-- check: NULL grain (target has rows)
SELECT order_id, line_no
FROM dla_stage
WHERE order_id IS NULL OR line_no IS NULL
LIMIT 5;

-- dml: insert new rows (target has rows)
INSERT INTO presentation.fact_sales (order_id, line_no, product_code, quantity, amount, sold_at, sale_date, customer_sk, dla_run_id, dla_loaded_at)
SELECT x.order_id, x.line_no, x.product_code, x.quantity, x.amount, x.sold_at, x.sale_date, x.customer_sk, 'r1', strftime('%Y-%m-%d %H:%M:%S','now')
FROM dla_stage x
WHERE x.dla_in_target = 0;

-- check: NULL grain (empty target)
SELECT s.order_id AS order_id, s.line_no AS line_no
FROM staging.sale s
WHERE (s.order_id IS NULL OR s.line_no IS NULL)
LIMIT 5;

-- dml: insert rows (empty target)
INSERT INTO presentation.fact_sales (order_id, line_no, product_code, quantity, amount, sold_at, sale_date, customer_sk, dla_run_id, dla_loaded_at)
SELECT s.order_id AS order_id, s.line_no AS line_no, (CASE WHEN typeof(s.product_code) IN ('integer', 'real') THEN CAST(s.product_code AS TEXT) ELSE s.product_code END) AS product_code, s.quantity AS quantity,
       s.amount AS amount, (CASE WHEN typeof(s.sold_at) <> 'text' THEN s.sold_at
     WHEN length(s.sold_at) = 19 AND substr(s.sold_at, 11, 1) = ' ' THEN s.sold_at
     WHEN s.sold_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' THEN s.sold_at || ' 00:00:00'
     WHEN NOT s.sold_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]*' THEN s.sold_at
     WHEN substr(s.sold_at, 17) GLOB '*[zZ+-]*' THEN coalesce(rtrim(rtrim(strftime('%Y-%m-%d %H:%M:%f', s.sold_at), '0'), '.'), s.sold_at)
     WHEN length(s.sold_at) = 16 THEN substr(s.sold_at, 1, 10) || ' ' || substr(s.sold_at, 12) || ':00'
     ELSE substr(s.sold_at, 1, 10) || ' ' || substr(s.sold_at, 12, 8) || CASE WHEN substr(s.sold_at, 20, 1) = '.' AND rtrim(substr(s.sold_at, 21, 6), '0') <> '' THEN '.' || rtrim(substr(s.sold_at, 21, 6), '0') ELSE '' END END) AS sold_at, (CASE WHEN typeof(s.sale_date) IN ('integer', 'real') THEN CAST(s.sale_date AS TEXT) ELSE s.sale_date END) AS sale_date,
       COALESCE(d1.customer_sk, -1) AS customer_sk,
       'r1', strftime('%Y-%m-%d %H:%M:%S','now')
FROM staging.sale s
LEFT JOIN (SELECT customer_sk, customer_id, valid_from,
                  LEAD(valid_from) OVER (PARTITION BY customer_id ORDER BY valid_from) AS dla_next
           FROM presentation.dim_customer) d1
       ON d1.customer_id = s.customer_id AND d1.dla_next IS NULL;

-- cleanup: drop stage (target has rows)
DROP TABLE IF EXISTS temp.dla_stage;

