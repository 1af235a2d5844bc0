SELECT 'x' REGEXP '^x$', 'a' RLIKE 'a';
