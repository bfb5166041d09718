-- Columns of every table and view of the open database, in table order, for the data dictionary.
SELECT schema_name, table_name, column_name, data_type, is_nullable, comment
FROM duckdb_columns()
WHERE database_name = current_database()
    AND NOT internal
    AND schema_name NOT IN ('information_schema', 'pg_catalog')
ORDER BY schema_name, table_name, column_index;
