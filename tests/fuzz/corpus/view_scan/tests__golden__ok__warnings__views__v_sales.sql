select 1 as order_id, current_date as sold_at, current_date as sale_date
