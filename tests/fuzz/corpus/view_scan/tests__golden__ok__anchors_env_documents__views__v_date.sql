select distinct sale_date as date_id from staging.ticket_sale
