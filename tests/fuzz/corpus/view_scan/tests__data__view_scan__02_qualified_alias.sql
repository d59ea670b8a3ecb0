select o.id
from staging.orders as o
