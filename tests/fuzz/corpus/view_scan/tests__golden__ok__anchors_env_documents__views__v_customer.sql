-- dla: tags: [daily]
select customer_id, email, tier, city, loaded_at from staging.customer
