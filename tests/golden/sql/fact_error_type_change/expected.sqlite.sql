error: column 'amount' changed type: 'fact_sales' has TEXT, source 'staging.sale' gives NUMERIC(12,2)
