select id + 0 as id, color, length(color) as n, changed_at from staging.src
