-- ddl: create target table
CREATE TABLE presentation.fact_gift (
    gift_id INTEGER,
    buyer_id INTEGER,
    recipient_id INTEGER,
    sent_at TEXT,
    buyer_sk INTEGER,
    recipient_sk INTEGER,
    dla_run_id TEXT,
    dla_loaded_at TEXT,
    PRIMARY KEY (gift_id)
);

-- ddl: drop stale stage
DROP TABLE IF EXISTS temp.dla_stage;

-- ddl: stage source with resolved keys
CREATE TEMP TABLE dla_stage AS
SELECT s.gift_id AS gift_id, s.buyer_id AS buyer_id, s.recipient_id AS recipient_id, (CASE WHEN typeof(s.sent_at) <> 'text' THEN s.sent_at
     WHEN length(s.sent_at) = 19 AND substr(s.sent_at, 11, 1) = ' ' THEN s.sent_at
     WHEN s.sent_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' THEN s.sent_at || ' 00:00:00'
     WHEN NOT s.sent_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]*' THEN s.sent_at
     WHEN substr(s.sent_at, 17) GLOB '*[zZ+-]*' THEN coalesce(rtrim(rtrim(strftime('%Y-%m-%d %H:%M:%f', s.sent_at), '0'), '.'), s.sent_at)
     WHEN length(s.sent_at) = 16 THEN substr(s.sent_at, 1, 10) || ' ' || substr(s.sent_at, 12) || ':00'
     ELSE substr(s.sent_at, 1, 10) || ' ' || substr(s.sent_at, 12, 8) || CASE WHEN substr(s.sent_at, 20, 1) = '.' AND rtrim(substr(s.sent_at, 21, 6), '0') <> '' THEN '.' || rtrim(substr(s.sent_at, 21, 6), '0') ELSE '' END END) AS sent_at,
       CASE WHEN s.buyer_id IS NULL THEN -1 ELSE d1.customer_sk END AS buyer_sk,
       CASE WHEN s.recipient_id IS NULL THEN -1 ELSE d2.customer_sk END AS recipient_sk,
       CASE WHEN dla_t.gift_id IS NULL THEN 0 ELSE 1 END AS dla_in_target
FROM staging.gift s
LEFT JOIN (SELECT customer_sk, customer_id, valid_from,
                  ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY valid_from) AS dla_rn,
                  LEAD(valid_from) OVER (PARTITION BY customer_id ORDER BY valid_from) AS dla_next
           FROM presentation.dim_customer) d1
       ON d1.customer_id = s.buyer_id
      AND (d1.dla_rn = 1 OR d1.valid_from <= (CASE WHEN typeof(s.sent_at) <> 'text' THEN s.sent_at
     WHEN length(s.sent_at) = 19 AND substr(s.sent_at, 11, 1) = ' ' THEN s.sent_at
     WHEN s.sent_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' THEN s.sent_at || ' 00:00:00'
     WHEN NOT s.sent_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]*' THEN s.sent_at
     WHEN substr(s.sent_at, 17) GLOB '*[zZ+-]*' THEN coalesce(rtrim(rtrim(strftime('%Y-%m-%d %H:%M:%f', s.sent_at), '0'), '.'), s.sent_at)
     WHEN length(s.sent_at) = 16 THEN substr(s.sent_at, 1, 10) || ' ' || substr(s.sent_at, 12) || ':00'
     ELSE substr(s.sent_at, 1, 10) || ' ' || substr(s.sent_at, 12, 8) || CASE WHEN substr(s.sent_at, 20, 1) = '.' AND rtrim(substr(s.sent_at, 21, 6), '0') <> '' THEN '.' || rtrim(substr(s.sent_at, 21, 6), '0') ELSE '' END END) OR (CASE WHEN typeof(s.sent_at) <> 'text' THEN s.sent_at
     WHEN length(s.sent_at) = 19 AND substr(s.sent_at, 11, 1) = ' ' THEN s.sent_at
     WHEN s.sent_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' THEN s.sent_at || ' 00:00:00'
     WHEN NOT s.sent_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]*' THEN s.sent_at
     WHEN substr(s.sent_at, 17) GLOB '*[zZ+-]*' THEN coalesce(rtrim(rtrim(strftime('%Y-%m-%d %H:%M:%f', s.sent_at), '0'), '.'), s.sent_at)
     WHEN length(s.sent_at) = 16 THEN substr(s.sent_at, 1, 10) || ' ' || substr(s.sent_at, 12) || ':00'
     ELSE substr(s.sent_at, 1, 10) || ' ' || substr(s.sent_at, 12, 8) || CASE WHEN substr(s.sent_at, 20, 1) = '.' AND rtrim(substr(s.sent_at, 21, 6), '0') <> '' THEN '.' || rtrim(substr(s.sent_at, 21, 6), '0') ELSE '' END END) IS NULL)
      AND (d1.dla_next IS NULL OR (CASE WHEN typeof(s.sent_at) <> 'text' THEN s.sent_at
     WHEN length(s.sent_at) = 19 AND substr(s.sent_at, 11, 1) = ' ' THEN s.sent_at
     WHEN s.sent_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' THEN s.sent_at || ' 00:00:00'
     WHEN NOT s.sent_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]*' THEN s.sent_at
     WHEN substr(s.sent_at, 17) GLOB '*[zZ+-]*' THEN coalesce(rtrim(rtrim(strftime('%Y-%m-%d %H:%M:%f', s.sent_at), '0'), '.'), s.sent_at)
     WHEN length(s.sent_at) = 16 THEN substr(s.sent_at, 1, 10) || ' ' || substr(s.sent_at, 12) || ':00'
     ELSE substr(s.sent_at, 1, 10) || ' ' || substr(s.sent_at, 12, 8) || CASE WHEN substr(s.sent_at, 20, 1) = '.' AND rtrim(substr(s.sent_at, 21, 6), '0') <> '' THEN '.' || rtrim(substr(s.sent_at, 21, 6), '0') ELSE '' END END) < d1.dla_next)
