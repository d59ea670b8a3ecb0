-- dla: tags: [reporting, tableau]
-- rpt_event_attendance: Tableau-facing turnout per event: tickets sold
-- (fact_ticket_sales) against gate scans (fact_attendance).
--
-- Both facts are aggregated to the event surrogate key first, then joined to
-- dim_event, so neither fact multiplies the other.  The unknown event member
-- (NULL business key) is left out.
--   paid_scans          scans of sold tickets (complimentary excluded)
--   no_shows            tickets sold that were never scanned
--   attendance_rate     paid_scans / tickets_sold, 4 decimals; NULL when no
--                       ticket was sold ("* 1.0": no integer division on SQLite)
SELECT
    e.event_id,
    e.event_name,
    e.category,
    e.event_date,
    e.venue_name,
    e.venue_city,
    COALESCE(t.tickets_sold, 0) AS tickets_sold,
    COALESCE(a.scans, 0) AS scans,
    COALESCE(a.paid_scans, 0) AS paid_scans,
    COALESCE(a.complimentary_scans, 0) AS complimentary_scans,
    COALESCE(a.late_entries, 0) AS late_entries,
    COALESCE(t.tickets_sold, 0) - COALESCE(a.paid_scans, 0) AS no_shows,
    CASE
        WHEN COALESCE(t.tickets_sold, 0) > 0
            THEN ROUND(CAST(COALESCE(a.paid_scans, 0) AS DECIMAL(12, 4)) * 1.0 / t.tickets_sold, 4)
    END AS attendance_rate
FROM presentation.dim_event e
LEFT JOIN (
    SELECT
        f.event_sk,
        SUM(f.quantity) AS tickets_sold
    FROM presentation.fact_ticket_sales f
    GROUP BY f.event_sk
) t
    ON t.event_sk = e.event_sk
LEFT JOIN (
    SELECT
        s.event_sk,
        COUNT(*) AS scans,
        SUM(1 - s.is_complimentary) AS paid_scans,
        SUM(s.is_complimentary) AS complimentary_scans,
        SUM(s.is_late_entry) AS late_entries
    FROM presentation.fact_attendance s
    GROUP BY s.event_sk
) a
    ON a.event_sk = e.event_sk
WHERE e.event_id IS NOT NULL
