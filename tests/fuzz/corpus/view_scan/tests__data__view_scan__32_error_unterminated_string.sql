select 'ok', 'it''s
from t
