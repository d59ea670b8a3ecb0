-- ddl: create target table
CREATE TABLE presentation.dim_customer (
    customer_sk INTEGER NOT NULL,
    customer_id INTEGER,
    op TEXT,
    city TEXT,
    row_start TEXT,
    row_end TEXT,
    row_is_current INTEGER,
    row_is_deleted INTEGER,
    load_run TEXT,
    load_time TEXT,
    PRIMARY KEY (customer_sk)
);

-- ddl: drop stale dla_stage
DROP TABLE IF EXISTS temp.dla_stage;

-- ddl: drop stale dla_base
DROP TABLE IF EXISTS temp.dla_base;

-- ddl: drop stale dla_seq
DROP TABLE IF EXISTS temp.dla_seq;

-- ddl: drop stale dla_chg
DROP TABLE IF EXISTS temp.dla_chg;

-- ddl: create dla_stage
CREATE TEMPORARY TABLE dla_stage (customer_id INTEGER, op TEXT, city TEXT, dla_t TEXT, dla_del INTEGER);

-- ddl: stage source
INSERT INTO dla_stage (customer_id, op, city, dla_t, dla_del)
SELECT s.customer_id, s.op, s.city, (CASE WHEN typeof(s.changed_at) <> 'text' THEN s.changed_at
     WHEN length(s.changed_at) = 19 AND substr(s.changed_at, 11, 1) = ' ' THEN s.changed_at
     WHEN s.changed_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' THEN s.changed_at || ' 00:00:00'
     WHEN NOT s.changed_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]*' THEN s.changed_at
     WHEN substr(s.changed_at, 17) GLOB '*[zZ+-]*' THEN coalesce(rtrim(rtrim(strftime('%Y-%m-%d %H:%M:%f', s.changed_at), '0'), '.'), s.changed_at)
     WHEN length(s.changed_at) = 16 THEN substr(s.changed_at, 1, 10) || ' ' || substr(s.changed_at, 12) || ':00'
     ELSE substr(s.changed_at, 1, 10) || ' ' || substr(s.changed_at, 12, 8) || CASE WHEN substr(s.changed_at, 20, 1) = '.' AND rtrim(substr(s.changed_at, 21, 6), '0') <> '' THEN '.' || rtrim(substr(s.changed_at, 21, 6), '0') ELSE '' END END) AS dla_t,
       CASE WHEN (op IN ('D', 'X')) THEN 1 ELSE 0 END AS dla_del
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
WHERE dla_t IS NULL
ORDER BY customer_id
LIMIT 5;

-- ddl: latest version of each key
CREATE TEMP TABLE dla_base AS
SELECT b.dla_sk, b.customer_id, b.op, b.city, b.dla_bfrom, b.dla_bto, b.dla_bclosed, b.dla_same
FROM (SELECT t.customer_sk AS dla_sk, t.customer_id, t.op, t.city, t.row_start AS dla_bfrom, t.row_end AS dla_bto,
       CASE WHEN t.row_is_current = 1 THEN 0 ELSE 1 END AS dla_bclosed, 0 AS dla_same,
       ROW_NUMBER() OVER (PARTITION BY t.customer_id ORDER BY t.row_start DESC) AS dla_rn
      FROM presentation.dim_customer t
      LEFT JOIN (SELECT DISTINCT customer_id FROM dla_stage) k ON k.customer_id = t.customer_id
      WHERE t.customer_sk <> -1
  AND (k.customer_id IS NOT NULL)) b
WHERE b.dla_rn = 1;

-- ddl: events of each key
CREATE TEMP TABLE dla_seq AS
SELECT b.customer_id, b.op, b.city,
       b.dla_bfrom AS dla_t, 0 AS dla_o, 0 AS dla_del, b.dla_bclosed AS dla_dead, b.dla_sk, NULL AS dla_isk, b.dla_bfrom, b.dla_bto, b.dla_bclosed, 0 AS dla_late
FROM dla_base b
UNION ALL
SELECT s.customer_id, s.op, s.city,
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
LEFT JOIN presentation.dim_customer v ON v.customer_id = x.customer_id AND v.row_start <= x.dla_t AND (v.row_end IS NULL OR x.dla_t < v.row_end)
LEFT JOIN presentation.dim_customer w ON w.customer_id = v.customer_id AND w.row_start = v.row_end AND v.row_is_deleted = 1
WHERE x.dla_late = 1 AND x.dla_del = 0
  AND (v.customer_sk IS NULL OR ((x.op IS NOT v.op) OR (x.city IS NOT v.city)))
  AND (w.customer_sk IS NULL OR ((x.op IS NOT w.op) OR (x.city IS NOT w.city)))
ORDER BY x.customer_id, x.dla_t
LIMIT 5;

-- check: back-dated deletes
SELECT x.customer_id, x.dla_t
FROM dla_seq x
LEFT JOIN presentation.dim_customer e ON e.customer_id = x.customer_id AND e.row_end = x.dla_t
LEFT JOIN presentation.dim_customer v ON v.customer_id = x.customer_id AND v.row_start <= x.dla_t AND (v.row_end IS NULL OR x.dla_t < v.row_end)
WHERE x.dla_late = 1 AND x.dla_del = 1 AND e.customer_sk IS NULL AND v.customer_sk IS NOT NULL
ORDER BY x.customer_id, x.dla_t
LIMIT 5;

