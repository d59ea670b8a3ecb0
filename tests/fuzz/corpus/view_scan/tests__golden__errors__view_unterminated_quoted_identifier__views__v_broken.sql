select c."customer id
from v_customer c
