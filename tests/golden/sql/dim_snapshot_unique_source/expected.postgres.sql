-- ddl: drop stale dla_chg
DROP TABLE IF EXISTS pg_temp.dla_chg;

-- ddl: business key index
CREATE INDEX IF NOT EXISTS dim_store_dla_bk ON presentation.dim_store (country_code, store_no, is_current);

-- ddl: compute change set
CREATE TEMPORARY TABLE dla_chg AS
SELECT s.country_code, s.store_no, s.name, s.manager,
       CASE WHEN c.store_key IS NULL THEN s.opened ELSE c.opened END AS opened,
       c.store_key AS dla_sk,
       CASE WHEN c.store_key IS NULL THEN 'N'
            WHEN ((s.name IS DISTINCT FROM c.name)) THEN CASE WHEN TIMESTAMP '2026-03-01 00:00:00' <= c.valid_from THEN 'L' ELSE 'V' END
            ELSE 'U' END AS dla_action
FROM staging.store s
LEFT JOIN presentation.dim_store c ON c.country_code = s.country_code AND c.store_no = s.store_no AND c.is_current = TRUE AND c.store_key <> -1
WHERE c.store_key IS NULL
   OR ((s.name IS DISTINCT FROM c.name) OR (s.manager IS DISTINCT FROM c.manager));

-- check: NULL keys
SELECT country_code, store_no
FROM dla_chg
WHERE dla_action = 'N' AND (country_code IS NULL OR store_no IS NULL)
ORDER BY country_code, store_no
LIMIT 5;

-- check: back-dated rows
SELECT x.country_code, x.store_no, TIMESTAMP '2026-03-01 00:00:00' AS dla_t
FROM dla_chg x
LEFT JOIN presentation.dim_store v ON v.country_code = x.country_code AND v.store_no = x.store_no AND v.valid_from <= TIMESTAMP '2026-03-01 00:00:00' AND TIMESTAMP '2026-03-01 00:00:00' < v.valid_to
WHERE x.dla_action = 'L'
  AND (v.store_key IS NULL OR ((x.name IS DISTINCT FROM v.name)))
ORDER BY x.country_code, x.store_no
LIMIT 5;

-- dml: unknown member
INSERT INTO presentation.dim_store (store_key, country_code, store_no, name, manager, opened, valid_from, valid_to, is_current, dla_run_id, dla_updated_at)
SELECT -1, NULL, NULL, 'Unknown', 'Unknown', NULL, TIMESTAMP '1900-01-01 00:00:00', TIMESTAMP '9999-12-31 00:00:00', TRUE, 'r7', (now() AT TIME ZONE 'UTC')
WHERE NOT EXISTS (SELECT 1 FROM presentation.dim_store WHERE store_key = -1);

-- dml: expire changed versions
UPDATE presentation.dim_store AS t
SET valid_to = TIMESTAMP '2026-03-01 00:00:00', is_current = FALSE, dla_run_id = 'r7', dla_updated_at = (now() AT TIME ZONE 'UTC')
FROM dla_chg AS x
WHERE t.store_key = x.dla_sk AND x.dla_action = 'V';

-- dml: overwrite type 1 columns on every version
UPDATE presentation.dim_store AS t
SET manager = x.manager, dla_run_id = 'r7', dla_updated_at = (now() AT TIME ZONE 'UTC')
FROM dla_chg AS x
WHERE t.country_code = x.country_code AND t.store_no = x.store_no AND x.dla_action IN ('V', 'U')
  AND ((t.manager IS DISTINCT FROM x.manager));

-- dml: insert new versions
INSERT INTO presentation.dim_store (store_key, country_code, store_no, name, manager, opened, valid_from, valid_to, is_current, dla_run_id, dla_updated_at)
SELECT (SELECT COALESCE(MAX(store_key), 0) FROM presentation.dim_store WHERE store_key > 0) + ROW_NUMBER() OVER (ORDER BY x.country_code, x.store_no),
       x.country_code, x.store_no, x.name, x.manager, x.opened,
       TIMESTAMP '2026-03-01 00:00:00', TIMESTAMP '9999-12-31 00:00:00', TRUE, 'r7', (now() AT TIME ZONE 'UTC')
FROM dla_chg AS x
WHERE x.dla_action IN ('N', 'V');

-- cleanup: drop dla_chg
DROP TABLE IF EXISTS pg_temp.dla_chg;

