SELECT 1 AS venue_id
