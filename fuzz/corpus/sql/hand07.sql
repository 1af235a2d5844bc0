SELECT id -- dash comment
FROM t;
