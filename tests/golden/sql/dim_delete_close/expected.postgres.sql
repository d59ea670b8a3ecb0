-- ddl: create target table
CREATE TABLE presentation.dim_store (
    store_sk BIGINT NOT NULL,
    country_code TEXT,
    store_no BIGINT,
    city TEXT,
    manager TEXT,
    valid_from TIMESTAMP,
    valid_to TIMESTAMP,
    is_current BOOLEAN,
    is_deleted BOOLEAN,
    dla_run_id TEXT,
    dla_updated_at TIMESTAMP,
    PRIMARY KEY (store_sk)
);

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
SELECT s.country_code, s.store_no, s.city, s.manager, s.changed_at AS dla_t, 0 AS dla_del
FROM staging.store s;

-- check: duplicate keys
SELECT country_code, store_no, COUNT(*) AS dla_rows
FROM dla_stage
GROUP BY country_code, store_no
HAVING COUNT(*) > 1
ORDER BY country_code, store_no
LIMIT 5;

-- check: NULL keys
SELECT country_code, store_no
FROM dla_stage
WHERE country_code IS NULL OR store_no IS NULL
ORDER BY country_code, store_no
LIMIT 5;

-- check: change times
SELECT country_code, store_no, dla_t
FROM dla_stage
WHERE dla_t IS NULL OR dla_t >= TIMESTAMP '9999-12-31 00:00:00'
ORDER BY country_code, store_no
LIMIT 5;

-- ddl: latest version of each key
CREATE TEMPORARY TABLE dla_base AS
SELECT b.dla_sk, b.country_code, b.store_no, b.city, b.manager, b.dla_bfrom, b.dla_bto, b.dla_bclosed, b.dla_same
FROM (SELECT t.store_sk AS dla_sk, t.country_code, t.store_no, t.city, t.manager, t.valid_from AS dla_bfrom, t.valid_to AS dla_bto,
       CASE WHEN t.is_current = TRUE THEN 0 ELSE 1 END AS dla_bclosed,
       CASE WHEN k.country_code IS NOT NULL AND t.is_current = TRUE AND NOT ((t.city IS DISTINCT FROM k.city) OR (t.manager IS DISTINCT FROM k.manager)) THEN 1 ELSE 0 END AS dla_same,
       ROW_NUMBER() OVER (PARTITION BY t.country_code, t.store_no ORDER BY t.valid_from DESC) AS dla_rn
      FROM presentation.dim_store t
      LEFT JOIN dla_stage k ON k.country_code = t.country_code AND k.store_no = t.store_no
      WHERE t.store_sk <> -1
  AND (k.country_code IS NOT NULL OR t.is_current = TRUE)) b
WHERE b.dla_rn = 1;

-- ddl: events of each key
CREATE TEMPORARY TABLE dla_seq AS
SELECT b.country_code, b.store_no, b.city, b.manager,
       b.dla_bfrom AS dla_t, 0 AS dla_o, 0 AS dla_del, b.dla_bclosed AS dla_dead, b.dla_sk, NULL AS dla_isk, b.dla_bfrom, b.dla_bto, b.dla_bclosed, 0 AS dla_late
FROM dla_base b
WHERE b.dla_same = 0
UNION ALL
SELECT s.country_code, s.store_no, s.city, s.manager,
       s.dla_t, 1, s.dla_del, s.dla_del, b.dla_sk, NULL, b.dla_bfrom, b.dla_bto, b.dla_bclosed,
       CASE WHEN b.dla_sk IS NULL THEN 0
            WHEN b.dla_bclosed = 1 THEN 0
            WHEN s.dla_t <= b.dla_bfrom AND ((s.city IS DISTINCT FROM b.city)) THEN 1
            ELSE 0 END
