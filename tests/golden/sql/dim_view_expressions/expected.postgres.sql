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
SELECT CAST(s.id AS BIGINT) AS id, s.color, CAST(s.n AS BIGINT) AS n, (CAST(s.changed_at AS TIMESTAMPTZ) AT TIME ZONE 'UTC') AS dla_t, 0 AS dla_del
FROM dla_views.v_src s;

-- check: duplicate keys
SELECT id, COUNT(*) AS dla_rows
FROM dla_stage
GROUP BY id
HAVING COUNT(*) > 1
ORDER BY id
LIMIT 5;

-- check: NULL keys
SELECT id
FROM dla_stage
WHERE id IS NULL
ORDER BY id
LIMIT 5;

-- check: change times
SELECT id, dla_t
FROM dla_stage
WHERE dla_t IS NULL OR dla_t >= TIMESTAMP '9999-12-31 00:00:00'
ORDER BY id
LIMIT 5;

-- ddl: latest version of each key
CREATE TEMPORARY TABLE dla_base AS
SELECT t.color_sk AS dla_sk, t.id, t.color, t.n, t.valid_from AS dla_bfrom, t.valid_to AS dla_bto,
       CASE WHEN t.is_current = TRUE THEN 0 ELSE 1 END AS dla_bclosed,
       CASE WHEN k.id IS NOT NULL AND t.is_current = TRUE AND NOT ((t.color IS DISTINCT FROM k.color) OR (t.n IS DISTINCT FROM k.n)) THEN 1 ELSE 0 END AS dla_same
FROM presentation.dim_color t
LEFT JOIN dla_stage k ON k.id = t.id
WHERE t.color_sk <> -1 AND t.is_current = TRUE
  AND (k.id IS NOT NULL);

-- ddl: events of each key
CREATE TEMPORARY TABLE dla_seq AS
SELECT b.id, b.color, b.n,
       b.dla_bfrom AS dla_t, 0 AS dla_o, 0 AS dla_del, b.dla_bclosed AS dla_dead, b.dla_sk, NULL AS dla_isk, b.dla_bfrom, b.dla_bto, b.dla_bclosed, 0 AS dla_late
FROM dla_base b
WHERE b.dla_same = 0
UNION ALL
SELECT s.id, s.color, s.n,
       s.dla_t, 1, s.dla_del, s.dla_del, b.dla_sk, NULL, b.dla_bfrom, b.dla_bto, b.dla_bclosed,
       CASE WHEN b.dla_sk IS NULL THEN 0
            WHEN s.dla_t <= b.dla_bfrom AND ((s.color IS DISTINCT FROM b.color) OR (s.n IS DISTINCT FROM b.n)) THEN 1
            ELSE 0 END
FROM dla_stage s
LEFT JOIN dla_base b ON b.id = s.id
WHERE b.dla_same IS NULL OR b.dla_same = 0;

-- check: back-dated rows
SELECT x.id, x.dla_t
FROM dla_seq x
LEFT JOIN presentation.dim_color v ON v.id = x.id AND v.valid_from <= x.dla_t AND x.dla_t < v.valid_to
WHERE x.dla_late = 1 AND x.dla_del = 0
  AND (v.color_sk IS NULL OR ((x.color IS DISTINCT FROM v.color) OR (x.n IS DISTINCT FROM v.n)))
ORDER BY x.id, x.dla_t
LIMIT 5;

-- ddl: compute change set
CREATE TEMPORARY TABLE dla_chg AS
SELECT l4.*,
       LEAD(l4.dla_eff) OVER (PARTITION BY l4.id ORDER BY l4.dla_o, l4.dla_t) AS dla_next_t, LEAD(l4.dla_action) OVER (PARTITION BY l4.id ORDER BY l4.dla_o, l4.dla_t) AS dla_next_a,
       ROW_NUMBER() OVER (PARTITION BY l4.id ORDER BY l4.dla_o, l4.dla_t) AS dla_first
FROM (SELECT l3.id, l3.dla_t, l3.dla_eff, l3.dla_o, l3.dla_del, l3.dla_dead, l3.dla_action, l3.dla_sk, l3.dla_isk,
             l3.color AS color,
             l3.n AS n
      FROM (SELECT l2.*
            FROM (SELECT l1.*,
                         SUM(CASE WHEN l1.dla_action IN ('B', 'N', 'V', 'D', 'I') THEN 1 ELSE 0 END) OVER (PARTITION BY l1.id ORDER BY l1.dla_o, l1.dla_t) AS dla_isl
                  FROM (SELECT q.id, q.color, q.n, q.dla_t, q.dla_o, q.dla_del, q.dla_dead, q.dla_sk, q.dla_isk,
       q.dla_t AS dla_eff,
       CASE WHEN LEAD(q.dla_o) OVER (PARTITION BY q.id ORDER BY q.dla_o, q.dla_t) IS NULL THEN 1 ELSE 0 END AS dla_klast,
       CASE WHEN q.dla_o = 0 THEN 'B'
            WHEN COALESCE(LAG(q.dla_dead) OVER (PARTITION BY q.id ORDER BY q.dla_o, q.dla_t), 1) = 1 THEN 'N'
            WHEN ((q.color IS DISTINCT FROM LAG(q.color) OVER (PARTITION BY q.id ORDER BY q.dla_o, q.dla_t)) OR (q.n IS DISTINCT FROM LAG(q.n) OVER (PARTITION BY q.id ORDER BY q.dla_o, q.dla_t))) THEN 'V'
            ELSE '-' END AS dla_action
FROM dla_seq q
WHERE q.dla_late = 0) l1) l2) l3) l4
WHERE l4.dla_action IN ('B', 'N', 'V', 'D', 'I');

-- dml: unknown member
INSERT INTO presentation.dim_color (color_sk, id, color, n, valid_from, valid_to, is_current, dla_run_id, dla_updated_at)
SELECT -1, NULL, 'Unknown', NULL, TIMESTAMP '1900-01-01 00:00:00', TIMESTAMP '9999-12-31 00:00:00', TRUE, '20260102T030405000000Z-1', (now() AT TIME ZONE 'UTC')
WHERE NOT EXISTS (SELECT 1 FROM presentation.dim_color WHERE color_sk = -1);

-- dml: expire changed versions
UPDATE presentation.dim_color AS t
SET valid_to = x.dla_next_t, is_current = FALSE, dla_run_id = '20260102T030405000000Z-1', dla_updated_at = (now() AT TIME ZONE 'UTC')
FROM dla_chg AS x
WHERE t.color_sk = x.dla_sk AND x.dla_action = 'B' AND x.dla_dead = 0 AND x.dla_next_a = 'V';

-- dml: insert new versions
INSERT INTO presentation.dim_color (color_sk, id, color, n, valid_from, valid_to, is_current, dla_run_id, dla_updated_at)
SELECT (SELECT COALESCE(MAX(color_sk), 0) FROM presentation.dim_color WHERE color_sk > 0) + ROW_NUMBER() OVER (ORDER BY x.id, x.dla_t),
       x.id, x.color, x.n,
       x.dla_eff, COALESCE(x.dla_next_t, TIMESTAMP '9999-12-31 00:00:00'), CASE WHEN x.dla_next_t IS NULL THEN TRUE ELSE FALSE END, '20260102T030405000000Z-1', (now() AT TIME ZONE 'UTC')
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

