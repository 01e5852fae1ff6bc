"""Store: the DuckDB file, its schema migrations and the analysts' snapshot."""
