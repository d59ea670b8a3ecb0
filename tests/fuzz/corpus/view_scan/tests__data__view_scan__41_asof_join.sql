select * from trades t
asof join quotes q match_condition (t.ts >= q.ts) on t.sym = q.sym
