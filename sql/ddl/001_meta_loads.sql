CREATE TABLE IF NOT EXISTS meta.loads (
    load_id VARCHAR,
    vendor VARCHAR,
    endpoint VARCHAR,
    unit VARCHAR,
    business_date DATE,
    window_start TIMESTAMP,
    window_end TIMESTAMP,
    source VARCHAR,
    status VARCHAR,
    started_at TIMESTAMPTZ,
    finished_at TIMESTAMPTZ,
    records BIGINT,
    rows_written VARCHAR,
    rejects BIGINT,
    partitions_touched VARCHAR[],
    raw_path VARCHAR,
    error VARCHAR
);
COMMENT ON TABLE meta.loads IS 'Append-only log: one row per load unit attempt (vendor x unit x business date). A committed row is written in the same transaction as the data it describes, so it exists only if the data landed.';
COMMENT ON COLUMN meta.loads.load_id IS 'Unique id of this load unit attempt; fact rows carry it as load_id.';
COMMENT ON COLUMN meta.loads.vendor IS 'Vendor: qianhub or pospal.';
COMMENT ON COLUMN meta.loads.endpoint IS 'Vendor endpoint the data came from, e.g. batch-query, list-shop.';
COMMENT ON COLUMN meta.loads.unit IS 'What the unit covers within the vendor, e.g. shop_id=10.';
COMMENT ON COLUMN meta.loads.business_date IS 'Business date (partition) the unit was loaded for; NULL for unpartitioned units such as the shop list.';
COMMENT ON COLUMN meta.loads.window_start IS 'Start of the requested window, shop-local time (Asia/Shanghai), inclusive.';
COMMENT ON COLUMN meta.loads.window_end IS 'End of the requested window, shop-local time (Asia/Shanghai), exclusive.';
COMMENT ON COLUMN meta.loads.source IS 'api (fetched from the vendor) or replay (re-read from the raw landing).';
COMMENT ON COLUMN meta.loads.status IS 'committed (data landed) or failed (rolled back; see error).';
COMMENT ON COLUMN meta.loads.started_at IS 'When the unit started (UTC instant).';
COMMENT ON COLUMN meta.loads.finished_at IS 'When the unit committed or failed (UTC instant).';
COMMENT ON COLUMN meta.loads.records IS 'Source records read (valid and rejected).';
COMMENT ON COLUMN meta.loads.rows_written IS 'JSON object: rows written per table by this unit.';
COMMENT ON COLUMN meta.loads.rejects IS 'Records of this unit that went to meta.rejects.';
COMMENT ON COLUMN meta.loads.partitions_touched IS 'Business dates whose rows this unit changed (the Parquet partitions rewritten).';
COMMENT ON COLUMN meta.loads.raw_path IS 'Folder of the raw landing this unit read, relative to POS_WAREHOUSE_HOME.';
COMMENT ON COLUMN meta.loads.error IS 'Error message of a failed unit (never contains secrets).';
