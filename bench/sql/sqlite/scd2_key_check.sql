-- The duplicate-key check every snapshot loader owes its users (SPEC: a
-- duplicate business key fails the load, even when the rows equal the
-- stored version): one aggregation of the source's key.  bench_scd.sh
-- prepends it to the hand-written batch and scan for the "+ key check"
-- figures (the plain hand-written SQL checks nothing).
SELECT customer_id, COUNT(*) AS n FROM staging.src_customer GROUP BY customer_id HAVING COUNT(*) > 1 ORDER BY customer_id LIMIT 5;
