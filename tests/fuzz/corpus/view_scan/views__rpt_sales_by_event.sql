-- dla: tags: [reporting, tableau]
-- rpt_sales_by_event: Tableau-facing sales summary, one row per event (and
-- venue name/city as they were when the tickets were sold).
--
-- Joins the fact to its dimensions on surrogate keys only: dim_event is
-- type 1 (always the corrected name/category), dim_venue is type 2 and the
-- fact holds the venue version valid at the time of each sale.  Unknown
-- members (key -1) show up as 'Unknown' rather than being dropped.
--   orders             distinct orders with at least one line for the event
--   tickets_sold       sum of quantities
--   gross/discount/net the amounts from v_ticket_sales, summed
--   avg_net_ticket_price  net revenue per ticket, 2 decimals.  "* 1.0" forces
--                      a non-integer division on SQLite (where a whole
--                      DECIMAL is stored as an integer); ROUND then gets a
--                      numeric on PostgreSQL, which has ROUND(numeric, int).
SELECT
    e.event_id,
    e.event_name,
    e.category,
    e.event_date,
    e.price_band,
    v.venue_name,
    v.city AS venue_city,
    COUNT(DISTINCT f.order_id) AS orders,
    COUNT(*) AS order_lines,
    SUM(f.quantity) AS tickets_sold,
    SUM(f.gross_amount) AS gross_amount,
    SUM(f.discount_amount) AS discount_amount,
    SUM(f.net_amount) AS net_amount,
    SUM(f.list_amount) AS list_amount,
    CASE
        WHEN SUM(f.quantity) > 0
            THEN ROUND(CAST(SUM(f.net_amount) AS DECIMAL(14, 2)) * 1.0 / SUM(f.quantity), 2)
    END AS avg_net_ticket_price
FROM presentation.fact_ticket_sales f
JOIN presentation.dim_event e
    ON e.event_sk = f.event_sk
JOIN presentation.dim_venue v
    ON v.venue_sk = f.venue_sk
GROUP BY
    e.event_id,
    e.event_name,
    e.category,
    e.event_date,
    e.price_band,
    v.venue_name,
    v.city
