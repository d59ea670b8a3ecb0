-- ddl: create target table
CREATE TABLE presentation.fact_sales (
    order_id INTEGER,
    line_no INTEGER,
    customer_id INTEGER,
    product_code TEXT,
    quantity INTEGER,
    amount NUMERIC(12,2),
    sold_at TEXT,
    sale_date TEXT,
    customer_sk INTEGER,
    product_key INTEGER,
    dla_run_id TEXT,
    dla_loaded_at TEXT,
    PRIMARY KEY (order_id, line_no)
);

-- ddl: drop stale stage
DROP TABLE IF EXISTS temp.dla_stage;

-- ddl: stage source with resolved keys
CREATE TEMP TABLE dla_stage AS
SELECT s.order_id AS order_id, s.line_no AS line_no, s.customer_id AS customer_id, (CASE WHEN typeof(s.product_code) IN ('integer', 'real') THEN CAST(s.product_code AS TEXT) ELSE s.product_code END) AS product_code,
       s.quantity AS quantity, s.amount AS amount, (CASE WHEN typeof(s.sold_at) <> 'text' THEN s.sold_at
     WHEN length(s.sold_at) = 19 AND substr(s.sold_at, 11, 1) = ' ' THEN s.sold_at
     WHEN s.sold_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' THEN s.sold_at || ' 00:00:00'
     WHEN NOT s.sold_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]*' THEN s.sold_at
     WHEN substr(s.sold_at, 17) GLOB '*[zZ+-]*' THEN coalesce(rtrim(rtrim(strftime('%Y-%m-%d %H:%M:%f', s.sold_at), '0'), '.'), s.sold_at)
     WHEN length(s.sold_at) = 16 THEN substr(s.sold_at, 1, 10) || ' ' || substr(s.sold_at, 12) || ':00'
     ELSE substr(s.sold_at, 1, 10) || ' ' || substr(s.sold_at, 12, 8) || CASE WHEN substr(s.sold_at, 20, 1) = '.' AND rtrim(substr(s.sold_at, 21, 6), '0') <> '' THEN '.' || rtrim(substr(s.sold_at, 21, 6), '0') ELSE '' END END) AS sold_at, (CASE WHEN typeof(s.sale_date) IN ('integer', 'real') THEN CAST(s.sale_date AS TEXT) ELSE s.sale_date END) AS sale_date,
       COALESCE(d1.customer_sk, -1) AS customer_sk,
       CASE WHEN s.product_code IS NULL THEN -1 ELSE d2.product_key END AS product_key,
       CASE WHEN dla_t.order_id IS NULL THEN 0 ELSE 1 END AS dla_in_target
