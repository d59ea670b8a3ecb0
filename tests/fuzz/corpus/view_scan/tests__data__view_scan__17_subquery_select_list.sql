select (select max(price) from prices p where p.id = t.id) as max_price,
       coalesce((select 1 from flags f limit 1), 0) as flag,
       array(select tag from tags where tags.id = t.id) as tag_list
from t
