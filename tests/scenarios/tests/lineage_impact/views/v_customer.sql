SELECT c.customer_id, c.name AS customer_name, c.region_code, g.region_name
FROM staging.customer c
LEFT JOIN v_region g ON g.region_code = c.region_code
