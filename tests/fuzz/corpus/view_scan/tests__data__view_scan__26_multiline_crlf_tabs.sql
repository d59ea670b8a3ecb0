select *
from

	  s.t1
  join
      t2 on true
