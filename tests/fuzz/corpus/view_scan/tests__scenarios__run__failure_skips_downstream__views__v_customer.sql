-- reads a column the source does not have: creating the view fails
select customer_id, no_such_column as city from staging.customer
