select * from t where name = 'it''s' and b = 'back\'slash';
