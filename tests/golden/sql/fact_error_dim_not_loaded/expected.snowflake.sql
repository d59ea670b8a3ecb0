error: dimension 'dim_product' looked up by fact 'fact_sales' has no table presentation.dim_product yet: load the dimension first
