CREATE TABLE IF NOT EXISTS meta.lake_dirty (
    table_name VARCHAR,
    partition_column VARCHAR,
    partition_value VARCHAR,
    marked_by VARCHAR
);
COMMENT ON TABLE meta.lake_dirty IS 'Queue of Parquet partitions to rewrite: one row per (table, partition) changed in DuckDB but not yet written to the lake. Filled in the load transaction, emptied after each atomic file replace, so a crash between the two is repaired by the next load.';
COMMENT ON COLUMN meta.lake_dirty.table_name IS 'Schema-qualified table, e.g. qianhub.bills.';
COMMENT ON COLUMN meta.lake_dirty.partition_column IS 'Column the table is partitioned by in the lake (business_date), or NULL for an unpartitioned table.';
COMMENT ON COLUMN meta.lake_dirty.partition_value IS 'Partition value (business_date as YYYY-MM-DD), or empty string for an unpartitioned table.';
COMMENT ON COLUMN meta.lake_dirty.marked_by IS 'Load that changed the partition.';
