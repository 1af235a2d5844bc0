-- Hand-written part of the agreement corpus: valid MySQL/MariaDB of many kinds, then foreign
-- dialects and broken statements. Labels come from a real MariaDB (tests/sql_agreement.rs).
SELECT 1;
