-- ddl: drop stale dla_stage
DROP TABLE IF EXISTS temp.dla_stage;

-- ddl: drop stale dla_base
DROP TABLE IF EXISTS temp.dla_base;

-- ddl: drop stale dla_seq
DROP TABLE IF EXISTS temp.dla_seq;

-- ddl: drop stale dla_chg
DROP TABLE IF EXISTS temp.dla_chg;

-- ddl: create dla_stage
CREATE TEMPORARY TABLE dla_stage (venue_id INTEGER, venue_name TEXT, tier TEXT, dla_t TEXT, dla_del INTEGER);

-- ddl: stage source
INSERT INTO dla_stage (venue_id, venue_name, tier, dla_t, dla_del)
SELECT s.venue_id, s.venue_name, s.tier, '2026-03-01 00:00:00' AS dla_t, 0 AS dla_del
FROM staging.venue s;

-- check: duplicate keys
SELECT venue_id, COUNT(*) AS dla_rows
FROM dla_stage
GROUP BY venue_id
HAVING COUNT(*) > 1
ORDER BY venue_id
LIMIT 5;

-- check: NULL keys
SELECT venue_id
FROM dla_stage
WHERE venue_id IS NULL
ORDER BY venue_id
LIMIT 5;

-- ddl: latest version of each key
CREATE TEMP TABLE dla_base AS
SELECT t.venue_sk AS dla_sk, t.venue_id, t.venue_name, t.tier, t.previous_tier,
       CASE WHEN t.is_deleted = 1 THEN 1 ELSE 0 END AS dla_bclosed,
       CASE WHEN k.venue_id IS NOT NULL AND COALESCE(t.is_deleted, 0) = 0 AND NOT ((t.venue_name IS NOT k.venue_name) OR (t.tier IS NOT k.tier)) THEN 1 ELSE 0 END AS dla_same
FROM presentation.dim_venue t
LEFT JOIN dla_stage k ON k.venue_id = t.venue_id
WHERE t.venue_sk <> -1
  AND (k.venue_id IS NOT NULL OR COALESCE(t.is_deleted, 0) = 0);

-- ddl: events of each key
CREATE TEMP TABLE dla_seq AS
SELECT b.venue_id, b.venue_name, b.tier, b.previous_tier AS dla_pp_tier,
       NULL AS dla_t, 0 AS dla_o, 0 AS dla_del, b.dla_bclosed AS dla_dead, b.dla_sk, NULL AS dla_isk, b.dla_bclosed, 0 AS dla_late
FROM dla_base b
WHERE b.dla_same = 0
UNION ALL
SELECT s.venue_id, s.venue_name, s.tier, NULL,
       s.dla_t, 1, s.dla_del, s.dla_del, b.dla_sk, NULL, b.dla_bclosed,
       0
FROM dla_stage s
LEFT JOIN dla_base b ON b.venue_id = s.venue_id
WHERE b.dla_same IS NULL OR b.dla_same = 0
UNION ALL
SELECT b.venue_id, NULL, NULL, NULL,
       '2026-03-01 00:00:00', 1, 1, 1, b.dla_sk, NULL, b.dla_bclosed, 0
FROM dla_base b
LEFT JOIN (SELECT DISTINCT venue_id FROM dla_stage) k ON k.venue_id = b.venue_id
WHERE b.dla_bclosed = 0 AND k.venue_id IS NULL;

