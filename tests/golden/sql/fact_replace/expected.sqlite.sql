-- check on failure: duplicate grain
SELECT order_id, line_no, COUNT(*) AS dla_rows
FROM (SELECT s.order_id AS order_id, s.line_no AS line_no
FROM staging.sale s) dla_x
GROUP BY order_id, line_no
HAVING COUNT(*) > 1
ORDER BY order_id, line_no
LIMIT 5;

-- check: NULL grain
SELECT s.order_id AS order_id, s.line_no AS line_no
FROM staging.sale s
WHERE (s.order_id IS NULL OR s.line_no IS NULL)
LIMIT 5;

-- dml: delete all rows
DELETE FROM presentation.fact_sales;

-- dml: insert rows
INSERT INTO presentation.fact_sales (order_id, line_no, customer_id, product_code, quantity, amount, sold_at, sale_date, dla_run_id, dla_loaded_at)
SELECT s.order_id AS order_id, s.line_no AS line_no, s.customer_id AS customer_id, (CASE WHEN typeof(s.product_code) IN ('integer', 'real') THEN CAST(s.product_code AS TEXT) ELSE s.product_code END) AS product_code,
       s.quantity AS quantity, s.amount AS amount, (CASE WHEN typeof(s.sold_at) <> 'text' THEN s.sold_at
     WHEN length(s.sold_at) = 19 AND substr(s.sold_at, 11, 1) = ' ' THEN s.sold_at
     WHEN s.sold_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' THEN s.sold_at || ' 00:00:00'
     WHEN NOT s.sold_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]*' THEN s.sold_at
     WHEN substr(s.sold_at, 17) GLOB '*[zZ+-]*' THEN coalesce(rtrim(rtrim(strftime('%Y-%m-%d %H:%M:%f', s.sold_at), '0'), '.'), s.sold_at)
     WHEN length(s.sold_at) = 16 THEN substr(s.sold_at, 1, 10) || ' ' || substr(s.sold_at, 12) || ':00'
     ELSE substr(s.sold_at, 1, 10) || ' ' || substr(s.sold_at, 12, 8) || CASE WHEN substr(s.sold_at, 20, 1) = '.' AND rtrim(substr(s.sold_at, 21, 6), '0') <> '' THEN '.' || rtrim(substr(s.sold_at, 21, 6), '0') ELSE '' END END) AS sold_at, (CASE WHEN typeof(s.sale_date) IN ('integer', 'real') THEN CAST(s.sale_date AS TEXT) ELSE s.sale_date END) AS sale_date,
       'r1', strftime('%Y-%m-%d %H:%M:%S','now')
FROM staging.sale s;

