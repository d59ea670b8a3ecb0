-- ddl: drop stale dla_stage
DROP TABLE IF EXISTS pg_temp.dla_stage;

-- ddl: drop stale dla_base
DROP TABLE IF EXISTS pg_temp.dla_base;

-- ddl: drop stale dla_seq
DROP TABLE IF EXISTS pg_temp.dla_seq;

-- ddl: drop stale dla_chg
DROP TABLE IF EXISTS pg_temp.dla_chg;

-- ddl: stage source
CREATE TEMPORARY TABLE dla_stage AS
SELECT s.account_id, s.city, s.segment, TIMESTAMP '2026-03-01 00:00:00' AS dla_t, 0 AS dla_del
FROM staging.account s;

-- check: duplicate keys
SELECT account_id, COUNT(*) AS dla_rows
FROM dla_stage
GROUP BY account_id
HAVING COUNT(*) > 1
ORDER BY account_id
LIMIT 5;

-- check: NULL keys
SELECT account_id
FROM dla_stage
WHERE account_id IS NULL
ORDER BY account_id
LIMIT 5;

-- ddl: latest version of each key
CREATE TEMPORARY TABLE dla_base AS
SELECT b.dla_sk, b.account_id, b.city, b.segment, b.dla_bfrom, b.dla_bto, b.dla_bclosed, b.dla_same
FROM (SELECT t.account_sk AS dla_sk, t.account_id, t.city, t.segment, t.row_start AS dla_bfrom, t.row_end AS dla_bto,
       CASE WHEN t.row_is_current = TRUE THEN 0 ELSE 1 END AS dla_bclosed,
       CASE WHEN k.account_id IS NOT NULL AND t.row_is_current = TRUE AND NOT ((t.city IS DISTINCT FROM k.city) OR (t.segment IS DISTINCT FROM k.segment)) THEN 1 ELSE 0 END AS dla_same,
       ROW_NUMBER() OVER (PARTITION BY t.account_id ORDER BY t.row_start DESC) AS dla_rn
      FROM presentation.dim_account t
      LEFT JOIN dla_stage k ON k.account_id = t.account_id
      WHERE t.account_sk <> -1
  AND (k.account_id IS NOT NULL OR t.row_is_current = TRUE)) b
WHERE b.dla_rn = 1;

-- ddl: events of each key
CREATE TEMPORARY TABLE dla_seq AS
SELECT b.account_id, b.city, b.segment,
       b.dla_bfrom AS dla_t, 0 AS dla_o, 0 AS dla_del, b.dla_bclosed AS dla_dead, b.dla_sk, NULL AS dla_isk, b.dla_bfrom, b.dla_bto, b.dla_bclosed, 0 AS dla_late
FROM dla_base b
WHERE b.dla_same = 0
UNION ALL
SELECT s.account_id, s.city, s.segment,
       s.dla_t, 1, s.dla_del, s.dla_del, b.dla_sk, NULL, b.dla_bfrom, b.dla_bto, b.dla_bclosed,
       CASE WHEN b.dla_sk IS NULL THEN 0
            WHEN b.dla_bclosed = 1 THEN 0
            WHEN s.dla_t <= b.dla_bfrom AND ((s.city IS DISTINCT FROM b.city)) THEN 1
            ELSE 0 END
FROM dla_stage s
LEFT JOIN dla_base b ON b.account_id = s.account_id
WHERE b.dla_same IS NULL OR b.dla_same = 0
UNION ALL
SELECT b.account_id, NULL, NULL,
       TIMESTAMP '2026-03-01 00:00:00', 1, 1, 1, b.dla_sk, NULL, b.dla_bfrom, b.dla_bto, b.dla_bclosed, CASE WHEN TIMESTAMP '2026-03-01 00:00:00' <= b.dla_bfrom THEN 1 ELSE 0 END
FROM dla_base b
LEFT JOIN (SELECT DISTINCT account_id FROM dla_stage) k ON k.account_id = b.account_id
WHERE b.dla_bclosed = 0 AND k.account_id IS NULL;

-- check: back-dated rows
SELECT x.account_id, x.dla_t
FROM dla_seq x
LEFT JOIN presentation.dim_account v ON v.account_id = x.account_id AND v.row_start <= x.dla_t AND x.dla_t < v.row_end
LEFT JOIN presentation.dim_account w ON w.account_id = v.account_id AND w.row_start = v.row_end AND v.row_is_deleted = TRUE
WHERE x.dla_late = 1 AND x.dla_del = 0
  AND (v.account_sk IS NULL OR ((x.city IS DISTINCT FROM v.city)))
  AND (w.account_sk IS NULL OR ((x.city IS DISTINCT FROM w.city)))
ORDER BY x.account_id, x.dla_t
LIMIT 5;

-- check: late closes
SELECT x.account_id, x.dla_bfrom AS row_start
FROM dla_seq x
LEFT JOIN presentation.dim_account e ON e.account_id = x.account_id AND e.row_end = x.dla_t AND e.row_is_deleted = TRUE
WHERE x.dla_late = 1 AND x.dla_del = 1 AND e.account_sk IS NULL
ORDER BY x.account_id
LIMIT 5;

-- ddl: compute change set
CREATE TEMPORARY TABLE dla_chg AS
SELECT l4.*,
       LEAD(l4.dla_eff) OVER (PARTITION BY l4.account_id ORDER BY l4.dla_o, l4.dla_t) AS dla_next_t, LEAD(l4.dla_action) OVER (PARTITION BY l4.account_id ORDER BY l4.dla_o, l4.dla_t) AS dla_next_a,
       ROW_NUMBER() OVER (PARTITION BY l4.account_id ORDER BY l4.dla_o, l4.dla_t) AS dla_first
