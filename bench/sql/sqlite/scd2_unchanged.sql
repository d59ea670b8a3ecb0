-- The unchanged rerun's floor (sqlite): one scan of source and target, the
-- change detection every load must do (bench_scd.sh, 'unchanged rerun').
SELECT COUNT(*) AS changed
FROM staging.src_customer s
LEFT JOIN presentation.dim_customer d ON d.customer_id = s.customer_id AND d.is_current = 1
WHERE d.customer_sk IS NULL
   OR s.a01 IS NOT d.a01 OR s.a02 IS NOT d.a02 OR s.a03 IS NOT d.a03 OR s.a04 IS NOT d.a04 OR s.a05 IS NOT d.a05 OR s.a06 IS NOT d.a06 OR
   s.a07 IS NOT d.a07 OR s.a08 IS NOT d.a08 OR s.a09 IS NOT d.a09 OR s.a10 IS NOT d.a10 OR s.a11 IS NOT d.a11 OR s.a12 IS NOT d.a12;
