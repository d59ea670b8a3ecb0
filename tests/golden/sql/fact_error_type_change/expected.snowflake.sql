error: column 'amount' changed type: 'fact_sales' has VARCHAR, source 'staging.sale' gives NUMBER(12,2)
