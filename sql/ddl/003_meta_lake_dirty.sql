CREATE TABLE IF NOT EXISTS meta.lake_dirty (
    table_name VARCHAR,
    partition_column VARCHAR,
    partition_value VARCHAR,
    marked_by VARCHAR,
    file_column VARCHAR,
    file_value VARCHAR
);
-- Warehouses made before lake files were split by a file column (Pospal: per account).
ALTER TABLE meta.lake_dirty ADD COLUMN IF NOT EXISTS file_column VARCHAR;
ALTER TABLE meta.lake_dirty ADD COLUMN IF NOT EXISTS file_value VARCHAR;
-- The lake keeps one file per account in each date folder of a dated Pospal table
-- (lake/pospal/<table>/business_date=D/account-<name>.parquet). A rewrite queued by an older
-- version, which wrote one file per date, becomes a rewrite of every account's file of that date.
UPDATE meta.lake_dirty SET file_column = 'account', file_value = NULL
WHERE table_name LIKE 'pospal.%' AND partition_column IS NOT NULL AND file_column IS NULL;
COMMENT ON TABLE meta.lake_dirty IS 'Queue of Parquet files to rewrite: one row per (table, partition, file) changed in DuckDB but not yet written to the lake. Filled in the load transaction, emptied after each atomic file replace, so a crash between the two is repaired by the next load.';
COMMENT ON COLUMN meta.lake_dirty.table_name IS 'Schema-qualified table, e.g. qianhub.bills.';
COMMENT ON COLUMN meta.lake_dirty.partition_column IS 'Column the table is partitioned by in the lake (business_date), or NULL for an unpartitioned table.';
COMMENT ON COLUMN meta.lake_dirty.partition_value IS 'Partition value (business_date as YYYY-MM-DD), or empty string for an unpartitioned table.';
COMMENT ON COLUMN meta.lake_dirty.marked_by IS 'Load that changed the partition.';
COMMENT ON COLUMN meta.lake_dirty.file_column IS 'Column splitting the partition into one file per value (account for Pospal tables), or NULL when the partition is one file.';
COMMENT ON COLUMN meta.lake_dirty.file_value IS 'Value of file_column whose file to rewrite; empty string when the partition is one file; NULL for every file of the partition.';