FROM staging.sale s
LEFT JOIN (SELECT customer_sk, customer_id, valid_from,
                  ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY valid_from) AS dla_rn,
                  LEAD(valid_from) OVER (PARTITION BY customer_id ORDER BY valid_from) AS dla_next
           FROM presentation.dim_customer) d1
       ON d1.customer_id = s.customer_id
      AND (d1.dla_rn = 1 OR d1.valid_from <= (CASE WHEN typeof(s.sold_at) <> 'text' THEN s.sold_at
     WHEN length(s.sold_at) = 19 AND substr(s.sold_at, 11, 1) = ' ' THEN s.sold_at
     WHEN s.sold_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' THEN s.sold_at || ' 00:00:00'
     WHEN NOT s.sold_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]*' THEN s.sold_at
     WHEN substr(s.sold_at, 17) GLOB '*[zZ+-]*' THEN coalesce(rtrim(rtrim(strftime('%Y-%m-%d %H:%M:%f', s.sold_at), '0'), '.'), s.sold_at)
     WHEN length(s.sold_at) = 16 THEN substr(s.sold_at, 1, 10) || ' ' || substr(s.sold_at, 12) || ':00'
     ELSE substr(s.sold_at, 1, 10) || ' ' || substr(s.sold_at, 12, 8) || CASE WHEN substr(s.sold_at, 20, 1) = '.' AND rtrim(substr(s.sold_at, 21, 6), '0') <> '' THEN '.' || rtrim(substr(s.sold_at, 21, 6), '0') ELSE '' END END) OR (CASE WHEN typeof(s.sold_at) <> 'text' THEN s.sold_at
     WHEN length(s.sold_at) = 19 AND substr(s.sold_at, 11, 1) = ' ' THEN s.sold_at
     WHEN s.sold_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' THEN s.sold_at || ' 00:00:00'
     WHEN NOT s.sold_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]*' THEN s.sold_at
     WHEN substr(s.sold_at, 17) GLOB '*[zZ+-]*' THEN coalesce(rtrim(rtrim(strftime('%Y-%m-%d %H:%M:%f', s.sold_at), '0'), '.'), s.sold_at)
     WHEN length(s.sold_at) = 16 THEN substr(s.sold_at, 1, 10) || ' ' || substr(s.sold_at, 12) || ':00'
     ELSE substr(s.sold_at, 1, 10) || ' ' || substr(s.sold_at, 12, 8) || CASE WHEN substr(s.sold_at, 20, 1) = '.' AND rtrim(substr(s.sold_at, 21, 6), '0') <> '' THEN '.' || rtrim(substr(s.sold_at, 21, 6), '0') ELSE '' END END) IS NULL)
      AND (d1.dla_next IS NULL OR (CASE WHEN typeof(s.sold_at) <> 'text' THEN s.sold_at
     WHEN length(s.sold_at) = 19 AND substr(s.sold_at, 11, 1) = ' ' THEN s.sold_at
     WHEN s.sold_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' THEN s.sold_at || ' 00:00:00'
     WHEN NOT s.sold_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]*' THEN s.sold_at
     WHEN substr(s.sold_at, 17) GLOB '*[zZ+-]*' THEN coalesce(rtrim(rtrim(strftime('%Y-%m-%d %H:%M:%f', s.sold_at), '0'), '.'), s.sold_at)
     WHEN length(s.sold_at) = 16 THEN substr(s.sold_at, 1, 10) || ' ' || substr(s.sold_at, 12) || ':00'
     ELSE substr(s.sold_at, 1, 10) || ' ' || substr(s.sold_at, 12, 8) || CASE WHEN substr(s.sold_at, 20, 1) = '.' AND rtrim(substr(s.sold_at, 21, 6), '0') <> '' THEN '.' || rtrim(substr(s.sold_at, 21, 6), '0') ELSE '' END END) < d1.dla_next)
LEFT JOIN presentation.dim_product d2
       ON d2.product_code = s.product_code
LEFT JOIN presentation.fact_sales dla_t
       ON dla_t.order_id = s.order_id AND dla_t.line_no = s.line_no;

-- check on failure: duplicate grain
SELECT order_id, line_no, COUNT(*) AS dla_rows
FROM (SELECT s.order_id AS order_id, s.line_no AS line_no
FROM staging.sale s
LEFT JOIN (SELECT customer_sk, customer_id, valid_from,
                  ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY valid_from) AS dla_rn,
                  LEAD(valid_from) OVER (PARTITION BY customer_id ORDER BY valid_from) AS dla_next
           FROM presentation.dim_customer) d1
       ON d1.customer_id = s.customer_id
      AND (d1.dla_rn = 1 OR d1.valid_from <= (CASE WHEN typeof(s.sold_at) <> 'text' THEN s.sold_at
     WHEN length(s.sold_at) = 19 AND substr(s.sold_at, 11, 1) = ' ' THEN s.sold_at
     WHEN s.sold_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' THEN s.sold_at || ' 00:00:00'
     WHEN NOT s.sold_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]*' THEN s.sold_at
     WHEN substr(s.sold_at, 17) GLOB '*[zZ+-]*' THEN coalesce(rtrim(rtrim(strftime('%Y-%m-%d %H:%M:%f', s.sold_at), '0'), '.'), s.sold_at)
     WHEN length(s.sold_at) = 16 THEN substr(s.sold_at, 1, 10) || ' ' || substr(s.sold_at, 12) || ':00'
     ELSE substr(s.sold_at, 1, 10) || ' ' || substr(s.sold_at, 12, 8) || CASE WHEN substr(s.sold_at, 20, 1) = '.' AND rtrim(substr(s.sold_at, 21, 6), '0') <> '' THEN '.' || rtrim(substr(s.sold_at, 21, 6), '0') ELSE '' END END) OR (CASE WHEN typeof(s.sold_at) <> 'text' THEN s.sold_at
     WHEN length(s.sold_at) = 19 AND substr(s.sold_at, 11, 1) = ' ' THEN s.sold_at
     WHEN s.sold_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' THEN s.sold_at || ' 00:00:00'
     WHEN NOT s.sold_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]*' THEN s.sold_at
     WHEN substr(s.sold_at, 17) GLOB '*[zZ+-]*' THEN coalesce(rtrim(rtrim(strftime('%Y-%m-%d %H:%M:%f', s.sold_at), '0'), '.'), s.sold_at)
     WHEN length(s.sold_at) = 16 THEN substr(s.sold_at, 1, 10) || ' ' || substr(s.sold_at, 12) || ':00'
     ELSE substr(s.sold_at, 1, 10) || ' ' || substr(s.sold_at, 12, 8) || CASE WHEN substr(s.sold_at, 20, 1) = '.' AND rtrim(substr(s.sold_at, 21, 6), '0') <> '' THEN '.' || rtrim(substr(s.sold_at, 21, 6), '0') ELSE '' END END) IS NULL)
      AND (d1.dla_next IS NULL OR (CASE WHEN typeof(s.sold_at) <> 'text' THEN s.sold_at
     WHEN length(s.sold_at) = 19 AND substr(s.sold_at, 11, 1) = ' ' THEN s.sold_at
     WHEN s.sold_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' THEN s.sold_at || ' 00:00:00'
     WHEN NOT s.sold_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]*' THEN s.sold_at
     WHEN substr(s.sold_at, 17) GLOB '*[zZ+-]*' THEN coalesce(rtrim(rtrim(strftime('%Y-%m-%d %H:%M:%f', s.sold_at), '0'), '.'), s.sold_at)
     WHEN length(s.sold_at) = 16 THEN substr(s.sold_at, 1, 10) || ' ' || substr(s.sold_at, 12) || ':00'
     ELSE substr(s.sold_at, 1, 10) || ' ' || substr(s.sold_at, 12, 8) || CASE WHEN substr(s.sold_at, 20, 1) = '.' AND rtrim(substr(s.sold_at, 21, 6), '0') <> '' THEN '.' || rtrim(substr(s.sold_at, 21, 6), '0') ELSE '' END END) < d1.dla_next)
