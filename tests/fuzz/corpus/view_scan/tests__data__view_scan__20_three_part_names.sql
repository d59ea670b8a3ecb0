select * from analytics_db.staging.orders o
join "DB"."SCH"."T" on true
join a.b.c.d on true