LEFT JOIN (SELECT customer_sk, customer_id, valid_from,
                  LEAD(valid_from) OVER (PARTITION BY customer_id ORDER BY valid_from) AS dla_next
           FROM presentation.dim_customer) d2
       ON d2.customer_id = s.recipient_id AND d2.dla_next IS NULL
LEFT JOIN presentation.fact_gift dla_t
       ON dla_t.gift_id = s.gift_id;

-- check on failure: duplicate grain
SELECT gift_id, COUNT(*) AS dla_rows
FROM (SELECT s.gift_id AS gift_id
FROM staging.gift s
LEFT JOIN (SELECT customer_sk, customer_id, valid_from,
                  ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY valid_from) AS dla_rn,
                  LEAD(valid_from) OVER (PARTITION BY customer_id ORDER BY valid_from) AS dla_next
           FROM presentation.dim_customer) d1
       ON d1.customer_id = s.buyer_id
      AND (d1.dla_rn = 1 OR d1.valid_from <= (CASE WHEN typeof(s.sent_at) <> 'text' THEN s.sent_at
     WHEN length(s.sent_at) = 19 AND substr(s.sent_at, 11, 1) = ' ' THEN s.sent_at
     WHEN s.sent_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' THEN s.sent_at || ' 00:00:00'
     WHEN NOT s.sent_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]*' THEN s.sent_at
     WHEN substr(s.sent_at, 17) GLOB '*[zZ+-]*' THEN coalesce(rtrim(rtrim(strftime('%Y-%m-%d %H:%M:%f', s.sent_at), '0'), '.'), s.sent_at)
     WHEN length(s.sent_at) = 16 THEN substr(s.sent_at, 1, 10) || ' ' || substr(s.sent_at, 12) || ':00'
     ELSE substr(s.sent_at, 1, 10) || ' ' || substr(s.sent_at, 12, 8) || CASE WHEN substr(s.sent_at, 20, 1) = '.' AND rtrim(substr(s.sent_at, 21, 6), '0') <> '' THEN '.' || rtrim(substr(s.sent_at, 21, 6), '0') ELSE '' END END) OR (CASE WHEN typeof(s.sent_at) <> 'text' THEN s.sent_at
     WHEN length(s.sent_at) = 19 AND substr(s.sent_at, 11, 1) = ' ' THEN s.sent_at
     WHEN s.sent_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' THEN s.sent_at || ' 00:00:00'
     WHEN NOT s.sent_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]*' THEN s.sent_at
     WHEN substr(s.sent_at, 17) GLOB '*[zZ+-]*' THEN coalesce(rtrim(rtrim(strftime('%Y-%m-%d %H:%M:%f', s.sent_at), '0'), '.'), s.sent_at)
     WHEN length(s.sent_at) = 16 THEN substr(s.sent_at, 1, 10) || ' ' || substr(s.sent_at, 12) || ':00'
     ELSE substr(s.sent_at, 1, 10) || ' ' || substr(s.sent_at, 12, 8) || CASE WHEN substr(s.sent_at, 20, 1) = '.' AND rtrim(substr(s.sent_at, 21, 6), '0') <> '' THEN '.' || rtrim(substr(s.sent_at, 21, 6), '0') ELSE '' END END) IS NULL)
      AND (d1.dla_next IS NULL OR (CASE WHEN typeof(s.sent_at) <> 'text' THEN s.sent_at
     WHEN length(s.sent_at) = 19 AND substr(s.sent_at, 11, 1) = ' ' THEN s.sent_at
     WHEN s.sent_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' THEN s.sent_at || ' 00:00:00'
     WHEN NOT s.sent_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]*' THEN s.sent_at
     WHEN substr(s.sent_at, 17) GLOB '*[zZ+-]*' THEN coalesce(rtrim(rtrim(strftime('%Y-%m-%d %H:%M:%f', s.sent_at), '0'), '.'), s.sent_at)
     WHEN length(s.sent_at) = 16 THEN substr(s.sent_at, 1, 10) || ' ' || substr(s.sent_at, 12) || ':00'
     ELSE substr(s.sent_at, 1, 10) || ' ' || substr(s.sent_at, 12, 8) || CASE WHEN substr(s.sent_at, 20, 1) = '.' AND rtrim(substr(s.sent_at, 21, 6), '0') <> '' THEN '.' || rtrim(substr(s.sent_at, 21, 6), '0') ELSE '' END END) < d1.dla_next)
