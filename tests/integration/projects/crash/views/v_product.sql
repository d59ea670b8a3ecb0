select product_id, name, category, price
from staging.product