FROM dla_stage s
LEFT JOIN dla_base b ON b.country_code = s.country_code AND b.store_no = s.store_no
WHERE b.dla_same IS NULL OR b.dla_same = 0
UNION ALL
SELECT b.country_code, b.store_no, NULL, NULL,
       TIMESTAMP '2026-03-01 00:00:00', 1, 1, 1, b.dla_sk, NULL, b.dla_bfrom, b.dla_bto, b.dla_bclosed, CASE WHEN TIMESTAMP '2026-03-01 00:00:00' <= b.dla_bfrom THEN 1 ELSE 0 END
FROM dla_base b
LEFT JOIN (SELECT DISTINCT country_code, store_no FROM dla_stage) k ON k.country_code = b.country_code AND k.store_no = b.store_no
WHERE b.dla_bclosed = 0 AND k.country_code IS NULL;

-- check: back-dated rows
SELECT x.country_code, x.store_no, x.dla_t
FROM dla_seq x
LEFT JOIN presentation.dim_store v ON v.country_code = x.country_code AND v.store_no = x.store_no AND v.valid_from <= x.dla_t AND x.dla_t < v.valid_to
LEFT JOIN presentation.dim_store w ON w.country_code = v.country_code AND w.store_no = v.store_no AND w.valid_from = v.valid_to AND v.is_deleted = TRUE
WHERE x.dla_late = 1 AND x.dla_del = 0
  AND (v.store_sk IS NULL OR ((x.city IS DISTINCT FROM v.city)))
  AND (w.store_sk IS NULL OR ((x.city IS DISTINCT FROM w.city)))
ORDER BY x.country_code, x.store_no, x.dla_t
LIMIT 5;

-- check: late closes
SELECT x.country_code, x.store_no, x.dla_bfrom AS valid_from
FROM dla_seq x
LEFT JOIN presentation.dim_store e ON e.country_code = x.country_code AND e.store_no = x.store_no AND e.valid_to = x.dla_t AND e.is_deleted = TRUE
WHERE x.dla_late = 1 AND x.dla_del = 1 AND e.store_sk IS NULL
ORDER BY x.country_code, x.store_no
LIMIT 5;

-- ddl: compute change set
CREATE TEMPORARY TABLE dla_chg AS
SELECT l4.*,
       LEAD(l4.dla_eff) OVER (PARTITION BY l4.country_code, l4.store_no ORDER BY l4.dla_o, l4.dla_t) AS dla_next_t, LEAD(l4.dla_action) OVER (PARTITION BY l4.country_code, l4.store_no ORDER BY l4.dla_o, l4.dla_t) AS dla_next_a,
       ROW_NUMBER() OVER (PARTITION BY l4.country_code, l4.store_no ORDER BY l4.dla_o, l4.dla_t) AS dla_first
