select id, city as "CityName" from staging.src
