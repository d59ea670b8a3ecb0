-- reads itself
select * from dla_views.v_self
