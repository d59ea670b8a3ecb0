-- ddl: add new column
ALTER TABLE presentation.dim_event ADD COLUMN base_price NUMERIC(10,2);

-- ddl: drop stale stage
DROP TABLE IF EXISTS pg_temp.dla_stage;

-- ddl: drop stale change set
DROP TABLE IF EXISTS pg_temp.dla_chg;

-- ddl: stage source
CREATE TEMPORARY TABLE dla_stage AS
SELECT s.event_id, s.event_name, s.base_price, TIMESTAMP '2026-01-01 00:00:00' AS dla_t
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
LIMIT 5;

-- ddl: compute change set
CREATE TEMPORARY TABLE dla_chg AS
SELECT s.event_id, s.event_name, s.base_price, s.dla_t,
       c.event_key AS dla_cur_sk,
       CASE WHEN c.event_key IS NULL THEN 'N'
            ELSE 'U' END AS dla_action
FROM dla_stage s
LEFT JOIN presentation.dim_event c ON c.event_id = s.event_id
WHERE c.event_key IS NULL OR ((s.event_name IS DISTINCT FROM c.event_name) OR (s.base_price IS DISTINCT FROM c.base_price));

-- dml: overwrite type 1 columns on every version
UPDATE presentation.dim_event AS t
SET event_name = x.event_name, base_price = x.base_price, dla_run_id = 'r1', dla_updated_at = (now() AT TIME ZONE 'UTC')
FROM dla_chg AS x
WHERE t.event_id = x.event_id AND x.dla_action IN ('U', 'V')
  AND ((t.event_name IS DISTINCT FROM x.event_name) OR (t.base_price IS DISTINCT FROM x.base_price));

-- dml: insert new versions
INSERT INTO presentation.dim_event (event_key, event_id, event_name, base_price, dla_run_id, dla_updated_at)
SELECT (SELECT COALESCE(MAX(event_key), 0) FROM presentation.dim_event WHERE event_key > 0) + ROW_NUMBER() OVER (ORDER BY x.event_id),
       x.event_id, x.event_name, x.base_price, 'r1', (now() AT TIME ZONE 'UTC')
FROM dla_chg AS x
WHERE x.dla_action IN ('N', 'V');

-- cleanup: drop change set
DROP TABLE IF EXISTS pg_temp.dla_chg;

-- cleanup: drop stage
DROP TABLE IF EXISTS pg_temp.dla_stage;