LEFT JOIN (SELECT customer_sk, customer_id, valid_from,
                  LEAD(valid_from) OVER (PARTITION BY customer_id ORDER BY valid_from) AS dla_next
           FROM presentation.dim_customer) d2
       ON d2.customer_id = s.recipient_id AND d2.dla_next IS NULL) dla_x
GROUP BY gift_id
HAVING COUNT(*) > 1
ORDER BY gift_id
LIMIT 5;

-- check: duplicate grain among existing rows
SELECT gift_id, COUNT(*) AS dla_rows
FROM dla_stage
WHERE dla_in_target = 1
GROUP BY gift_id
HAVING COUNT(*) > 1
ORDER BY gift_id
LIMIT 5;

-- check: NULL grain
SELECT gift_id
FROM dla_stage
WHERE gift_id IS NULL
LIMIT 5;

-- check: missing dimension members
SELECT DISTINCT recipient_id
FROM dla_stage
WHERE recipient_sk IS NULL
ORDER BY recipient_id
LIMIT 5;

-- dml: insert inferred members
INSERT INTO presentation.dim_customer (customer_sk, customer_id, valid_from, valid_to, is_current, is_inferred, dla_run_id, dla_updated_at)
SELECT (SELECT COALESCE(MAX(customer_sk), 0) FROM presentation.dim_customer WHERE customer_sk > 0) + ROW_NUMBER() OVER (ORDER BY m.customer_id),
       m.customer_id, '1900-01-01 00:00:00', '9999-12-31 00:00:00', 1, 1, 'r1', strftime('%Y-%m-%d %H:%M:%S','now')
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
SET buyer_id = x.buyer_id, recipient_id = x.recipient_id, sent_at = x.sent_at, buyer_sk = x.buyer_sk, recipient_sk = x.recipient_sk, dla_run_id = 'r1', dla_loaded_at = strftime('%Y-%m-%d %H:%M:%S','now')
FROM dla_stage AS x
WHERE x.dla_in_target = 1 AND t.gift_id = x.gift_id
  AND ((t.buyer_id IS NOT x.buyer_id) OR (t.recipient_id IS NOT x.recipient_id) OR (t.sent_at IS NOT x.sent_at) OR (t.buyer_sk IS NOT x.buyer_sk) OR (t.recipient_sk IS NOT x.recipient_sk));

-- dml: insert new rows
INSERT INTO presentation.fact_gift (gift_id, buyer_id, recipient_id, sent_at, buyer_sk, recipient_sk, dla_run_id, dla_loaded_at)
SELECT x.gift_id, x.buyer_id, x.recipient_id, x.sent_at, x.buyer_sk, x.recipient_sk, 'r1', strftime('%Y-%m-%d %H:%M:%S','now')
FROM dla_stage x
WHERE x.dla_in_target = 0;

-- cleanup: drop stage
DROP TABLE IF EXISTS temp.dla_stage;

