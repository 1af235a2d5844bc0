SELECT IF(a > 0, 'p', 'n'), NULLIF(a, 0), GREATEST(a, b), LEAST(a, b) FROM t;
