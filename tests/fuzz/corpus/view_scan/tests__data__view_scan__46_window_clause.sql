select sum(x) over w from t window w as (partition by y), w2 as (order by z)