-- ddl: compute change set
CREATE TEMP TABLE dla_chg AS
SELECT l4.*
FROM (SELECT l3.venue_id, l3.dla_t, l3.dla_eff, l3.dla_o, l3.dla_del, l3.dla_dead, l3.dla_action, l3.dla_sk, l3.dla_isk,
             LAST_VALUE(l3.venue_name) OVER (PARTITION BY l3.venue_id, l3.dla_del ORDER BY l3.dla_o, l3.dla_t ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS venue_name,
             LAST_VALUE(l3.tier) OVER (PARTITION BY l3.venue_id, l3.dla_del ORDER BY l3.dla_o, l3.dla_t ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS tier,
             LAST_VALUE(l3.dla_pv_tier) OVER (PARTITION BY l3.venue_id, l3.dla_del ORDER BY l3.dla_o, l3.dla_t ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS previous_tier,
             CASE WHEN l3.dla_klast = 0 THEN 1 ELSE l3.dla_dead END AS dla_fdead,
             CASE WHEN l3.dla_o = LAST_VALUE(l3.dla_o) OVER (PARTITION BY l3.venue_id, l3.dla_del ORDER BY l3.dla_o, l3.dla_t ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
                  AND (l3.dla_o = 0 OR l3.dla_t = LAST_VALUE(l3.dla_t) OVER (PARTITION BY l3.venue_id, l3.dla_del ORDER BY l3.dla_o, l3.dla_t ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)) THEN 1 ELSE 0 END AS dla_last
      FROM (SELECT l2.*,
                   FIRST_VALUE(l2.dla_p3_tier) OVER (PARTITION BY l2.venue_id, l2.dla_del, l2.dla_i3_tier ORDER BY l2.dla_o, l2.dla_t) AS dla_pv_tier
            FROM (SELECT l1.*,
                         SUM(CASE WHEN l1.dla_action IN ('B', 'N', 'V', 'D', 'I') THEN 1 ELSE 0 END) OVER (PARTITION BY l1.venue_id ORDER BY l1.dla_o, l1.dla_t) AS dla_isl,
                         SUM(l1.dla_c3_tier) OVER (PARTITION BY l1.venue_id ORDER BY l1.dla_o, l1.dla_t) AS dla_i3_tier
                  FROM (SELECT q.venue_id, q.venue_name, q.tier, q.dla_t, q.dla_o, q.dla_del, q.dla_dead, q.dla_sk, q.dla_isk,
       q.dla_t AS dla_eff,
       CASE WHEN LEAD(q.dla_o) OVER (PARTITION BY q.venue_id ORDER BY q.dla_o, q.dla_t) IS NULL THEN 1 ELSE 0 END AS dla_klast,
       CASE WHEN q.dla_o = 0 THEN 'B'
            WHEN q.dla_del = 1 THEN CASE WHEN COALESCE(LAG(q.dla_dead) OVER (PARTITION BY q.venue_id ORDER BY q.dla_o, q.dla_t), 1) = 0 THEN 'D' ELSE '-' END
            WHEN COALESCE(LAG(q.dla_dead) OVER (PARTITION BY q.venue_id ORDER BY q.dla_o, q.dla_t), 1) = 1 THEN 'N'
            WHEN ((q.venue_name IS NOT LAG(q.venue_name) OVER (PARTITION BY q.venue_id ORDER BY q.dla_o, q.dla_t)) OR (q.tier IS NOT LAG(q.tier) OVER (PARTITION BY q.venue_id ORDER BY q.dla_o, q.dla_t))) THEN 'U'
            ELSE '-' END AS dla_action,
       CASE WHEN q.dla_o = 0 THEN q.dla_pp_tier ELSE LAG(q.tier) OVER (PARTITION BY q.venue_id, q.dla_del ORDER BY q.dla_o, q.dla_t) END AS dla_p3_tier,
       CASE WHEN q.dla_o = 1 AND q.dla_del = 0 AND (q.tier IS NOT LAG(q.tier) OVER (PARTITION BY q.venue_id, q.dla_del ORDER BY q.dla_o, q.dla_t)) THEN 1 ELSE 0 END AS dla_c3_tier
FROM dla_seq q
WHERE q.dla_late = 0) l1) l2) l3) l4
WHERE l4.dla_del = 0 AND l4.dla_last = 1;

-- dml: unknown member
INSERT INTO presentation.dim_venue (venue_sk, venue_id, venue_name, tier, previous_tier, is_deleted, dla_run_id, dla_updated_at)
SELECT -1, NULL, 'Unknown', 'Unknown', NULL, 0, 'r3', strftime('%Y-%m-%d %H:%M:%S','now')
WHERE NOT EXISTS (SELECT 1 FROM presentation.dim_venue WHERE venue_sk = -1);

-- dml: flag deleted keys
UPDATE presentation.dim_venue AS t
SET is_deleted = 1, dla_run_id = 'r3', dla_updated_at = strftime('%Y-%m-%d %H:%M:%S','now')
FROM dla_chg AS x
WHERE t.venue_sk = x.dla_sk AND x.dla_fdead = 1 AND COALESCE(t.is_deleted, 0) = 0;

-- dml: update changed keys
UPDATE presentation.dim_venue AS t
SET venue_name = x.venue_name, tier = x.tier, previous_tier = x.previous_tier, is_deleted = CASE WHEN x.dla_fdead = 1 THEN 1 ELSE 0 END, dla_run_id = 'r3', dla_updated_at = strftime('%Y-%m-%d %H:%M:%S','now')
FROM dla_chg AS x
WHERE t.venue_sk = x.dla_sk
  AND ((t.venue_name IS NOT x.venue_name) OR (t.tier IS NOT x.tier) OR (t.previous_tier IS NOT x.previous_tier) OR (x.dla_fdead = 0 AND t.is_deleted = 1));

-- dml: insert new keys
INSERT INTO presentation.dim_venue (venue_sk, venue_id, venue_name, tier, previous_tier, is_deleted, dla_run_id, dla_updated_at)
SELECT (SELECT COALESCE(MAX(venue_sk), 0) FROM presentation.dim_venue WHERE venue_sk > 0) + ROW_NUMBER() OVER (ORDER BY x.venue_id),
       x.venue_id, x.venue_name, x.tier, x.previous_tier, CASE WHEN x.dla_fdead = 1 THEN 1 ELSE 0 END, 'r3', strftime('%Y-%m-%d %H:%M:%S','now')
FROM dla_chg AS x
WHERE x.dla_sk IS NULL AND x.dla_isk IS NULL;

-- cleanup: drop dla_chg
DROP TABLE IF EXISTS temp.dla_chg;

-- cleanup: drop dla_seq
DROP TABLE IF EXISTS temp.dla_seq;

-- cleanup: drop dla_base
DROP TABLE IF EXISTS temp.dla_base;

-- cleanup: drop dla_stage
DROP TABLE IF EXISTS temp.dla_stage;

