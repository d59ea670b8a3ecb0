select product_id, category from presentation.dim_product
