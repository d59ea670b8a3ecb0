SELECT r.region_code, UPPER(r.region_name) AS region_name FROM staging.region r
