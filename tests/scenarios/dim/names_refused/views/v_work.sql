select id, city, 'x' as dla_action from staging.src
