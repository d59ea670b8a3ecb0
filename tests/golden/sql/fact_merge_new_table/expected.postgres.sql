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

-- dml: insert rows
INSERT INTO presentation.fact_sales (order_id, line_no, customer_id, product_code, quantity, amount, sold_at, sale_date, customer_sk, product_key, dla_run_id, dla_loaded_at)
SELECT CAST(s.order_id AS BIGINT) AS order_id, CAST(s.line_no AS BIGINT) AS line_no, CAST(s.customer_id AS BIGINT) AS customer_id, CAST(s.product_code AS TEXT) AS product_code,
       CAST(s.quantity AS BIGINT) AS quantity, CAST(s.amount AS NUMERIC(12,2)) AS amount, (CAST(s.sold_at AS TIMESTAMPTZ) AT TIME ZONE 'UTC') AS sold_at, CAST(s.sale_date AS DATE) AS sale_date,
       COALESCE(d1.customer_sk, -1) AS customer_sk,
       COALESCE(d2.product_key, -1) AS product_key,
       'r1', (now() AT TIME ZONE 'UTC')
FROM staging.sale s
LEFT JOIN (SELECT customer_sk, customer_id, valid_from,
                  ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY valid_from) AS dla_rn,
                  LEAD(valid_from) OVER (PARTITION BY customer_id ORDER BY valid_from) AS dla_next
           FROM presentation.dim_customer) d1
       ON d1.customer_id = s.customer_id
      AND (d1.dla_rn = 1 OR d1.valid_from <= s.sold_at OR s.sold_at IS NULL)
      AND (d1.dla_next IS NULL OR s.sold_at < d1.dla_next)
LEFT JOIN presentation.dim_product d2
       ON d2.product_code = s.product_code;

