select *
from only staging.parent p
join staging.child tablesample system (10) c on true
join staging.other sample (5) o on true
