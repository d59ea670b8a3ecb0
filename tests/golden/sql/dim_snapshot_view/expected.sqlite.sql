-- ddl: create target table
CREATE TABLE presentation.dim_customer (
    customer_sk INTEGER NOT NULL,
    customer_id INTEGER,
    full_name TEXT,
    email TEXT,
    city TEXT,
    segment TEXT,
    current_segment TEXT,
    signup_channel TEXT,
    valid_from TEXT,
    valid_to TEXT,
    is_current INTEGER,
    dla_run_id TEXT,
    dla_updated_at TEXT,
    PRIMARY KEY (customer_sk)
);

-- ddl: drop stale dla_stage
DROP TABLE IF EXISTS temp.dla_stage;

-- ddl: drop stale dla_chg
DROP TABLE IF EXISTS temp.dla_chg;

-- ddl: business key index
CREATE INDEX IF NOT EXISTS presentation.dim_customer_dla_bk ON dim_customer (customer_id, is_current);

-- ddl: create dla_stage
CREATE TEMPORARY TABLE dla_stage (customer_id INTEGER, full_name TEXT, email TEXT, city TEXT, segment TEXT, signup_channel TEXT);

-- ddl: stage source
INSERT INTO dla_stage (customer_id, full_name, email, city, segment, signup_channel)
SELECT s.customer_id, s.full_name, s.email, s.city, s.segment, s.signup_channel
FROM v_customer s;

-- check: duplicate keys
SELECT customer_id, COUNT(*) AS dla_rows
FROM dla_stage
GROUP BY customer_id
HAVING COUNT(*) > 1
ORDER BY customer_id
LIMIT 5;

-- ddl: compute change set
CREATE TEMP TABLE dla_chg AS
SELECT s.customer_id, s.full_name, s.email, s.city, s.segment, s.segment AS current_segment,
       CASE WHEN c.customer_sk IS NULL THEN s.signup_channel ELSE c.signup_channel END AS signup_channel,
       c.customer_sk AS dla_sk,
       CASE WHEN c.customer_sk IS NULL THEN 'N'
            WHEN ((s.full_name IS NOT c.full_name) OR (s.city IS NOT c.city) OR (s.segment IS NOT c.segment)) THEN CASE WHEN '2026-01-02 03:04:05' <= c.valid_from THEN 'L' ELSE 'V' END
            ELSE 'U' END AS dla_action
FROM dla_stage s
LEFT JOIN presentation.dim_customer c ON c.customer_id = s.customer_id AND c.is_current = 1 AND c.customer_sk <> -1
WHERE c.customer_sk IS NULL
   OR ((s.full_name IS NOT c.full_name) OR (s.email IS NOT c.email) OR (s.city IS NOT c.city) OR (s.segment IS NOT c.segment));

-- check: NULL keys
SELECT customer_id
FROM dla_chg
WHERE dla_action = 'N' AND (customer_id IS NULL)
ORDER BY customer_id
LIMIT 5;

-- check: back-dated rows
SELECT x.customer_id, '2026-01-02 03:04:05' AS dla_t
FROM dla_chg x
LEFT JOIN presentation.dim_customer v ON v.customer_id = x.customer_id AND v.valid_from <= '2026-01-02 03:04:05' AND '2026-01-02 03:04:05' < v.valid_to
WHERE x.dla_action = 'L'
  AND (v.customer_sk IS NULL OR ((x.full_name IS NOT v.full_name) OR (x.city IS NOT v.city) OR (x.segment IS NOT v.segment)))
ORDER BY x.customer_id
LIMIT 5;

-- dml: unknown member
INSERT INTO presentation.dim_customer (customer_sk, customer_id, full_name, email, city, segment, current_segment, signup_channel, valid_from, valid_to, is_current, dla_run_id, dla_updated_at)
SELECT -1, NULL, 'Unknown', 'Unknown', 'Unknown', 'Unknown', 'Unknown', 'Unknown', '1900-01-01 00:00:00', '9999-12-31 00:00:00', 1, '20260102T030405000000Z-1', strftime('%Y-%m-%d %H:%M:%S','now')
WHERE NOT EXISTS (SELECT 1 FROM presentation.dim_customer WHERE customer_sk = -1);

-- dml: expire changed versions
UPDATE presentation.dim_customer AS t
SET valid_to = '2026-01-02 03:04:05', is_current = 0, dla_run_id = '20260102T030405000000Z-1', dla_updated_at = strftime('%Y-%m-%d %H:%M:%S','now')
FROM dla_chg AS x
WHERE t.customer_sk = x.dla_sk AND x.dla_action = 'V';

-- dml: overwrite type 1 columns on every version
UPDATE presentation.dim_customer AS t
SET email = x.email, current_segment = x.current_segment, dla_run_id = '20260102T030405000000Z-1', dla_updated_at = strftime('%Y-%m-%d %H:%M:%S','now')
FROM dla_chg AS x
WHERE t.customer_id = x.customer_id AND x.dla_action IN ('V', 'U')
  AND ((t.email IS NOT x.email) OR (t.current_segment IS NOT x.current_segment));

-- dml: insert new versions
INSERT INTO presentation.dim_customer (customer_sk, customer_id, full_name, email, city, segment, current_segment, signup_channel, valid_from, valid_to, is_current, dla_run_id, dla_updated_at)
SELECT (SELECT COALESCE(MAX(customer_sk), 0) FROM presentation.dim_customer WHERE customer_sk > 0) + ROW_NUMBER() OVER (ORDER BY x.customer_id),
       x.customer_id, x.full_name, x.email, x.city, x.segment, x.current_segment, x.signup_channel,
       '2026-01-02 03:04:05', '9999-12-31 00:00:00', 1, '20260102T030405000000Z-1', strftime('%Y-%m-%d %H:%M:%S','now')
FROM dla_chg AS x
WHERE x.dla_action IN ('N', 'V');

-- cleanup: drop dla_chg
DROP TABLE IF EXISTS temp.dla_chg;

-- cleanup: drop dla_stage
DROP TABLE IF EXISTS temp.dla_stage;

