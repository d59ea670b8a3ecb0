select order_id, line_no, customer_id, sale_date, ship_date, sold_at from staging.ticket_sale
