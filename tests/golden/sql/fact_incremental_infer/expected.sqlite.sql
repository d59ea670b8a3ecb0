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
       CASE WHEN s.customer_id IS NULL THEN -1 ELSE d1.customer_sk END AS customer_sk,
       CASE WHEN dla_t.order_id IS NULL THEN 0 ELSE 1 END AS dla_in_target
FROM staging.sale s
CROSS JOIN (SELECT MAX(sold_at) AS v FROM presentation.fact_sales) dla_max
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
LEFT JOIN presentation.fact_sales dla_t
       ON dla_t.order_id = s.order_id AND dla_t.line_no = s.line_no
WHERE dla_max.v IS NULL OR (CASE WHEN typeof(s.sold_at) <> 'text' THEN s.sold_at
     WHEN length(s.sold_at) = 19 AND substr(s.sold_at, 11, 1) = ' ' THEN s.sold_at
     WHEN s.sold_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' THEN s.sold_at || ' 00:00:00'
     WHEN NOT s.sold_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]*' THEN s.sold_at
     WHEN substr(s.sold_at, 17) GLOB '*[zZ+-]*' THEN coalesce(rtrim(rtrim(strftime('%Y-%m-%d %H:%M:%f', s.sold_at), '0'), '.'), s.sold_at)
     WHEN length(s.sold_at) = 16 THEN substr(s.sold_at, 1, 10) || ' ' || substr(s.sold_at, 12) || ':00'
     ELSE substr(s.sold_at, 1, 10) || ' ' || substr(s.sold_at, 12, 8) || CASE WHEN substr(s.sold_at, 20, 1) = '.' AND rtrim(substr(s.sold_at, 21, 6), '0') <> '' THEN '.' || rtrim(substr(s.sold_at, 21, 6), '0') ELSE '' END END) > strftime('%Y-%m-%d %H:%M:%f', (CASE WHEN typeof(dla_max.v) <> 'text' THEN dla_max.v
     WHEN length(dla_max.v) = 19 AND substr(dla_max.v, 11, 1) = ' ' THEN dla_max.v
     WHEN dla_max.v GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' THEN dla_max.v || ' 00:00:00'
     WHEN NOT dla_max.v GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]*' THEN dla_max.v
     WHEN substr(dla_max.v, 17) GLOB '*[zZ+-]*' THEN coalesce(rtrim(rtrim(strftime('%Y-%m-%d %H:%M:%f', dla_max.v), '0'), '.'), dla_max.v)
     WHEN length(dla_max.v) = 16 THEN substr(dla_max.v, 1, 10) || ' ' || substr(dla_max.v, 12) || ':00'
     ELSE substr(dla_max.v, 1, 10) || ' ' || substr(dla_max.v, 12, 8) || CASE WHEN substr(dla_max.v, 20, 1) = '.' AND rtrim(substr(dla_max.v, 21, 6), '0') <> '' THEN '.' || rtrim(substr(dla_max.v, 21, 6), '0') ELSE '' END END), '-259200 seconds');

-- check on failure: duplicate grain
SELECT order_id, line_no, COUNT(*) AS dla_rows
FROM (SELECT s.order_id AS order_id, s.line_no AS line_no
FROM staging.sale s
CROSS JOIN (SELECT MAX(sold_at) AS v FROM presentation.fact_sales) dla_max
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
WHERE dla_max.v IS NULL OR (CASE WHEN typeof(s.sold_at) <> 'text' THEN s.sold_at
     WHEN length(s.sold_at) = 19 AND substr(s.sold_at, 11, 1) = ' ' THEN s.sold_at
     WHEN s.sold_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' THEN s.sold_at || ' 00:00:00'
     WHEN NOT s.sold_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]*' THEN s.sold_at
     WHEN substr(s.sold_at, 17) GLOB '*[zZ+-]*' THEN coalesce(rtrim(rtrim(strftime('%Y-%m-%d %H:%M:%f', s.sold_at), '0'), '.'), s.sold_at)
     WHEN length(s.sold_at) = 16 THEN substr(s.sold_at, 1, 10) || ' ' || substr(s.sold_at, 12) || ':00'
     ELSE substr(s.sold_at, 1, 10) || ' ' || substr(s.sold_at, 12, 8) || CASE WHEN substr(s.sold_at, 20, 1) = '.' AND rtrim(substr(s.sold_at, 21, 6), '0') <> '' THEN '.' || rtrim(substr(s.sold_at, 21, 6), '0') ELSE '' END END) > strftime('%Y-%m-%d %H:%M:%f', (CASE WHEN typeof(dla_max.v) <> 'text' THEN dla_max.v
     WHEN length(dla_max.v) = 19 AND substr(dla_max.v, 11, 1) = ' ' THEN dla_max.v
     WHEN dla_max.v GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' THEN dla_max.v || ' 00:00:00'
     WHEN NOT dla_max.v GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]*' THEN dla_max.v
     WHEN substr(dla_max.v, 17) GLOB '*[zZ+-]*' THEN coalesce(rtrim(rtrim(strftime('%Y-%m-%d %H:%M:%f', dla_max.v), '0'), '.'), dla_max.v)
     WHEN length(dla_max.v) = 16 THEN substr(dla_max.v, 1, 10) || ' ' || substr(dla_max.v, 12) || ':00'
     ELSE substr(dla_max.v, 1, 10) || ' ' || substr(dla_max.v, 12, 8) || CASE WHEN substr(dla_max.v, 20, 1) = '.' AND rtrim(substr(dla_max.v, 21, 6), '0') <> '' THEN '.' || rtrim(substr(dla_max.v, 21, 6), '0') ELSE '' END END), '-259200 seconds')) dla_x
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

-- dml: insert inferred members
INSERT INTO presentation.dim_customer (customer_sk, customer_id, valid_from, valid_to, is_current, is_inferred, dla_run_id, dla_updated_at)
SELECT (SELECT COALESCE(MAX(customer_sk), 0) FROM presentation.dim_customer WHERE customer_sk > 0) + ROW_NUMBER() OVER (ORDER BY m.customer_id),
       m.customer_id, '1900-01-01 00:00:00', '9999-12-31 00:00:00', 1, 1, 'r1', strftime('%Y-%m-%d %H:%M:%S','now')
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
SET customer_id = x.customer_id, product_code = x.product_code, quantity = x.quantity, amount = x.amount, sold_at = x.sold_at, sale_date = x.sale_date, customer_sk = x.customer_sk, dla_run_id = 'r1', dla_loaded_at = strftime('%Y-%m-%d %H:%M:%S','now')
FROM dla_stage AS x
WHERE x.dla_in_target = 1 AND t.order_id = x.order_id AND t.line_no = x.line_no
  AND ((t.customer_id IS NOT x.customer_id) OR (t.product_code IS NOT x.product_code) OR (t.quantity IS NOT x.quantity) OR (t.amount IS NOT x.amount) OR (t.sold_at IS NOT x.sold_at) OR (t.sale_date IS NOT x.sale_date) OR (t.customer_sk IS NOT x.customer_sk));

-- dml: insert new rows
INSERT INTO presentation.fact_sales (order_id, line_no, customer_id, product_code, quantity, amount, sold_at, sale_date, customer_sk, dla_run_id, dla_loaded_at)
SELECT x.order_id, x.line_no, x.customer_id, x.product_code, x.quantity, x.amount, x.sold_at, x.sale_date, x.customer_sk, 'r1', strftime('%Y-%m-%d %H:%M:%S','now')
FROM dla_stage x
WHERE x.dla_in_target = 0;

-- cleanup: drop stage
DROP TABLE IF EXISTS temp.dla_stage;

