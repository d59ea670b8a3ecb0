select id, city, upper(city) as current_city from staging.src
