with t as (select 1 as x)
select * from t join public.t on true
