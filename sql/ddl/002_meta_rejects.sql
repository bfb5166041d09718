CREATE TABLE IF NOT EXISTS meta.rejects (
    vendor VARCHAR,
    endpoint VARCHAR,
    record_key VARCHAR,
    shop_id BIGINT,
    reason VARCHAR,
    raw_payload VARCHAR,
    payload_sha256 VARCHAR,
    first_load_id VARCHAR,
    last_load_id VARCHAR,
    first_seen_at TIMESTAMPTZ,
    last_seen_at TIMESTAMPTZ,
    times_seen BIGINT
);
COMMENT ON TABLE meta.rejects IS 'One row per distinct rejected record (vendor, endpoint, shop, payload hash, reason): records that failed validation, kept with their exact raw payload. Re-loading the same record updates last_* instead of adding a row.';
COMMENT ON COLUMN meta.rejects.vendor IS 'Vendor the record came from.';
COMMENT ON COLUMN meta.rejects.endpoint IS 'Vendor endpoint the record came from.';
COMMENT ON COLUMN meta.rejects.record_key IS 'The record''s key when it could be read (e.g. bill_id), else NULL.';
COMMENT ON COLUMN meta.rejects.shop_id IS 'Shop the record belongs to, when known.';
COMMENT ON COLUMN meta.rejects.reason IS 'Why the record was rejected, naming the field.';
COMMENT ON COLUMN meta.rejects.raw_payload IS 'The record exactly as the vendor sent it (JSON text).';
COMMENT ON COLUMN meta.rejects.payload_sha256 IS 'SHA-256 of raw_payload; with vendor, endpoint, shop_id and reason, the identity of a reject.';
COMMENT ON COLUMN meta.rejects.first_load_id IS 'First load that saw this record.';
COMMENT ON COLUMN meta.rejects.last_load_id IS 'Latest load that saw this record.';
COMMENT ON COLUMN meta.rejects.first_seen_at IS 'When the record was first rejected (UTC instant).';
COMMENT ON COLUMN meta.rejects.last_seen_at IS 'When the record was last rejected (UTC instant).';
COMMENT ON COLUMN meta.rejects.times_seen IS 'How many loads rejected this record.';
