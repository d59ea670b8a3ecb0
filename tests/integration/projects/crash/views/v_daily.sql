select substr(cast(sold_at as varchar(30)), 1, 10) as sale_date, product_id,
       count(*) as lines, sum(qty) as qty
from v_sales
group by substr(cast(sold_at as varchar(30)), 1, 10), product_id
