SELECT id FROM t # trailing hash comment
WHERE id = 1;
