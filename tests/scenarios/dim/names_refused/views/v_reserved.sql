select id, city as "order" from staging.src
