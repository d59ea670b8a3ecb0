select event_id from staging.event
