select * from données.ventes_été v
join "Café" on true
join 表 on true
