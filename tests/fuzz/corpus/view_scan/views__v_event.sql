-- v_event: one row per event with the venue it takes place in, feeding
-- dim_event (type 1: corrections to names and categories simply overwrite).
--
-- Business rules:
--   * venue_name / venue_city are denormalised from the venue so Tableau can
--     filter events without joining dim_venue.
--   * event_date (YYYY-MM-DD text) is cut from starts_at with SUBSTR over a
--     VARCHAR cast: portable across SQLite, PostgreSQL and Snowflake, whether
--     starts_at was loaded as text or as a timestamp.  It is the role-playing
--     key to dim_date (event date) in fact_ticket_sales.
--   * start_time is HH:MM, same technique.
--   * price_band buckets the list price: under 30 budget, under 60 standard,
--     otherwise premium.
--   * A LEFT JOIN keeps an event whose venue is missing from staging (its
--     venue columns are then NULL) rather than silently dropping it.
SELECT
    e.event_id,
    e.venue_id,
    v.venue_name,
    v.city AS venue_city,
    e.event_name,
    e.category,
    e.starts_at,
    CAST(SUBSTR(CAST(e.starts_at AS VARCHAR(32)), 1, 10) AS VARCHAR(10)) AS event_date,
    CAST(SUBSTR(CAST(e.starts_at AS VARCHAR(32)), 12, 5) AS VARCHAR(5)) AS start_time,
    CAST(e.base_price AS DECIMAL(12, 2)) AS base_price,
    CASE
        WHEN CAST(e.base_price AS DECIMAL(12, 2)) < 30 THEN 'budget'
        WHEN CAST(e.base_price AS DECIMAL(12, 2)) < 60 THEN 'standard'
        ELSE 'premium'
    END AS price_band,
    e.loaded_at
FROM staging.event e
LEFT JOIN staging.venue v
    ON v.venue_id = e.venue_id