-- ddl: compute change set
CREATE TEMP TABLE dla_chg AS
SELECT l4.*,
       LEAD(l4.dla_eff) OVER (PARTITION BY l4.customer_id ORDER BY l4.dla_o, l4.dla_t) AS dla_next_t, LEAD(l4.dla_action) OVER (PARTITION BY l4.customer_id ORDER BY l4.dla_o, l4.dla_t) AS dla_next_a,
       ROW_NUMBER() OVER (PARTITION BY l4.customer_id ORDER BY l4.dla_o, l4.dla_t) AS dla_first
FROM (SELECT l3.customer_id, l3.dla_t, l3.dla_eff, l3.dla_o, l3.dla_del, l3.dla_dead, l3.dla_action, l3.dla_sk, l3.dla_isk,
             l3.op AS op,
             l3.city AS city
      FROM (SELECT l2.*
            FROM (SELECT l1.*,
                         SUM(CASE WHEN l1.dla_action IN ('B', 'N', 'V', 'D', 'I') THEN 1 ELSE 0 END) OVER (PARTITION BY l1.customer_id ORDER BY l1.dla_o, l1.dla_t) AS dla_isl
                  FROM (SELECT q.customer_id, q.op, q.city, q.dla_t, q.dla_o, q.dla_del, q.dla_dead, q.dla_sk, q.dla_isk,
       CASE WHEN q.dla_o = 1 AND q.dla_bclosed = 1 AND q.dla_t < q.dla_bto THEN q.dla_bto ELSE q.dla_t END AS dla_eff,
       CASE WHEN LEAD(q.dla_o) OVER (PARTITION BY q.customer_id ORDER BY q.dla_o, q.dla_t) IS NULL THEN 1 ELSE 0 END AS dla_klast,
       CASE WHEN q.dla_o = 0 THEN 'B'
            WHEN q.dla_del = 1 THEN CASE WHEN COALESCE(LAG(q.dla_dead) OVER (PARTITION BY q.customer_id ORDER BY q.dla_o, q.dla_t), 1) = 0 THEN 'D' ELSE '-' END
            WHEN COALESCE(LAG(q.dla_dead) OVER (PARTITION BY q.customer_id ORDER BY q.dla_o, q.dla_t), 1) = 1 THEN 'N'
            WHEN ((q.op IS NOT LAG(q.op) OVER (PARTITION BY q.customer_id ORDER BY q.dla_o, q.dla_t)) OR (q.city IS NOT LAG(q.city) OVER (PARTITION BY q.customer_id ORDER BY q.dla_o, q.dla_t))) THEN 'V'
            ELSE '-' END AS dla_action
FROM dla_seq q
WHERE q.dla_late = 0) l1) l2) l3) l4
WHERE l4.dla_action IN ('B', 'N', 'V', 'D', 'I');

-- dml: unknown member
INSERT INTO presentation.dim_customer (customer_sk, customer_id, op, city, row_start, row_end, row_is_current, row_is_deleted, load_run, load_time)
SELECT -1, NULL, 'Unknown', 'Unknown', '1900-01-01 00:00:00', NULL, 1, 0, 'r5', strftime('%Y-%m-%d %H:%M:%S','now')
WHERE NOT EXISTS (SELECT 1 FROM presentation.dim_customer WHERE customer_sk = -1);

-- dml: expire changed versions
UPDATE presentation.dim_customer AS t
SET row_end = x.dla_next_t, row_is_current = 0, load_run = 'r5', load_time = strftime('%Y-%m-%d %H:%M:%S','now')
FROM dla_chg AS x
WHERE t.customer_sk = x.dla_sk AND x.dla_action = 'B' AND x.dla_dead = 0 AND x.dla_next_a = 'V';

-- dml: close deleted keys
UPDATE presentation.dim_customer AS t
SET row_end = x.dla_next_t, row_is_current = 0, row_is_deleted = 1, load_run = 'r5', load_time = strftime('%Y-%m-%d %H:%M:%S','now')
FROM dla_chg AS x
WHERE t.customer_sk = x.dla_sk AND x.dla_action = 'B' AND x.dla_dead = 0 AND x.dla_next_a = 'D';

-- dml: insert new versions
INSERT INTO presentation.dim_customer (customer_sk, customer_id, op, city, row_start, row_end, row_is_current, row_is_deleted, load_run, load_time)
SELECT (SELECT COALESCE(MAX(customer_sk), 0) FROM presentation.dim_customer WHERE customer_sk > 0) + ROW_NUMBER() OVER (ORDER BY x.customer_id, x.dla_t),
       x.customer_id, x.op, x.city,
       x.dla_eff, x.dla_next_t, CASE WHEN x.dla_next_t IS NULL THEN 1 ELSE 0 END, CASE WHEN x.dla_next_a = 'D' THEN 1 ELSE 0 END, 'r5', strftime('%Y-%m-%d %H:%M:%S','now')
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

