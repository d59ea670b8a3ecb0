error: lookup key 'quantity' of fact 'fact_sales' is also a column of source 'staging.sale' (name the key with 'key:')
