-- ddl: drop stale dla_stage
DROP TABLE IF EXISTS temp.dla_stage;

-- ddl: drop stale dla_base
DROP TABLE IF EXISTS temp.dla_base;

-- ddl: drop stale dla_seq
DROP TABLE IF EXISTS temp.dla_seq;

-- ddl: drop stale dla_chg
DROP TABLE IF EXISTS temp.dla_chg;

-- ddl: create dla_stage
CREATE TEMPORARY TABLE dla_stage (customer_id INTEGER, full_name TEXT, email TEXT, country TEXT, segment TEXT, signup_channel TEXT, dla_t TEXT, dla_del INTEGER);

-- ddl: stage source
INSERT INTO dla_stage (customer_id, full_name, email, country, segment, signup_channel, dla_t, dla_del)
SELECT s.customer_id, s.full_name, s.email, s.country, s.segment, s.signup_channel, (CASE WHEN typeof(s.changed_at) <> 'text' THEN s.changed_at
     WHEN length(s.changed_at) = 19 AND substr(s.changed_at, 11, 1) = ' ' THEN s.changed_at
     WHEN s.changed_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' THEN s.changed_at || ' 00:00:00'
     WHEN NOT s.changed_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]*' THEN s.changed_at
     WHEN substr(s.changed_at, 17) GLOB '*[zZ+-]*' THEN coalesce(rtrim(rtrim(strftime('%Y-%m-%d %H:%M:%f', s.changed_at), '0'), '.'), s.changed_at)
     WHEN length(s.changed_at) = 16 THEN substr(s.changed_at, 1, 10) || ' ' || substr(s.changed_at, 12) || ':00'
     ELSE substr(s.changed_at, 1, 10) || ' ' || substr(s.changed_at, 12, 8) || CASE WHEN substr(s.changed_at, 20, 1) = '.' AND rtrim(substr(s.changed_at, 21, 6), '0') <> '' THEN '.' || rtrim(substr(s.changed_at, 21, 6), '0') ELSE '' END END) AS dla_t,
       CASE WHEN (op = 'D') THEN 1 ELSE 0 END AS dla_del
FROM staging.customer_cdc s;

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
SELECT b.dla_sk, b.customer_id, b.full_name, b.email, b.country, b.previous_country, b.segment, b.signup_channel, b.dla_bfrom, b.dla_bto, b.dla_bclosed, b.dla_same
FROM (SELECT t.customer_sk AS dla_sk, t.customer_id, t.full_name, t.email, t.country, t.previous_country, t.segment, t.signup_channel, t.valid_from AS dla_bfrom, t.valid_to AS dla_bto,
       CASE WHEN t.is_current = 1 THEN 0 ELSE 1 END AS dla_bclosed, 0 AS dla_same,
       ROW_NUMBER() OVER (PARTITION BY t.customer_id ORDER BY t.valid_from DESC) AS dla_rn
      FROM presentation.dim_customer t
      LEFT JOIN (SELECT DISTINCT customer_id FROM dla_stage) k ON k.customer_id = t.customer_id
      WHERE t.customer_sk <> -1
  AND (k.customer_id IS NOT NULL)) b
WHERE b.dla_rn = 1;

-- ddl: events of each key
CREATE TEMP TABLE dla_seq AS
SELECT b.customer_id, b.full_name, b.email, b.country, b.segment, b.signup_channel, b.previous_country AS dla_pp_country,
       b.dla_bfrom AS dla_t, 0 AS dla_o, 0 AS dla_del, b.dla_bclosed AS dla_dead, b.dla_sk, NULL AS dla_isk, b.dla_bfrom, b.dla_bto, b.dla_bclosed, 0 AS dla_late
FROM dla_base b
UNION ALL
SELECT s.customer_id, s.full_name, s.email, s.country, s.segment, s.signup_channel, NULL,
       s.dla_t, 1, s.dla_del, s.dla_del, b.dla_sk, NULL, b.dla_bfrom, b.dla_bto, b.dla_bclosed,
       CASE WHEN b.dla_sk IS NULL THEN 0
            WHEN s.dla_del = 1 AND b.dla_bclosed = 1 THEN CASE WHEN s.dla_t < b.dla_bto THEN 1 ELSE 0 END
            WHEN s.dla_del = 1 THEN CASE WHEN s.dla_t <= b.dla_bfrom THEN 1 ELSE 0 END
            WHEN b.dla_bclosed = 1 THEN CASE WHEN s.dla_t < b.dla_bto THEN 1 ELSE 0 END
            WHEN s.dla_t <= b.dla_bfrom THEN 1
            ELSE 0 END
FROM dla_stage s
LEFT JOIN dla_base b ON b.customer_id = s.customer_id;

