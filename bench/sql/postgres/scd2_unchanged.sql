-- The unchanged rerun's floor (postgres): one scan of source and target, the
-- change detection every load must do (bench_scd.sh, 'unchanged rerun').
SELECT COUNT(*) AS changed
FROM staging.src_customer s
LEFT JOIN presentation.dim_customer d ON d.customer_id = s.customer_id AND d.is_current
WHERE d.customer_sk IS NULL
   OR s.a01 IS DISTINCT FROM d.a01 OR s.a02 IS DISTINCT FROM d.a02 OR s.a03 IS DISTINCT FROM d.a03 OR s.a04 IS DISTINCT FROM d.a04 OR s.a05 IS DISTINCT FROM d.a05 OR s.a06 IS DISTINCT FROM d.a06 OR
   s.a07 IS DISTINCT FROM d.a07 OR s.a08 IS DISTINCT FROM d.a08 OR s.a09 IS DISTINCT FROM d.a09 OR s.a10 IS DISTINCT FROM d.a10 OR s.a11 IS DISTINCT FROM d.a11 OR s.a12 IS DISTINCT FROM d.a12;
