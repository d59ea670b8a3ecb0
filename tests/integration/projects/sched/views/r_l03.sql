-- downstream of dim_l03: skipped when dim_l03 fails
select id, name from presentation.dim_l03 where id > 0
