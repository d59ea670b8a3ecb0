select *
from t /* never
closed