-- check: back-dated rows
SELECT x.customer_id, x.dla_t
FROM dla_seq x
LEFT JOIN presentation.dim_customer v ON v.customer_id = x.customer_id AND v.valid_from <= x.dla_t AND x.dla_t < v.valid_to
LEFT JOIN presentation.dim_customer w ON w.customer_id = v.customer_id AND w.valid_from = v.valid_to AND v.is_deleted = 1
WHERE x.dla_late = 1 AND x.dla_del = 0
  AND (v.customer_sk IS NULL OR ((x.full_name IS NOT v.full_name) OR (x.segment IS NOT v.segment)))
  AND (w.customer_sk IS NULL OR ((x.full_name IS NOT w.full_name) OR (x.segment IS NOT w.segment)))
ORDER BY x.customer_id, x.dla_t
LIMIT 5;

-- check: back-dated deletes
SELECT x.customer_id, x.dla_t
FROM dla_seq x
LEFT JOIN presentation.dim_customer e ON e.customer_id = x.customer_id AND e.valid_to = x.dla_t
LEFT JOIN presentation.dim_customer v ON v.customer_id = x.customer_id AND v.valid_from <= x.dla_t AND x.dla_t < v.valid_to
WHERE x.dla_late = 1 AND x.dla_del = 1 AND e.customer_sk IS NULL AND v.customer_sk IS NOT NULL
ORDER BY x.customer_id, x.dla_t
LIMIT 5;

-- ddl: compute change set
CREATE TEMP TABLE dla_chg AS
SELECT l4.*,
       LEAD(l4.dla_eff) OVER (PARTITION BY l4.customer_id ORDER BY l4.dla_o, l4.dla_t) AS dla_next_t, LEAD(l4.dla_action) OVER (PARTITION BY l4.customer_id ORDER BY l4.dla_o, l4.dla_t) AS dla_next_a,
       ROW_NUMBER() OVER (PARTITION BY l4.customer_id ORDER BY l4.dla_o, l4.dla_t) AS dla_first
