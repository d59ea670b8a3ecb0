select *
from t1
join t2 on t1.id = t2.id
left join t3 on true
right join t4 using (id)
full join t5 on 1 = 1
inner join t6 on 1 = 1
cross join t7
natural join t8
left outer join t9 on 1 = 1
full outer join s.t10 t on 1 = 1
right outer join t11 on 1 = 1
