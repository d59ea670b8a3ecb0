select *
from (a join (b join c on b.id = c.id) on a.id = b.id)
left join ((select * from d) dd join e on true) on true
