select * from (values (1, 'a'), (2, 'b')) as v(id, name)
join real_t on real_t.id = v.id
union all
values (3, 'c')
