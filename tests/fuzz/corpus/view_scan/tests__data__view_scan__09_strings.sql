select 'from hidden_a', 'it''s from hidden_b join x', ''
from real_a
where note = 'join hidden_c' and e = E'it\'s from hidden_d' and n = N'from hidden_e'
