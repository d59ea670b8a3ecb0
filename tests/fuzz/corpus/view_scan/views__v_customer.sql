-- v_customer: one row per customer, the conformed customer image that feeds
-- dim_customer (a snapshot source: every staging row, one per customer_id).
--
-- Business rules:
--   * full_name is "first last" for labels in Tableau.
--   * email is trimmed and lower-cased, so a source system that re-sends an
--     address in another letter case does NOT count as a change.
--   * loyalty_segment buckets the loyalty tier for marketing:
--       platinum, gold -> premium;  silver -> standard;  bronze -> basic;
--       anything else (including a missing tier) -> unassigned.
--     dim_customer keeps it as a type 3 column (previous_loyalty_segment).
--   * loaded_at is the time the row last changed in the source system; the
--     dimension uses it as effective_from (so it is not an attribute).
SELECT
    c.customer_id,
    c.first_name,
    c.last_name,
    c.first_name || ' ' || c.last_name AS full_name,
    LOWER(TRIM(c.email)) AS email,
    c.city,
    c.country,
    LOWER(c.tier) AS tier,
    CASE
        WHEN LOWER(c.tier) IN ('platinum', 'gold') THEN 'premium'
        WHEN LOWER(c.tier) = 'silver' THEN 'standard'
        WHEN LOWER(c.tier) = 'bronze' THEN 'basic'
        ELSE 'unassigned'
    END AS loyalty_segment,
    c.loaded_at
FROM staging.customer c
