select *, t.extra from (select id, name as label from s.t) t
