select $x, a$b from t$1
