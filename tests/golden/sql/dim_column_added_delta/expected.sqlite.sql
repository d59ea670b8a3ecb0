-- ddl: add new column
ALTER TABLE presentation.dim_customer ADD COLUMN tier TEXT;

-- ddl: add new column
ALTER TABLE presentation.dim_customer ADD COLUMN current_tier TEXT;

-- ddl: drop stale dla_stage
DROP TABLE IF EXISTS temp.dla_stage;

-- ddl: drop stale dla_base
DROP TABLE IF EXISTS temp.dla_base;

-- ddl: drop stale dla_seq
DROP TABLE IF EXISTS temp.dla_seq;

-- ddl: drop stale dla_chg
DROP TABLE IF EXISTS temp.dla_chg;

-- ddl: create dla_stage
CREATE TEMPORARY TABLE dla_stage (customer_id INTEGER, city TEXT, tier TEXT, dla_t TEXT, dla_del INTEGER);

-- ddl: stage source
INSERT INTO dla_stage (customer_id, city, tier, dla_t, dla_del)
SELECT s.customer_id, s.city, s.tier, (CASE WHEN typeof(s.changed_at) <> 'text' THEN s.changed_at
     WHEN length(s.changed_at) = 19 AND substr(s.changed_at, 11, 1) = ' ' THEN s.changed_at
     WHEN s.changed_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' THEN s.changed_at || ' 00:00:00'
     WHEN NOT s.changed_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]*' THEN s.changed_at
     WHEN substr(s.changed_at, 17) GLOB '*[zZ+-]*' THEN coalesce(rtrim(rtrim(strftime('%Y-%m-%d %H:%M:%f', s.changed_at), '0'), '.'), s.changed_at)
     WHEN length(s.changed_at) = 16 THEN substr(s.changed_at, 1, 10) || ' ' || substr(s.changed_at, 12) || ':00'
     ELSE substr(s.changed_at, 1, 10) || ' ' || substr(s.changed_at, 12, 8) || CASE WHEN substr(s.changed_at, 20, 1) = '.' AND rtrim(substr(s.changed_at, 21, 6), '0') <> '' THEN '.' || rtrim(substr(s.changed_at, 21, 6), '0') ELSE '' END END) AS dla_t, 0 AS dla_del
FROM staging.customer_changes s;

-- check: duplicate keys and times
SELECT customer_id, dla_t, COUNT(*) AS dla_rows
FROM dla_stage
GROUP BY customer_id, dla_t
HAVING COUNT(*) > 1
ORDER BY customer_id, dla_t
LIMIT 5;

-- check: NULL keys
SELECT customer_id
FROM dla_stage
WHERE customer_id IS NULL
ORDER BY customer_id
LIMIT 5;

-- check: change times
SELECT customer_id, dla_t
FROM dla_stage
WHERE dla_t IS NULL OR dla_t >= '9999-12-31 00:00:00'
ORDER BY customer_id
LIMIT 5;

-- ddl: latest version of each key
CREATE TEMP TABLE dla_base AS
SELECT t.customer_sk AS dla_sk, t.customer_id, t.city, t.tier, t.valid_from AS dla_bfrom, t.valid_to AS dla_bto,
       CASE WHEN t.is_current = 1 THEN 0 ELSE 1 END AS dla_bclosed, 0 AS dla_same
FROM presentation.dim_customer t
LEFT JOIN (SELECT DISTINCT customer_id FROM dla_stage) k ON k.customer_id = t.customer_id
WHERE t.customer_sk <> -1 AND t.is_current = 1
  AND (k.customer_id IS NOT NULL);

-- ddl: events of each key
CREATE TEMP TABLE dla_seq AS
SELECT b.customer_id, b.city, b.tier,
       b.dla_bfrom AS dla_t, 0 AS dla_o, 0 AS dla_del, b.dla_bclosed AS dla_dead, b.dla_sk, NULL AS dla_isk, b.dla_bfrom, b.dla_bto, b.dla_bclosed, 0 AS dla_late
FROM dla_base b
UNION ALL
SELECT s.customer_id, s.city, s.tier,
       s.dla_t, 1, s.dla_del, s.dla_del, b.dla_sk, NULL, b.dla_bfrom, b.dla_bto, b.dla_bclosed,
       CASE WHEN b.dla_sk IS NULL THEN 0
            WHEN s.dla_t <= b.dla_bfrom THEN 1
            ELSE 0 END
FROM dla_stage s
LEFT JOIN dla_base b ON b.customer_id = s.customer_id;

-- check: back-dated rows
SELECT x.customer_id, x.dla_t
FROM dla_seq x
LEFT JOIN presentation.dim_customer v ON v.customer_id = x.customer_id AND v.valid_from <= x.dla_t AND x.dla_t < v.valid_to
WHERE x.dla_late = 1 AND x.dla_del = 0
  AND (v.customer_sk IS NULL OR ((x.city IS NOT v.city)))
ORDER BY x.customer_id, x.dla_t
LIMIT 5;

-- ddl: compute change set
CREATE TEMP TABLE dla_chg AS
SELECT l4.*,
       LEAD(l4.dla_eff) OVER (PARTITION BY l4.customer_id ORDER BY l4.dla_o, l4.dla_t) AS dla_next_t, LEAD(l4.dla_action) OVER (PARTITION BY l4.customer_id ORDER BY l4.dla_o, l4.dla_t) AS dla_next_a,
       ROW_NUMBER() OVER (PARTITION BY l4.customer_id ORDER BY l4.dla_o, l4.dla_t) AS dla_first
