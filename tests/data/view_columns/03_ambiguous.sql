-- two relations: an unqualified column cannot be told
select a.id, b.x, code, a.id + b.x as total
from s.a a join s.b b on b.id = a.id
