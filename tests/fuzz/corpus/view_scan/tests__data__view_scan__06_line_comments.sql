-- from hidden_a
select * -- from hidden_b
from real_a -- join hidden_c
// from hidden_d (a Snowflake comment)
join real_b on true --