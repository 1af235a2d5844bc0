SELECT 1 + 1 AS two, 'a;
