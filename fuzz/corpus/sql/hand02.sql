b' AS semi, "dq" AS dq, `id` FROM t;
