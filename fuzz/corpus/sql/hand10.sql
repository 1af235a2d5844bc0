WITH a AS (SELECT id FROM t), b AS (SELECT t_id FROM u) SELECT * FROM a JOIN b ON a.id = b.t_id;
