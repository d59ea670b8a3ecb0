-- The SCD2 batch by hand (sqlite): what bench_scd.sh compares 'dla run' with.
-- Semantics of the dla load of bench/models (snapshot, as-of time @AS_OF@):
-- expire the current version of keys whose type 2 columns changed,
-- overwrite the type 1 columns on every version of changed keys, insert
-- the new versions and new keys with surrogate keys max + row_number.
-- One transaction (bench/sqlrun.c).
CREATE TEMP TABLE chg AS
SELECT s.customer_id, s.a01, s.a02, s.a03, s.a04, s.a05, s.a06, s.a07, s.a08, s.a09, s.a10, s.a11, s.a12,
       d.customer_sk AS old_sk,
       CASE WHEN d.customer_sk IS NULL THEN 'N'
            WHEN s.a07 IS NOT d.a07 OR s.a08 IS NOT d.a08 OR s.a09 IS NOT d.a09 OR s.a10 IS NOT d.a10 OR s.a11 IS NOT d.a11 OR s.a12 IS NOT d.a12 THEN 'V'
            ELSE 'U' END AS act
FROM staging.src_customer s
LEFT JOIN presentation.dim_customer d ON d.customer_id = s.customer_id AND d.is_current = 1
WHERE d.customer_sk IS NULL
   OR s.a01 IS NOT d.a01 OR s.a02 IS NOT d.a02 OR s.a03 IS NOT d.a03 OR s.a04 IS NOT d.a04 OR s.a05 IS NOT d.a05 OR s.a06 IS NOT d.a06
   OR s.a07 IS NOT d.a07 OR s.a08 IS NOT d.a08 OR s.a09 IS NOT d.a09 OR s.a10 IS NOT d.a10 OR s.a11 IS NOT d.a11 OR s.a12 IS NOT d.a12;
UPDATE presentation.dim_customer
SET valid_to = '@AS_OF@', is_current = 0, dla_run_id = 'hand', dla_updated_at = strftime('%Y-%m-%d %H:%M:%S','now')
WHERE customer_sk IN (SELECT old_sk FROM chg WHERE act = 'V');
UPDATE presentation.dim_customer AS t
SET a01 = c.a01, a02 = c.a02, a03 = c.a03, a04 = c.a04, a05 = c.a05, a06 = c.a06, dla_run_id = 'hand', dla_updated_at = strftime('%Y-%m-%d %H:%M:%S','now')
FROM chg AS c
WHERE t.customer_id = c.customer_id AND c.act <> 'N'
  AND (t.a01 IS NOT c.a01 OR t.a02 IS NOT c.a02 OR t.a03 IS NOT c.a03 OR t.a04 IS NOT c.a04 OR t.a05 IS NOT c.a05 OR t.a06 IS NOT c.a06);
INSERT INTO presentation.dim_customer (customer_sk, customer_id, a01, a02, a03, a04, a05, a06, a07, a08, a09, a10, a11, a12, valid_from, valid_to, is_current, dla_run_id, dla_updated_at)
SELECT (SELECT MAX(customer_sk) FROM presentation.dim_customer) + ROW_NUMBER() OVER (ORDER BY c.customer_id),
       c.customer_id, c.a01, c.a02, c.a03, c.a04, c.a05, c.a06, c.a07, c.a08, c.a09, c.a10, c.a11, c.a12,
       '@AS_OF@', '9999-12-31 00:00:00', 1, 'hand', strftime('%Y-%m-%d %H:%M:%S','now')
FROM chg AS c WHERE c.act IN ('N', 'V');