FROM (SELECT l3.country_code, l3.store_no, l3.dla_t, l3.dla_eff, l3.dla_o, l3.dla_del, l3.dla_dead, l3.dla_action, l3.dla_sk, l3.dla_isk,
             l3.city AS city,
             LAST_VALUE(l3.manager) OVER (PARTITION BY l3.country_code, l3.store_no, l3.dla_del ORDER BY l3.dla_o, l3.dla_t ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS manager
      FROM (SELECT l2.*
            FROM (SELECT l1.*,
                         SUM(CASE WHEN l1.dla_action IN ('B', 'N', 'V', 'D', 'I') THEN 1 ELSE 0 END) OVER (PARTITION BY l1.country_code, l1.store_no ORDER BY l1.dla_o, l1.dla_t) AS dla_isl
                  FROM (SELECT q.country_code, q.store_no, q.city, q.manager, q.dla_t, q.dla_o, q.dla_del, q.dla_dead, q.dla_sk, q.dla_isk,
       CASE WHEN q.dla_o = 1 AND q.dla_bclosed = 1 AND q.dla_t < q.dla_bto THEN q.dla_bto ELSE q.dla_t END AS dla_eff,
       CASE WHEN LEAD(q.dla_o) OVER (PARTITION BY q.country_code, q.store_no ORDER BY q.dla_o, q.dla_t) IS NULL THEN 1 ELSE 0 END AS dla_klast,
       CASE WHEN q.dla_o = 0 THEN 'B'
            WHEN q.dla_del = 1 THEN CASE WHEN COALESCE(LAG(q.dla_dead) OVER (PARTITION BY q.country_code, q.store_no ORDER BY q.dla_o, q.dla_t), 1) = 0 THEN 'D' ELSE '-' END
            WHEN COALESCE(LAG(q.dla_dead) OVER (PARTITION BY q.country_code, q.store_no ORDER BY q.dla_o, q.dla_t), 1) = 1 THEN 'N'
            WHEN ((q.city IS DISTINCT FROM LAG(q.city) OVER (PARTITION BY q.country_code, q.store_no ORDER BY q.dla_o, q.dla_t))) THEN 'V'
            WHEN ((q.manager IS DISTINCT FROM LAG(q.manager) OVER (PARTITION BY q.country_code, q.store_no ORDER BY q.dla_o, q.dla_t))) THEN 'U'
            ELSE '-' END AS dla_action
FROM dla_seq q
WHERE q.dla_late = 0) l1) l2) l3) l4
WHERE l4.dla_action IN ('B', 'N', 'V', 'D', 'I');

-- dml: unknown member
INSERT INTO presentation.dim_store (store_sk, country_code, store_no, city, manager, valid_from, valid_to, is_current, is_deleted, dla_run_id, dla_updated_at)
SELECT -1, NULL, NULL, 'Unknown', 'Unknown', TIMESTAMP '1900-01-01 00:00:00', TIMESTAMP '9999-12-31 00:00:00', TRUE, FALSE, 'r2', (now() AT TIME ZONE 'UTC')
WHERE NOT EXISTS (SELECT 1 FROM presentation.dim_store WHERE store_sk = -1);

-- dml: expire changed versions
UPDATE presentation.dim_store AS t
SET valid_to = x.dla_next_t, is_current = FALSE, dla_run_id = 'r2', dla_updated_at = (now() AT TIME ZONE 'UTC')
FROM dla_chg AS x
WHERE t.store_sk = x.dla_sk AND x.dla_action = 'B' AND x.dla_dead = 0 AND x.dla_next_a = 'V';

-- dml: close deleted keys
UPDATE presentation.dim_store AS t
SET valid_to = x.dla_next_t, is_current = FALSE, is_deleted = TRUE, dla_run_id = 'r2', dla_updated_at = (now() AT TIME ZONE 'UTC')
FROM dla_chg AS x
WHERE t.store_sk = x.dla_sk AND x.dla_action = 'B' AND x.dla_dead = 0 AND x.dla_next_a = 'D';

-- dml: overwrite type 1 columns on every version
UPDATE presentation.dim_store AS t
SET manager = x.manager, dla_run_id = 'r2', dla_updated_at = (now() AT TIME ZONE 'UTC')
FROM dla_chg AS x
WHERE t.country_code = x.country_code AND t.store_no = x.store_no AND x.dla_first = 1
  AND ((t.manager IS DISTINCT FROM x.manager));

-- dml: insert new versions
INSERT INTO presentation.dim_store (store_sk, country_code, store_no, city, manager, valid_from, valid_to, is_current, is_deleted, dla_run_id, dla_updated_at)
SELECT (SELECT COALESCE(MAX(store_sk), 0) FROM presentation.dim_store WHERE store_sk > 0) + ROW_NUMBER() OVER (ORDER BY x.country_code, x.store_no, x.dla_t),
       x.country_code, x.store_no, x.city, x.manager,
       x.dla_eff, COALESCE(x.dla_next_t, TIMESTAMP '9999-12-31 00:00:00'), CASE WHEN x.dla_next_t IS NULL THEN TRUE ELSE FALSE END, CASE WHEN x.dla_next_a = 'D' THEN TRUE ELSE FALSE END, 'r2', (now() AT TIME ZONE 'UTC')
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

