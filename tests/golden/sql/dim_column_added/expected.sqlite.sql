-- ddl: add new column
ALTER TABLE presentation.dim_customer ADD COLUMN tier TEXT;

-- ddl: add new column
ALTER TABLE presentation.dim_customer ADD COLUMN since INTEGER;

-- ddl: drop stale dla_chg
DROP TABLE IF EXISTS temp.dla_chg;

-- ddl: business key index
CREATE INDEX IF NOT EXISTS presentation.dim_customer_dla_bk ON dim_customer (customer_id, is_current);

-- check: duplicate keys
SELECT customer_id, COUNT(*) AS dla_rows
FROM staging.customer
GROUP BY customer_id
HAVING COUNT(*) > 1
ORDER BY customer_id
LIMIT 5;

-- ddl: compute change set
CREATE TEMP TABLE dla_chg AS
SELECT s.customer_id, s.city, s.email, s.tier, s.since,
       c.customer_sk AS dla_sk,
       CASE WHEN c.customer_sk IS NULL THEN 'N'
            WHEN ((s.city IS NOT c.city)) THEN CASE WHEN '2026-03-01 00:00:00' <= c.valid_from THEN 'L' ELSE 'V' END
            ELSE 'U' END AS dla_action
FROM staging.customer s
LEFT JOIN presentation.dim_customer c ON c.customer_id = s.customer_id AND c.is_current = 1 AND c.customer_sk <> -1
WHERE c.customer_sk IS NULL
   OR ((s.city IS NOT c.city) OR (s.email IS NOT c.email)) OR ((s.tier IS NOT c.tier) OR (s.since IS NOT c.since));

-- check: duplicate keys in the change set
SELECT customer_id, COUNT(*) AS dla_rows
FROM dla_chg
GROUP BY customer_id
HAVING COUNT(*) > 1
ORDER BY customer_id
LIMIT 5;

-- check: NULL keys
SELECT customer_id
FROM dla_chg
WHERE dla_action = 'N' AND (customer_id IS NULL)
ORDER BY customer_id
LIMIT 5;

-- check: back-dated rows
SELECT x.customer_id, '2026-03-01 00:00:00' AS dla_t
FROM dla_chg x
LEFT JOIN presentation.dim_customer v ON v.customer_id = x.customer_id AND v.valid_from <= '2026-03-01 00:00:00' AND '2026-03-01 00:00:00' < v.valid_to
WHERE x.dla_action = 'L'
  AND (v.customer_sk IS NULL OR ((x.city IS NOT v.city)))
ORDER BY x.customer_id
LIMIT 5;

-- dml: unknown member
INSERT INTO presentation.dim_customer (customer_sk, customer_id, city, email, tier, since, valid_from, valid_to, is_current, dla_run_id, dla_updated_at)
SELECT -1, NULL, 'Unknown', 'Unknown', 'Unknown', NULL, '1900-01-01 00:00:00', '9999-12-31 00:00:00', 1, 'r1', strftime('%Y-%m-%d %H:%M:%S','now')
WHERE NOT EXISTS (SELECT 1 FROM presentation.dim_customer WHERE customer_sk = -1);

-- dml: expire changed versions
UPDATE presentation.dim_customer AS t
SET valid_to = '2026-03-01 00:00:00', is_current = 0, dla_run_id = 'r1', dla_updated_at = strftime('%Y-%m-%d %H:%M:%S','now')
FROM dla_chg AS x
WHERE t.customer_sk = x.dla_sk AND x.dla_action = 'V';

-- dml: overwrite type 1 columns on every version
UPDATE presentation.dim_customer AS t
SET email = x.email, dla_run_id = 'r1', dla_updated_at = strftime('%Y-%m-%d %H:%M:%S','now')
FROM dla_chg AS x
WHERE t.customer_id = x.customer_id AND x.dla_action IN ('V', 'U')
  AND ((t.email IS NOT x.email));

-- dml: insert new versions
INSERT INTO presentation.dim_customer (customer_sk, customer_id, city, email, tier, since, valid_from, valid_to, is_current, dla_run_id, dla_updated_at)
SELECT (SELECT COALESCE(MAX(customer_sk), 0) FROM presentation.dim_customer WHERE customer_sk > 0) + ROW_NUMBER() OVER (ORDER BY x.customer_id),
       x.customer_id, x.city, x.email, x.tier, x.since,
       '2026-03-01 00:00:00', '9999-12-31 00:00:00', 1, 'r1', strftime('%Y-%m-%d %H:%M:%S','now')
FROM dla_chg AS x
WHERE x.dla_action IN ('N', 'V');

-- dml: fill columns added to the table
UPDATE presentation.dim_customer AS t
SET tier = x.tier, since = x.since, dla_run_id = 'r1', dla_updated_at = strftime('%Y-%m-%d %H:%M:%S','now')
FROM dla_chg AS x
WHERE t.customer_sk = x.dla_sk AND x.dla_action IN ('V', 'U')
  AND ((t.tier IS NOT x.tier) OR (t.since IS NOT x.since));

-- cleanup: drop dla_chg
DROP TABLE IF EXISTS temp.dla_chg;

