-- ddl: add new column
ALTER TABLE presentation.dim_event ADD COLUMN base_price NUMBER(10,2);

-- ddl: drop stale dla_chg
DROP TABLE IF EXISTS dla_chg;

-- check: duplicate keys
SELECT event_id, COUNT(*) AS dla_rows
FROM staging.event
GROUP BY event_id
HAVING COUNT(*) > 1
ORDER BY event_id
LIMIT 5;

-- ddl: compute change set
CREATE TEMPORARY TABLE dla_chg AS
SELECT s.event_id, s.event_name, s.base_price,
       c.event_key AS dla_sk,
       CASE WHEN c.event_key IS NULL THEN 'N'
            ELSE 'U' END AS dla_action
FROM staging.event s
LEFT JOIN presentation.dim_event c ON c.event_id = s.event_id AND c.event_key <> -1
WHERE c.event_key IS NULL
   OR ((s.event_name IS DISTINCT FROM c.event_name) OR (s.base_price IS DISTINCT FROM c.base_price));

-- check: duplicate keys in the change set
SELECT event_id, COUNT(*) AS dla_rows
FROM dla_chg
GROUP BY event_id
HAVING COUNT(*) > 1
ORDER BY event_id
LIMIT 5;

-- check: NULL keys
SELECT event_id
FROM dla_chg
WHERE dla_action = 'N' AND (event_id IS NULL)
ORDER BY event_id
LIMIT 5;

-- dml: update changed keys
UPDATE presentation.dim_event AS t
SET event_name = x.event_name, base_price = x.base_price, dla_run_id = 'r1', dla_updated_at = SYSDATE()
FROM dla_chg AS x
WHERE t.event_key = x.dla_sk
  AND ((t.event_name IS DISTINCT FROM x.event_name) OR (t.base_price IS DISTINCT FROM x.base_price));

-- dml: insert new keys
INSERT INTO presentation.dim_event (event_key, event_id, event_name, base_price, dla_run_id, dla_updated_at)
SELECT (SELECT COALESCE(MAX(event_key), 0) FROM presentation.dim_event WHERE event_key > 0) + ROW_NUMBER() OVER (ORDER BY x.event_id),
       x.event_id, x.event_name, x.base_price, 'r1', SYSDATE()
FROM dla_chg AS x
WHERE x.dla_action = 'N';

-- cleanup: drop dla_chg
DROP TABLE IF EXISTS dla_chg;