LEFT JOIN presentation.dim_product d2
       ON d2.product_code = s.product_code) dla_x
GROUP BY order_id, line_no
HAVING COUNT(*) > 1
ORDER BY order_id, line_no
LIMIT 5;

-- check: duplicate grain among existing rows
SELECT order_id, line_no, COUNT(*) AS dla_rows
FROM dla_stage
WHERE dla_in_target = 1
GROUP BY order_id, line_no
HAVING COUNT(*) > 1
ORDER BY order_id, line_no
LIMIT 5;

-- check: NULL grain
SELECT order_id, line_no
FROM dla_stage
WHERE order_id IS NULL OR line_no IS NULL
LIMIT 5;

-- check: missing dimension members
SELECT DISTINCT product_code
FROM dla_stage
WHERE product_key IS NULL
ORDER BY product_code
LIMIT 5;

-- dml: update changed rows
UPDATE presentation.fact_sales AS t
SET customer_id = x.customer_id, product_code = x.product_code, quantity = x.quantity, amount = x.amount, sold_at = x.sold_at, sale_date = x.sale_date, customer_sk = x.customer_sk, product_key = x.product_key, dla_run_id = 'r1', dla_loaded_at = strftime('%Y-%m-%d %H:%M:%S','now')
FROM dla_stage AS x
WHERE x.dla_in_target = 1 AND t.order_id = x.order_id AND t.line_no = x.line_no
  AND ((t.customer_id IS NOT x.customer_id) OR (t.product_code IS NOT x.product_code) OR (t.quantity IS NOT x.quantity) OR (t.amount IS NOT x.amount) OR (t.sold_at IS NOT x.sold_at) OR (t.sale_date IS NOT x.sale_date) OR (t.customer_sk IS NOT x.customer_sk) OR (t.product_key IS NOT x.product_key));

-- dml: insert new rows
INSERT INTO presentation.fact_sales (order_id, line_no, customer_id, product_code, quantity, amount, sold_at, sale_date, customer_sk, product_key, dla_run_id, dla_loaded_at)
SELECT x.order_id, x.line_no, x.customer_id, x.product_code, x.quantity, x.amount, x.sold_at, x.sale_date, x.customer_sk, x.product_key, 'r1', strftime('%Y-%m-%d %H:%M:%S','now')
FROM dla_stage x
WHERE x.dla_in_target = 0;

-- cleanup: drop stage
DROP TABLE IF EXISTS temp.dla_stage;

