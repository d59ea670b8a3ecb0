select w.k, w.v2 from (
    select p.k, p.v * 2 as v2 from (select q.id as k, q.val as v from s.q q) p
) w
