select * from t a join t b on a.id = b.id
