select cast(x as timestamp with time zone) as a, y::timestamp with time zone as b
from time
