-- v_attendance: one row per gate scan (grain scan_id), the source of
-- fact_attendance.
--
-- Business rules:
--   * A scan is tied to its ticket line (order_id, line_no) to find who
--     bought it.  LEFT JOIN: complimentary / guest-list tickets are scanned
--     but have no sale, so their customer_id is NULL and the fact maps them
--     to the unknown customer (-1) instead of dropping the scan.
--   * venue_id comes from the event, so the fact can pick the venue version
--     valid at the time of the scan.
--   * scan_date (YYYY-MM-DD) is the key to dim_date.
--   * is_late_entry = 1 when the scan happened after the event started.
--     (Minutes-before-start would need engine-specific date arithmetic, so it
--     is left out to keep this view portable.)
SELECT
    g.scan_id,
    g.order_id,
    g.line_no,
    s.customer_id,
    g.event_id,
    e.venue_id,
    g.gate,
    g.scanned_at,
    CAST(SUBSTR(CAST(g.scanned_at AS VARCHAR(32)), 1, 10) AS VARCHAR(10)) AS scan_date,
    CASE
        WHEN g.scanned_at > e.starts_at THEN 1
        ELSE 0
    END AS is_late_entry,
    CASE
        WHEN s.order_id IS NULL THEN 1
        ELSE 0
    END AS is_complimentary,
    g.loaded_at
FROM staging.gate_scan g
LEFT JOIN v_ticket_sales s
    ON s.order_id = g.order_id
   AND s.line_no = g.line_no
LEFT JOIN v_event e
    ON e.event_id = g.event_id
