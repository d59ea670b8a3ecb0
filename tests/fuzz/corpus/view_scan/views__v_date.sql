-- v_date: the calendar behind dim_date, one row per day that matters to the
-- business: every day with a sale, an event or a gate scan.
--
-- Portability: no engine-specific date functions.  The date key is the first
-- 10 characters of the timestamp cast to text (YYYY-MM-DD); year, month and
-- day are integer casts of its parts.  The weekday uses Sakamoto's method
-- with integer arithmetic only; a floor division a/b of non-negative integers
-- is written (a - a % b) / b so it is exact on every engine (Snowflake's "/"
-- returns a decimal, SQLite's and PostgreSQL's truncate).
--   day_of_week: 0 = Sunday ... 6 = Saturday;  is_weekend: Saturday/Sunday.
SELECT
    w.date_key,
    w.year_number,
    w.quarter_number,
    w.month_number,
    w.month_name,
    w.day_number,
    w.year_month,
    w.day_of_week,
    CASE w.day_of_week
        WHEN 0 THEN 'Sunday'
        WHEN 1 THEN 'Monday'
        WHEN 2 THEN 'Tuesday'
        WHEN 3 THEN 'Wednesday'
        WHEN 4 THEN 'Thursday'
        WHEN 5 THEN 'Friday'
        ELSE 'Saturday'
    END AS day_name,
    CASE WHEN w.day_of_week IN (0, 6) THEN 1 ELSE 0 END AS is_weekend
FROM (
    SELECT
        p.date_key,
        p.year_number,
        p.month_number,
        p.day_number,
        SUBSTR(p.date_key, 1, 7) AS year_month,
        CASE
            WHEN p.month_number <= 3 THEN 1
            WHEN p.month_number <= 6 THEN 2
            WHEN p.month_number <= 9 THEN 3
            ELSE 4
        END AS quarter_number,
        CASE p.month_number
            WHEN 1 THEN 'January'   WHEN 2 THEN 'February' WHEN 3 THEN 'March'
            WHEN 4 THEN 'April'     WHEN 5 THEN 'May'      WHEN 6 THEN 'June'
            WHEN 7 THEN 'July'      WHEN 8 THEN 'August'   WHEN 9 THEN 'September'
            WHEN 10 THEN 'October'  WHEN 11 THEN 'November'
            ELSE 'December'
        END AS month_name,
        -- Sakamoto: (y + y/4 - y/100 + y/400 + t[m] + d) mod 7, where y is
        -- the year minus one for January and February.
        CAST((p.sy
              + (p.sy - p.sy % 4) / 4
              - (p.sy - p.sy % 100) / 100
              + (p.sy - p.sy % 400) / 400
              + p.month_offset
              + p.day_number) % 7 AS INTEGER) AS day_of_week
    FROM (
        SELECT
            d.date_key,
            CAST(SUBSTR(d.date_key, 1, 4) AS INTEGER) AS year_number,
            CAST(SUBSTR(d.date_key, 6, 2) AS INTEGER) AS month_number,
            CAST(SUBSTR(d.date_key, 9, 2) AS INTEGER) AS day_number,
            CASE
                WHEN CAST(SUBSTR(d.date_key, 6, 2) AS INTEGER) < 3
                    THEN CAST(SUBSTR(d.date_key, 1, 4) AS INTEGER) - 1
                ELSE CAST(SUBSTR(d.date_key, 1, 4) AS INTEGER)
            END AS sy,
            CASE CAST(SUBSTR(d.date_key, 6, 2) AS INTEGER)
                WHEN 1 THEN 0  WHEN 2 THEN 3  WHEN 3 THEN 2  WHEN 4 THEN 5
                WHEN 5 THEN 0  WHEN 6 THEN 3  WHEN 7 THEN 5  WHEN 8 THEN 1
                WHEN 9 THEN 4  WHEN 10 THEN 6 WHEN 11 THEN 2
                ELSE 4
            END AS month_offset
        FROM (
            -- UNION (not UNION ALL) removes duplicate days.
            SELECT CAST(SUBSTR(CAST(s.sold_at AS VARCHAR(32)), 1, 10) AS VARCHAR(10)) AS date_key
            FROM staging.ticket_sale s
            UNION
            SELECT CAST(SUBSTR(CAST(e.starts_at AS VARCHAR(32)), 1, 10) AS VARCHAR(10)) AS date_key
            FROM staging.event e
            UNION
            SELECT CAST(SUBSTR(CAST(g.scanned_at AS VARCHAR(32)), 1, 10) AS VARCHAR(10)) AS date_key
            FROM staging.gate_scan g
        ) d
        WHERE d.date_key IS NOT NULL
    ) p
) w
