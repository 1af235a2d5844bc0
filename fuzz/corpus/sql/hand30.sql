SELECT N'national', X'4142', 0b101, 1e3, .5, -2 FROM dual;
