select $$ from hidden_a $$ as a, $fn$ it's from 'x' $$ $fn$ as b,
       $_1$ from hidden_c $_1$ as c
from real_a
where p = $1 and q = $2
