-- v_venue: one row per venue, feeding dim_venue (type 2: capacity changes
-- after a renovation must not rewrite the history of past events).
--
-- size_class groups venues by seated/standing capacity for reporting:
--   under 2000 -> small, under 10000 -> medium, otherwise large.
-- capacity is cast explicitly so the comparison is numeric on every engine,
-- whatever type the staging column was loaded with.
SELECT
    v.venue_id,
    v.venue_name,
    v.city,
    CAST(v.capacity AS INTEGER) AS capacity,
    v.venue_type,
    CASE
        WHEN CAST(v.capacity AS INTEGER) < 2000 THEN 'small'
        WHEN CAST(v.capacity AS INTEGER) < 10000 THEN 'medium'
        ELSE 'large'
    END AS size_class,
    v.loaded_at
FROM staging.venue v
