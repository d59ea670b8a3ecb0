-- ddl: add new column
ALTER TABLE presentation.dim_event ADD COLUMN base_price NUMERIC(10,2);

-- ddl: drop stale dla_stage
DROP TABLE IF EXISTS temp.dla_stage;

-- ddl: drop stale dla_base
DROP TABLE IF EXISTS temp.dla_base;

-- ddl: drop stale dla_seq
DROP TABLE IF EXISTS temp.dla_seq;

-- ddl: drop stale dla_chg
DROP TABLE IF EXISTS temp.dla_chg;

-- ddl: stage source
CREATE TEMP TABLE dla_stage AS
SELECT s.event_id, s.event_name, s.base_price, '2026-01-01 00:00:00' AS dla_t, 0 AS dla_del
FROM staging.event s;

-- check: duplicate keys
SELECT event_id, COUNT(*) AS dla_rows
FROM dla_stage
GROUP BY event_id
HAVING COUNT(*) > 1
ORDER BY event_id
LIMIT 5;

-- check: NULL keys
SELECT event_id
FROM dla_stage
WHERE event_id IS NULL
ORDER BY event_id
LIMIT 5;

-- ddl: latest version of each key
CREATE TEMP TABLE dla_base AS
SELECT t.event_key AS dla_sk, t.event_id, t.event_name, t.base_price, 0 AS dla_bclosed,
       CASE WHEN k.event_id IS NOT NULL AND 1 = 1 AND NOT ((t.event_name IS NOT k.event_name) OR (t.base_price IS NOT k.base_price)) THEN 1 ELSE 0 END AS dla_same
FROM presentation.dim_event t
LEFT JOIN dla_stage k ON k.event_id = t.event_id
WHERE t.event_key <> -1
  AND (k.event_id IS NOT NULL);

-- ddl: events of each key
CREATE TEMP TABLE dla_seq AS
SELECT b.event_id, b.event_name, b.base_price,
       NULL AS dla_t, 0 AS dla_o, 0 AS dla_del, b.dla_bclosed AS dla_dead, b.dla_sk, NULL AS dla_isk, b.dla_bclosed, 0 AS dla_late
FROM dla_base b
WHERE b.dla_same = 0
UNION ALL
SELECT s.event_id, s.event_name, s.base_price,
       s.dla_t, 1, s.dla_del, s.dla_del, b.dla_sk, NULL, b.dla_bclosed,
       0
FROM dla_stage s
LEFT JOIN dla_base b ON b.event_id = s.event_id
WHERE b.dla_same IS NULL OR b.dla_same = 0;

-- ddl: compute change set
CREATE TEMP TABLE dla_chg AS
SELECT l4.*
FROM (SELECT l3.event_id, l3.dla_t, l3.dla_eff, l3.dla_o, l3.dla_del, l3.dla_dead, l3.dla_action, l3.dla_sk, l3.dla_isk,
             LAST_VALUE(l3.event_name) OVER (PARTITION BY l3.event_id, l3.dla_del ORDER BY l3.dla_o, l3.dla_t ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS event_name,
             LAST_VALUE(l3.base_price) OVER (PARTITION BY l3.event_id, l3.dla_del ORDER BY l3.dla_o, l3.dla_t ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS base_price,
             CASE WHEN l3.dla_klast = 0 THEN 1 ELSE l3.dla_dead END AS dla_fdead,
             CASE WHEN l3.dla_o = LAST_VALUE(l3.dla_o) OVER (PARTITION BY l3.event_id, l3.dla_del ORDER BY l3.dla_o, l3.dla_t ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
                  AND (l3.dla_o = 0 OR l3.dla_t = LAST_VALUE(l3.dla_t) OVER (PARTITION BY l3.event_id, l3.dla_del ORDER BY l3.dla_o, l3.dla_t ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)) THEN 1 ELSE 0 END AS dla_last
      FROM (SELECT l2.*
            FROM (SELECT l1.*,
                         SUM(CASE WHEN l1.dla_action IN ('B', 'N', 'V', 'D', 'I') THEN 1 ELSE 0 END) OVER (PARTITION BY l1.event_id ORDER BY l1.dla_o, l1.dla_t) AS dla_isl
                  FROM (SELECT q.event_id, q.event_name, q.base_price, q.dla_t, q.dla_o, q.dla_del, q.dla_dead, q.dla_sk, q.dla_isk,
       q.dla_t AS dla_eff,
       CASE WHEN LEAD(q.dla_o) OVER (PARTITION BY q.event_id ORDER BY q.dla_o, q.dla_t) IS NULL THEN 1 ELSE 0 END AS dla_klast,
       CASE WHEN q.dla_o = 0 THEN 'B'
            WHEN COALESCE(LAG(q.dla_dead) OVER (PARTITION BY q.event_id ORDER BY q.dla_o, q.dla_t), 1) = 1 THEN 'N'
            WHEN ((q.event_name IS NOT LAG(q.event_name) OVER (PARTITION BY q.event_id ORDER BY q.dla_o, q.dla_t)) OR (q.base_price IS NOT LAG(q.base_price) OVER (PARTITION BY q.event_id ORDER BY q.dla_o, q.dla_t))) THEN 'U'
            ELSE '-' END AS dla_action
FROM dla_seq q
WHERE q.dla_late = 0) l1) l2) l3) l4
WHERE l4.dla_del = 0 AND l4.dla_last = 1;

-- dml: update changed keys
UPDATE presentation.dim_event AS t
SET event_name = x.event_name, base_price = x.base_price, dla_run_id = 'r1', dla_updated_at = strftime('%Y-%m-%d %H:%M:%S','now')
FROM dla_chg AS x
WHERE t.event_key = x.dla_sk
  AND ((t.event_name IS NOT x.event_name) OR (t.base_price IS NOT x.base_price));

-- dml: insert new keys
INSERT INTO presentation.dim_event (event_key, event_id, event_name, base_price, dla_run_id, dla_updated_at)
SELECT (SELECT COALESCE(MAX(event_key), 0) FROM presentation.dim_event WHERE event_key > 0) + ROW_NUMBER() OVER (ORDER BY x.event_id),
       x.event_id, x.event_name, x.base_price, 'r1', strftime('%Y-%m-%d %H:%M:%S','now')
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

