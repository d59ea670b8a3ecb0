select * from ((select id from a) union (select id from b)) u
where id in ((select id from c) union select id from d)
