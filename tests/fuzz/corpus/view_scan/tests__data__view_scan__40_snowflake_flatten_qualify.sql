select f.value:id::string as id
from raw.events e,
     lateral flatten(input => e.payload:items) f
qualify row_number() over (partition by id order by e.ts desc) = 1