FROM (SELECT l3.account_id, l3.dla_t, l3.dla_eff, l3.dla_o, l3.dla_del, l3.dla_dead, l3.dla_action, l3.dla_sk, l3.dla_isk,
             l3.city AS city,
             LAST_VALUE(l3.segment) OVER (PARTITION BY l3.account_id, l3.dla_del ORDER BY l3.dla_o, l3.dla_t ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS segment
      FROM (SELECT l2.*
            FROM (SELECT l1.*,
                         SUM(CASE WHEN l1.dla_action IN ('B', 'N', 'V', 'D', 'I') THEN 1 ELSE 0 END) OVER (PARTITION BY l1.account_id ORDER BY l1.dla_o, l1.dla_t) AS dla_isl
                  FROM (SELECT q.account_id, q.city, q.segment, q.dla_t, q.dla_o, q.dla_del, q.dla_dead, q.dla_sk, q.dla_isk,
       CASE WHEN q.dla_o = 1 AND q.dla_bclosed = 1 AND q.dla_t < q.dla_bto THEN q.dla_bto ELSE q.dla_t END AS dla_eff,
       CASE WHEN LEAD(q.dla_o) OVER (PARTITION BY q.account_id ORDER BY q.dla_o, q.dla_t) IS NULL THEN 1 ELSE 0 END AS dla_klast,
       CASE WHEN q.dla_o = 0 THEN 'B'
            WHEN q.dla_del = 1 THEN CASE WHEN COALESCE(LAG(q.dla_dead) OVER (PARTITION BY q.account_id ORDER BY q.dla_o, q.dla_t), 1) = 0 THEN 'D' ELSE '-' END
            WHEN COALESCE(LAG(q.dla_dead) OVER (PARTITION BY q.account_id ORDER BY q.dla_o, q.dla_t), 1) = 1 THEN 'N'
            WHEN ((q.city IS DISTINCT FROM LAG(q.city) OVER (PARTITION BY q.account_id ORDER BY q.dla_o, q.dla_t))) THEN 'V'
            WHEN ((q.segment IS DISTINCT FROM LAG(q.segment) OVER (PARTITION BY q.account_id ORDER BY q.dla_o, q.dla_t))) THEN 'U'
            ELSE '-' END AS dla_action
FROM dla_seq q
WHERE q.dla_late = 0) l1) l2) l3) l4
WHERE l4.dla_action IN ('B', 'N', 'V', 'D', 'I');

-- dml: unknown member
INSERT INTO presentation.dim_account (account_sk, account_id, city, segment, row_start, row_end, row_is_current, row_is_deleted, load_run, load_time)
SELECT -1, NULL, 'Unknown', 'Unknown', TIMESTAMP '1900-01-01 00:00:00', TIMESTAMP '9999-12-31 00:00:00', TRUE, FALSE, 'r6', (now() AT TIME ZONE 'UTC')
WHERE NOT EXISTS (SELECT 1 FROM presentation.dim_account WHERE account_sk = -1);

-- dml: expire changed versions
UPDATE presentation.dim_account AS t
SET row_end = x.dla_next_t, row_is_current = FALSE, load_run = 'r6', load_time = (now() AT TIME ZONE 'UTC')
FROM dla_chg AS x
WHERE t.account_sk = x.dla_sk AND x.dla_action = 'B' AND x.dla_dead = 0 AND x.dla_next_a = 'V';

-- dml: close deleted keys
UPDATE presentation.dim_account AS t
SET row_end = x.dla_next_t, row_is_current = FALSE, row_is_deleted = TRUE, load_run = 'r6', load_time = (now() AT TIME ZONE 'UTC')
FROM dla_chg AS x
WHERE t.account_sk = x.dla_sk AND x.dla_action = 'B' AND x.dla_dead = 0 AND x.dla_next_a = 'D';

-- dml: overwrite type 1 columns on every version
UPDATE presentation.dim_account AS t
SET segment = x.segment, load_run = 'r6', load_time = (now() AT TIME ZONE 'UTC')
FROM dla_chg AS x
WHERE t.account_id = x.account_id AND x.dla_first = 1
  AND ((t.segment IS DISTINCT FROM x.segment));

-- dml: insert new versions
INSERT INTO presentation.dim_account (account_sk, account_id, city, segment, row_start, row_end, row_is_current, row_is_deleted, load_run, load_time)
SELECT (SELECT COALESCE(MAX(account_sk), 0) FROM presentation.dim_account WHERE account_sk > 0) + ROW_NUMBER() OVER (ORDER BY x.account_id, x.dla_t),
       x.account_id, x.city, x.segment,
       x.dla_eff, COALESCE(x.dla_next_t, TIMESTAMP '9999-12-31 00:00:00'), CASE WHEN x.dla_next_t IS NULL THEN TRUE ELSE FALSE END, CASE WHEN x.dla_next_a = 'D' THEN TRUE ELSE FALSE END, 'r6', (now() AT TIME ZONE 'UTC')
FROM dla_chg AS x
WHERE x.dla_action IN ('N', 'V');

-- cleanup: drop dla_chg
DROP TABLE IF EXISTS pg_temp.dla_chg;

-- cleanup: drop dla_seq
DROP TABLE IF EXISTS pg_temp.dla_seq;

-- cleanup: drop dla_base
DROP TABLE IF EXISTS pg_temp.dla_base;

-- cleanup: drop dla_stage
DROP TABLE IF EXISTS pg_temp.dla_stage;

