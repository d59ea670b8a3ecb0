select *
from staging.a x, staging.b y,
     c
where x.id = y.id
