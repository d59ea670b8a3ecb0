error: dimension table presentation.dim_customer has no 'is_inferred' column for the inferred members of fact 'fact_sales': load the dimension first
