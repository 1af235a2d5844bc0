SELECT name FROM t WHERE name LIKE 'a\_%' ESCAPE '\\';
