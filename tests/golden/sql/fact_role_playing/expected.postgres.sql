-- ddl: create target table
CREATE TABLE presentation.fact_gift (
    gift_id BIGINT,
    buyer_id BIGINT,
    recipient_id BIGINT,
    sent_at TIMESTAMP,
    buyer_sk BIGINT,
    recipient_sk BIGINT,
    dla_run_id TEXT,
    dla_loaded_at TIMESTAMP,
    PRIMARY KEY (gift_id)
);

-- ddl: drop stale stage
DROP TABLE IF EXISTS pg_temp.dla_stage;

-- ddl: stage source with resolved keys
CREATE TEMPORARY TABLE dla_stage AS
SELECT CAST(s.gift_id AS BIGINT) AS gift_id, CAST(s.buyer_id AS BIGINT) AS buyer_id, CAST(s.recipient_id AS BIGINT) AS recipient_id, (CAST(s.sent_at AS TIMESTAMPTZ) AT TIME ZONE 'UTC') AS sent_at,
       CASE WHEN s.buyer_id IS NULL THEN -1 ELSE d1.customer_sk END AS buyer_sk,
       CASE WHEN s.recipient_id IS NULL THEN -1 ELSE d2.customer_sk END AS recipient_sk,
       CASE WHEN dla_t.gift_id IS NULL THEN 0 ELSE 1 END AS dla_in_target
FROM staging.gift s
LEFT JOIN (SELECT customer_sk, customer_id, valid_from,
                  ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY valid_from) AS dla_rn,
                  LEAD(valid_from) OVER (PARTITION BY customer_id ORDER BY valid_from) AS dla_next
           FROM presentation.dim_customer) d1
       ON d1.customer_id = s.buyer_id
      AND (d1.dla_rn = 1 OR d1.valid_from <= s.sent_at OR s.sent_at IS NULL)
      AND (d1.dla_next IS NULL OR s.sent_at < d1.dla_next)
LEFT JOIN (SELECT customer_sk, customer_id, valid_from,
                  LEAD(valid_from) OVER (PARTITION BY customer_id ORDER BY valid_from) AS dla_next
           FROM presentation.dim_customer) d2
       ON d2.customer_id = s.recipient_id AND d2.dla_next IS NULL
LEFT JOIN presentation.fact_gift dla_t
       ON dla_t.gift_id = CAST(s.gift_id AS BIGINT);

-- check on failure: duplicate grain
SELECT gift_id, COUNT(*) AS dla_rows
FROM (SELECT CAST(s.gift_id AS BIGINT) AS gift_id
FROM staging.gift s
LEFT JOIN (SELECT customer_sk, customer_id, valid_from,
                  ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY valid_from) AS dla_rn,
                  LEAD(valid_from) OVER (PARTITION BY customer_id ORDER BY valid_from) AS dla_next
           FROM presentation.dim_customer) d1
       ON d1.customer_id = s.buyer_id
      AND (d1.dla_rn = 1 OR d1.valid_from <= s.sent_at OR s.sent_at IS NULL)
      AND (d1.dla_next IS NULL OR s.sent_at < d1.dla_next)
LEFT JOIN (SELECT customer_sk, customer_id, valid_from,
                  LEAD(valid_from) OVER (PARTITION BY customer_id ORDER BY valid_from) AS dla_next
           FROM presentation.dim_customer) d2
       ON d2.customer_id = s.recipient_id AND d2.dla_next IS NULL) dla_x
GROUP BY gift_id
HAVING COUNT(*) > 1
ORDER BY gift_id
LIMIT 5;

-- check on failure: NULL grain
SELECT CAST(s.gift_id AS BIGINT) AS gift_id
FROM staging.gift s
WHERE (s.gift_id IS NULL)
LIMIT 5;

-- check: duplicate grain among existing rows
SELECT gift_id, COUNT(*) AS dla_rows
FROM dla_stage
WHERE dla_in_target = 1
GROUP BY gift_id
HAVING COUNT(*) > 1
ORDER BY gift_id
LIMIT 5;

-- check: missing dimension members
SELECT DISTINCT recipient_id
FROM dla_stage
WHERE recipient_sk IS NULL
ORDER BY recipient_id
LIMIT 5;

-- dml: lock dimension for inferred members
LOCK TABLE presentation.dim_customer IN SHARE ROW EXCLUSIVE MODE;

-- dml: insert inferred members
INSERT INTO presentation.dim_customer (customer_sk, customer_id, valid_from, valid_to, is_current, is_inferred, dla_run_id, dla_updated_at)
SELECT (SELECT COALESCE(MAX(customer_sk), 0) FROM presentation.dim_customer WHERE customer_sk > 0) + ROW_NUMBER() OVER (ORDER BY m.customer_id),
       m.customer_id, TIMESTAMP '1900-01-01 00:00:00', TIMESTAMP '9999-12-31 00:00:00', TRUE, TRUE, 'r1', (now() AT TIME ZONE 'UTC')
FROM (SELECT DISTINCT s.buyer_id AS customer_id
      FROM dla_stage s
      WHERE s.buyer_sk IS NULL
        AND NOT EXISTS (SELECT 1 FROM presentation.dim_customer d1 WHERE d1.customer_id = s.buyer_id)) m;

-- dml: use inferred members
UPDATE dla_stage AS s
SET buyer_sk = d1.customer_sk
FROM presentation.dim_customer AS d1
WHERE s.buyer_sk IS NULL AND d1.customer_id = s.buyer_id;

-- dml: update changed rows
UPDATE presentation.fact_gift AS t
SET buyer_id = x.buyer_id, recipient_id = x.recipient_id, sent_at = x.sent_at, buyer_sk = x.buyer_sk, recipient_sk = x.recipient_sk, dla_run_id = 'r1', dla_loaded_at = (now() AT TIME ZONE 'UTC')
FROM dla_stage AS x
WHERE x.dla_in_target = 1 AND t.gift_id = x.gift_id
  AND ((t.buyer_id IS DISTINCT FROM x.buyer_id) OR (t.recipient_id IS DISTINCT FROM x.recipient_id) OR (t.sent_at IS DISTINCT FROM x.sent_at) OR (t.buyer_sk IS DISTINCT FROM x.buyer_sk) OR (t.recipient_sk IS DISTINCT FROM x.recipient_sk));

-- dml: insert new rows
INSERT INTO presentation.fact_gift (gift_id, buyer_id, recipient_id, sent_at, buyer_sk, recipient_sk, dla_run_id, dla_loaded_at)
SELECT x.gift_id, x.buyer_id, x.recipient_id, x.sent_at, x.buyer_sk, x.recipient_sk, 'r1', (now() AT TIME ZONE 'UTC')
FROM dla_stage x
WHERE x.dla_in_target = 0;

-- cleanup: drop stage
DROP TABLE IF EXISTS pg_temp.dla_stage;

