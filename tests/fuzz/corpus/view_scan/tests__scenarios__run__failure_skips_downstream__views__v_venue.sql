select venue_id, venue_name from staging.venue
