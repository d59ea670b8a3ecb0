SELECT 1 AS event_id, 2 AS edition
