-- Tables and views of the open database with their comments, for the data dictionary.
-- The temp and system catalogs (information_schema, pg_catalog, duckdb_* views) are left out:
-- they belong to DuckDB, not to the warehouse.
SELECT schema_name, table_name AS name, 'table' AS kind, comment
FROM duckdb_tables()
WHERE database_name = current_database()
    AND NOT internal
    AND NOT temporary
    AND schema_name NOT IN ('information_schema', 'pg_catalog')
UNION ALL
SELECT schema_name, view_name AS name, 'view' AS kind, comment
FROM duckdb_views()
WHERE database_name = current_database()
    AND NOT internal
    AND NOT temporary
    AND schema_name NOT IN ('information_schema', 'pg_catalog')
ORDER BY schema_name, name;
