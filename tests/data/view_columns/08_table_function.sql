select g.n, t.id from generate_series(1, 3) g(n) cross join s.t t
