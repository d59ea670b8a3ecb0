select t.order, t."from", t.values, from_date, "select", t.join
from t
where t.group = 1
order by t.order
