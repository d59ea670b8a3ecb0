select * from t1 as a (x, y) cross join (select 1) as b (z), t3
