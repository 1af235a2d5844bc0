SELECT * FROM t WHERE (a, b) = (1, 2);
