select *
from generate_series(1, 3) g,
     table(flatten(input => parse_json('[1,2]'))) f,
     staging.events e,
     lateral flatten(input => e.payload) p,
     unnest(array[1, 2]) with ordinality as u(x, n),
     pg_catalog.generate_series(1, 2) h
join staging.more m on true
