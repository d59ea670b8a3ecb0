select * from rows from (generate_series(1, 2), f(3)) as r(a, b)
join rows on true
