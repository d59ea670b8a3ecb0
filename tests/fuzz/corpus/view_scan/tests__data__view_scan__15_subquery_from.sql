select sub.n
from (select count(*) as n from staging.a) sub