FROM (SELECT l3.customer_id, l3.dla_t, l3.dla_eff, l3.dla_o, l3.dla_del, l3.dla_dead, l3.dla_action, l3.dla_sk, l3.dla_isk,
             l3.full_name AS full_name,
             LAST_VALUE(l3.email) OVER (PARTITION BY l3.customer_id, l3.dla_del ORDER BY l3.dla_o, l3.dla_t ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS email,
             LAST_VALUE(l3.country) OVER (PARTITION BY l3.customer_id, l3.dla_isl ORDER BY l3.dla_o, l3.dla_t ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS country,
             LAST_VALUE(l3.dla_pv_country) OVER (PARTITION BY l3.customer_id, l3.dla_isl ORDER BY l3.dla_o, l3.dla_t ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS previous_country,
             l3.segment AS segment,
             LAST_VALUE(l3.segment) OVER (PARTITION BY l3.customer_id, l3.dla_del ORDER BY l3.dla_o, l3.dla_t ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS current_segment,
             FIRST_VALUE(l3.signup_channel) OVER (PARTITION BY l3.customer_id, l3.dla_del ORDER BY l3.dla_o, l3.dla_t ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS signup_channel
      FROM (SELECT l2.*,
                   FIRST_VALUE(l2.dla_p3_country) OVER (PARTITION BY l2.customer_id, l2.dla_del, l2.dla_i3_country ORDER BY l2.dla_o, l2.dla_t) AS dla_pv_country
            FROM (SELECT l1.*,
                         SUM(CASE WHEN l1.dla_action IN ('B', 'N', 'V', 'D', 'I') THEN 1 ELSE 0 END) OVER (PARTITION BY l1.customer_id ORDER BY l1.dla_o, l1.dla_t) AS dla_isl,
                         SUM(l1.dla_c3_country) OVER (PARTITION BY l1.customer_id ORDER BY l1.dla_o, l1.dla_t) AS dla_i3_country
                  FROM (SELECT q.customer_id, q.full_name, q.email, q.country, q.segment, q.signup_channel, q.dla_t, q.dla_o, q.dla_del, q.dla_dead, q.dla_sk, q.dla_isk,
       CASE WHEN q.dla_o = 1 AND q.dla_bclosed = 1 AND q.dla_t < q.dla_bto THEN q.dla_bto ELSE q.dla_t END AS dla_eff,
       CASE WHEN LEAD(q.dla_o) OVER (PARTITION BY q.customer_id ORDER BY q.dla_o, q.dla_t) IS NULL THEN 1 ELSE 0 END AS dla_klast,
       CASE WHEN q.dla_o = 0 THEN 'B'
            WHEN q.dla_del = 1 THEN CASE WHEN COALESCE(LAG(q.dla_dead) OVER (PARTITION BY q.customer_id ORDER BY q.dla_o, q.dla_t), 1) = 0 THEN 'D' ELSE '-' END
            WHEN COALESCE(LAG(q.dla_dead) OVER (PARTITION BY q.customer_id ORDER BY q.dla_o, q.dla_t), 1) = 1 THEN 'N'
            WHEN ((q.full_name IS NOT LAG(q.full_name) OVER (PARTITION BY q.customer_id ORDER BY q.dla_o, q.dla_t)) OR (q.segment IS NOT LAG(q.segment) OVER (PARTITION BY q.customer_id ORDER BY q.dla_o, q.dla_t))) THEN 'V'
            WHEN ((q.email IS NOT LAG(q.email) OVER (PARTITION BY q.customer_id ORDER BY q.dla_o, q.dla_t)) OR (q.country IS NOT LAG(q.country) OVER (PARTITION BY q.customer_id ORDER BY q.dla_o, q.dla_t))) THEN 'U'
            ELSE '-' END AS dla_action,
       CASE WHEN q.dla_o = 0 THEN q.dla_pp_country ELSE LAG(q.country) OVER (PARTITION BY q.customer_id, q.dla_del ORDER BY q.dla_o, q.dla_t) END AS dla_p3_country,
       CASE WHEN q.dla_o = 1 AND q.dla_del = 0 AND (q.country IS NOT LAG(q.country) OVER (PARTITION BY q.customer_id, q.dla_del ORDER BY q.dla_o, q.dla_t)) THEN 1 ELSE 0 END AS dla_c3_country
FROM dla_seq q
WHERE q.dla_late = 0) l1) l2) l3) l4
WHERE l4.dla_action IN ('B', 'N', 'V', 'D', 'I');

-- dml: unknown member
INSERT INTO presentation.dim_customer (customer_sk, customer_id, full_name, email, country, previous_country, segment, current_segment, signup_channel, valid_from, valid_to, is_current, is_deleted, dla_run_id, dla_updated_at)
SELECT -1, NULL, 'Unknown', 'Unknown', 'Unknown', NULL, 'Unknown', 'Unknown', 'Unknown', '1900-01-01 00:00:00', '9999-12-31 00:00:00', 1, 0, 'r1', strftime('%Y-%m-%d %H:%M:%S','now')
WHERE NOT EXISTS (SELECT 1 FROM presentation.dim_customer WHERE customer_sk = -1);

-- dml: expire changed versions
UPDATE presentation.dim_customer AS t
SET valid_to = x.dla_next_t, is_current = 0, dla_run_id = 'r1', dla_updated_at = strftime('%Y-%m-%d %H:%M:%S','now')
FROM dla_chg AS x
WHERE t.customer_sk = x.dla_sk AND x.dla_action = 'B' AND x.dla_dead = 0 AND x.dla_next_a = 'V';

-- dml: close deleted keys
UPDATE presentation.dim_customer AS t
SET valid_to = x.dla_next_t, is_current = 0, is_deleted = 1, dla_run_id = 'r1', dla_updated_at = strftime('%Y-%m-%d %H:%M:%S','now')
FROM dla_chg AS x
WHERE t.customer_sk = x.dla_sk AND x.dla_action = 'B' AND x.dla_dead = 0 AND x.dla_next_a = 'D';

-- dml: move type 3 values to their previous column
UPDATE presentation.dim_customer AS t
SET country = x.country, previous_country = x.previous_country, dla_run_id = 'r1', dla_updated_at = strftime('%Y-%m-%d %H:%M:%S','now')
FROM dla_chg AS x
WHERE t.customer_sk = x.dla_sk AND x.dla_action = 'B' AND x.dla_dead = 0
  AND ((t.country IS NOT x.country) OR (t.previous_country IS NOT x.previous_country));

-- dml: overwrite type 1 columns on every version
UPDATE presentation.dim_customer AS t
SET email = x.email, current_segment = x.current_segment, dla_run_id = 'r1', dla_updated_at = strftime('%Y-%m-%d %H:%M:%S','now')
FROM dla_chg AS x
WHERE t.customer_id = x.customer_id AND x.dla_first = 1
  AND ((t.email IS NOT x.email) OR (t.current_segment IS NOT x.current_segment));

-- dml: insert new versions
INSERT INTO presentation.dim_customer (customer_sk, customer_id, full_name, email, country, previous_country, segment, current_segment, signup_channel, valid_from, valid_to, is_current, is_deleted, dla_run_id, dla_updated_at)
SELECT (SELECT COALESCE(MAX(customer_sk), 0) FROM presentation.dim_customer WHERE customer_sk > 0) + ROW_NUMBER() OVER (ORDER BY x.customer_id, x.dla_t),
       x.customer_id, x.full_name, x.email, x.country, x.previous_country, x.segment, x.current_segment, x.signup_channel,
       x.dla_eff, COALESCE(x.dla_next_t, '9999-12-31 00:00:00'), CASE WHEN x.dla_next_t IS NULL THEN 1 ELSE 0 END, CASE WHEN x.dla_next_a = 'D' THEN 1 ELSE 0 END, 'r1', strftime('%Y-%m-%d %H:%M:%S','now')
FROM dla_chg AS x
WHERE x.dla_action IN ('N', 'V');

-- cleanup: drop dla_chg
DROP TABLE IF EXISTS temp.dla_chg;

-- cleanup: drop dla_seq
DROP TABLE IF EXISTS temp.dla_seq;

-- cleanup: drop dla_base
DROP TABLE IF EXISTS temp.dla_base;

-- cleanup: drop dla_stage
DROP TABLE IF EXISTS temp.dla_stage;

