SELECT s.* FROM staging.ticket_sale s JOIN v_customer c ON c.customer_id = s.customer_id
