-- v_ticket_sales: one row per order line (grain order_id, line_no), the
-- source of fact_ticket_sales.
--
-- Business rules:
--   * gross_amount    = quantity * unit_price (what the customer was charged
--                       before any discount)
--   * discount_amount = the line discount, 0 when none was given (NULL in
--                       staging means "no discount")
--   * net_amount      = gross_amount - discount_amount (recognised revenue)
--   * list_amount     = quantity * the event's base (list) price, so analysts
--                       can compare dynamic pricing with the list price
--   * is_discounted   = 1 when a discount was applied, else 0
--   * sale_date       = the calendar day of sold_at, YYYY-MM-DD text (portable
--                       SUBSTR over a VARCHAR cast), key to dim_date
--   * venue_id / event_date come from v_event so the fact can look up the
--     venue version valid at the time of the sale and the event's date.
-- Numbers are cast explicitly so arithmetic is numeric on every engine.
SELECT
    s.order_id,
    s.line_no,
    s.customer_id,
    s.event_id,
    e.venue_id,
    s.channel,
    CAST(s.quantity AS INTEGER) AS quantity,
    CAST(s.unit_price AS DECIMAL(12, 2)) AS unit_price,
    e.base_price,
    CAST(s.quantity AS INTEGER) * CAST(s.unit_price AS DECIMAL(12, 2)) AS gross_amount,
    COALESCE(CAST(s.discount AS DECIMAL(12, 2)), 0) AS discount_amount,
    CAST(s.quantity AS INTEGER) * CAST(s.unit_price AS DECIMAL(12, 2))
        - COALESCE(CAST(s.discount AS DECIMAL(12, 2)), 0) AS net_amount,
    CAST(s.quantity AS INTEGER) * e.base_price AS list_amount,
    CASE
        WHEN COALESCE(CAST(s.discount AS DECIMAL(12, 2)), 0) > 0 THEN 1
        ELSE 0
    END AS is_discounted,
    s.sold_at,
    CAST(SUBSTR(CAST(s.sold_at AS VARCHAR(32)), 1, 10) AS VARCHAR(10)) AS sale_date,
    e.event_date,
    s.loaded_at
FROM staging.ticket_sale s
LEFT JOIN v_event e
    ON e.event_id = s.event_id
