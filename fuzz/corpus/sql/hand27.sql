SELECT @@version, @@session.sql_mode;
