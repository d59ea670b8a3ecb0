-- ddl: drop stale stage
DROP TABLE IF EXISTS pg_temp.dla_stage;

-- ddl: stage source with resolved keys
CREATE TEMPORARY TABLE dla_stage AS
SELECT CAST(s.trade_id AS BIGINT) AS trade_id, CAST(s.product_code AS TEXT) AS product_code, CAST(s.buyer_id AS BIGINT) AS buyer_id, CAST(s.seller_id AS BIGINT) AS seller_id,
       CAST(s.amount AS NUMERIC(12,2)) AS amount,
       CASE WHEN s.product_code IS NULL THEN -1 ELSE d1.product_sk END AS product_sk,
       CASE WHEN s.buyer_id IS NULL THEN -1 ELSE d2.customer_sk END AS buyer_sk,
       CASE WHEN s.seller_id IS NULL THEN -1 ELSE d3.customer_sk END AS seller_sk,
       CASE WHEN dla_t.trade_id IS NULL THEN 0 ELSE 1 END AS dla_in_target
FROM staging.trade s
LEFT JOIN presentation.dim_product d1
       ON d1.product_code = s.product_code
LEFT JOIN presentation.dim_customer d2
       ON d2.customer_id = s.buyer_id
LEFT JOIN presentation.dim_customer d3
       ON d3.customer_id = s.seller_id
LEFT JOIN presentation.fact_trade dla_t
       ON dla_t.trade_id = CAST(s.trade_id AS BIGINT);

-- check on failure: duplicate grain
SELECT trade_id, COUNT(*) AS dla_rows
FROM (SELECT CAST(s.trade_id AS BIGINT) AS trade_id
FROM staging.trade s
LEFT JOIN presentation.dim_product d1
       ON d1.product_code = s.product_code
LEFT JOIN presentation.dim_customer d2
       ON d2.customer_id = s.buyer_id
LEFT JOIN presentation.dim_customer d3
       ON d3.customer_id = s.seller_id) dla_x
GROUP BY trade_id
HAVING COUNT(*) > 1
ORDER BY trade_id
LIMIT 5;

-- check on failure: NULL grain
SELECT CAST(s.trade_id AS BIGINT) AS trade_id
FROM staging.trade s
WHERE (s.trade_id IS NULL)
LIMIT 5;

-- check: duplicate grain among existing rows
SELECT trade_id, COUNT(*) AS dla_rows
FROM dla_stage
WHERE dla_in_target = 1
GROUP BY trade_id
HAVING COUNT(*) > 1
ORDER BY trade_id
LIMIT 5;

-- dml: lock dimension for inferred members
LOCK TABLE presentation.dim_customer IN SHARE ROW EXCLUSIVE MODE;

-- dml: lock dimension for inferred members
LOCK TABLE presentation.dim_product IN SHARE ROW EXCLUSIVE MODE;

-- dml: insert inferred members
INSERT INTO presentation.dim_product (product_sk, product_code, is_inferred, dla_run_id, dla_updated_at)
SELECT (SELECT COALESCE(MAX(product_sk), 0) FROM presentation.dim_product WHERE product_sk > 0) + ROW_NUMBER() OVER (ORDER BY m.product_code),
       m.product_code, TRUE, 'r1', (now() AT TIME ZONE 'UTC')
FROM (SELECT DISTINCT s.product_code AS product_code
      FROM dla_stage s
      WHERE s.product_sk IS NULL
        AND NOT EXISTS (SELECT 1 FROM presentation.dim_product d1 WHERE d1.product_code = s.product_code)) m;

-- dml: use inferred members
UPDATE dla_stage AS s
SET product_sk = d1.product_sk
FROM presentation.dim_product AS d1
WHERE s.product_sk IS NULL AND d1.product_code = s.product_code;

-- dml: insert inferred members
INSERT INTO presentation.dim_customer (customer_sk, customer_id, is_inferred, dla_run_id, dla_updated_at)
SELECT (SELECT COALESCE(MAX(customer_sk), 0) FROM presentation.dim_customer WHERE customer_sk > 0) + ROW_NUMBER() OVER (ORDER BY m.customer_id),
       m.customer_id, TRUE, 'r1', (now() AT TIME ZONE 'UTC')
FROM (SELECT DISTINCT s.buyer_id AS customer_id
      FROM dla_stage s
      WHERE s.buyer_sk IS NULL
        AND NOT EXISTS (SELECT 1 FROM presentation.dim_customer d2 WHERE d2.customer_id = s.buyer_id)) m;

-- dml: use inferred members
UPDATE dla_stage AS s
SET buyer_sk = d2.customer_sk
FROM presentation.dim_customer AS d2
WHERE s.buyer_sk IS NULL AND d2.customer_id = s.buyer_id;

-- dml: insert inferred members
INSERT INTO presentation.dim_customer (customer_sk, customer_id, is_inferred, dla_run_id, dla_updated_at)
SELECT (SELECT COALESCE(MAX(customer_sk), 0) FROM presentation.dim_customer WHERE customer_sk > 0) + ROW_NUMBER() OVER (ORDER BY m.customer_id),
       m.customer_id, TRUE, 'r1', (now() AT TIME ZONE 'UTC')
FROM (SELECT DISTINCT s.seller_id AS customer_id
      FROM dla_stage s
      WHERE s.seller_sk IS NULL
        AND NOT EXISTS (SELECT 1 FROM presentation.dim_customer d3 WHERE d3.customer_id = s.seller_id)) m;

-- dml: use inferred members
UPDATE dla_stage AS s
SET seller_sk = d3.customer_sk
FROM presentation.dim_customer AS d3
WHERE s.seller_sk IS NULL AND d3.customer_id = s.seller_id;

-- dml: insert new rows
INSERT INTO presentation.fact_trade (trade_id, product_code, buyer_id, seller_id, amount, product_sk, buyer_sk, seller_sk, dla_run_id, dla_loaded_at)
SELECT x.trade_id, x.product_code, x.buyer_id, x.seller_id, x.amount, x.product_sk, x.buyer_sk, x.seller_sk, 'r1', (now() AT TIME ZONE 'UTC')
FROM dla_stage x
WHERE x.dla_in_target = 0;

-- cleanup: drop stage
DROP TABLE IF EXISTS pg_temp.dla_stage;