FROM (SELECT l3.customer_id, l3.dla_t, l3.dla_eff, l3.dla_o, l3.dla_del, l3.dla_dead, l3.dla_action, l3.dla_sk, l3.dla_isk,
             l3.city AS city,
             l3.tier AS tier,
             LAST_VALUE(l3.tier) OVER (PARTITION BY l3.customer_id, l3.dla_del ORDER BY l3.dla_o, l3.dla_t ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS current_tier
      FROM (SELECT l2.*
            FROM (SELECT l1.*,
                         SUM(CASE WHEN l1.dla_action IN ('B', 'N', 'V', 'D', 'I') THEN 1 ELSE 0 END) OVER (PARTITION BY l1.customer_id ORDER BY l1.dla_o, l1.dla_t) AS dla_isl
                  FROM (SELECT q.customer_id, q.city,
       CASE WHEN q.dla_o = 0 THEN LEAD(q.tier) OVER (PARTITION BY q.customer_id, q.dla_del ORDER BY q.dla_o, q.dla_t) ELSE q.tier END AS tier, q.dla_t, q.dla_o, q.dla_del, q.dla_dead, q.dla_sk, q.dla_isk,
       q.dla_t AS dla_eff,
       CASE WHEN LEAD(q.dla_o) OVER (PARTITION BY q.customer_id ORDER BY q.dla_o, q.dla_t) IS NULL THEN 1 ELSE 0 END AS dla_klast,
       CASE WHEN q.dla_o = 0 THEN 'B'
            WHEN COALESCE(LAG(q.dla_dead) OVER (PARTITION BY q.customer_id ORDER BY q.dla_o, q.dla_t), 1) = 1 THEN 'N'
            WHEN ((q.city IS NOT LAG(q.city) OVER (PARTITION BY q.customer_id ORDER BY q.dla_o, q.dla_t)) OR (LAG(q.dla_o) OVER (PARTITION BY q.customer_id ORDER BY q.dla_o, q.dla_t) = 1 AND (q.tier IS NOT LAG(q.tier) OVER (PARTITION BY q.customer_id ORDER BY q.dla_o, q.dla_t)))) THEN 'V'
            ELSE '-' END AS dla_action
FROM dla_seq q
WHERE q.dla_late = 0) l1) l2) l3) l4
WHERE l4.dla_action IN ('B', 'N', 'V', 'D', 'I');

-- dml: unknown member
INSERT INTO presentation.dim_customer (customer_sk, customer_id, city, tier, current_tier, valid_from, valid_to, is_current, dla_run_id, dla_updated_at)
SELECT -1, NULL, 'Unknown', 'Unknown', 'Unknown', '1900-01-01 00:00:00', '9999-12-31 00:00:00', 1, 'r1', strftime('%Y-%m-%d %H:%M:%S','now')
WHERE NOT EXISTS (SELECT 1 FROM presentation.dim_customer WHERE customer_sk = -1);

-- dml: expire changed versions
UPDATE presentation.dim_customer AS t
SET valid_to = x.dla_next_t, is_current = 0, dla_run_id = 'r1', dla_updated_at = strftime('%Y-%m-%d %H:%M:%S','now')
FROM dla_chg AS x
WHERE t.customer_sk = x.dla_sk AND x.dla_action = 'B' AND x.dla_dead = 0 AND x.dla_next_a = 'V';

-- dml: overwrite type 1 columns on every version
UPDATE presentation.dim_customer AS t
SET current_tier = x.current_tier, dla_run_id = 'r1', dla_updated_at = strftime('%Y-%m-%d %H:%M:%S','now')
FROM dla_chg AS x
WHERE t.customer_id = x.customer_id AND x.dla_first = 1
  AND ((t.current_tier IS NOT x.current_tier));

-- dml: insert new versions
INSERT INTO presentation.dim_customer (customer_sk, customer_id, city, tier, current_tier, valid_from, valid_to, is_current, dla_run_id, dla_updated_at)
SELECT (SELECT COALESCE(MAX(customer_sk), 0) FROM presentation.dim_customer WHERE customer_sk > 0) + ROW_NUMBER() OVER (ORDER BY x.customer_id, x.dla_t),
       x.customer_id, x.city, x.tier, x.current_tier,
       x.dla_eff, COALESCE(x.dla_next_t, '9999-12-31 00:00:00'), CASE WHEN x.dla_next_t IS NULL THEN 1 ELSE 0 END, 'r1', strftime('%Y-%m-%d %H:%M:%S','now')
FROM dla_chg AS x
WHERE x.dla_action IN ('N', 'V');

-- dml: fill columns added to the table
UPDATE presentation.dim_customer AS t
SET tier = x.tier, dla_run_id = 'r1', dla_updated_at = strftime('%Y-%m-%d %H:%M:%S','now')
FROM dla_chg AS x
WHERE t.customer_sk = x.dla_sk AND x.dla_action = 'B' AND x.dla_dead = 0
  AND ((t.tier IS NOT x.tier));

-- cleanup: drop dla_chg
DROP TABLE IF EXISTS temp.dla_chg;

-- cleanup: drop dla_seq
DROP TABLE IF EXISTS temp.dla_seq;

-- cleanup: drop dla_base
DROP TABLE IF EXISTS temp.dla_base;

-- cleanup: drop dla_stage
DROP TABLE IF EXISTS temp.dla_stage;

