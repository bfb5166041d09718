-- qianhub.dayend_stats: one row per shop and business day, day-end report dayend.stat.
-- No primary key: the key's uniqueness is proven by asset checks, because a DuckDB key index
-- makes delete + insert of one key in one transaction fragile. NOT NULL marks key columns.
CREATE TABLE IF NOT EXISTS qianhub.dayend_stats (
    shop_id       BIGINT      NOT NULL,
    business_date DATE        NOT NULL,
    staff_id      BIGINT,
    staff_name    VARCHAR,
    create_on     TIMESTAMP   NOT NULL,
    load_id       VARCHAR,
    loaded_at     TIMESTAMPTZ
);

COMMENT ON TABLE qianhub.dayend_stats IS 'One row per shop and business day, day-end report dayend.stat; key shop_id, business_date; the latest create_on wins when the day-end is re-run.';

COMMENT ON COLUMN qianhub.dayend_stats.shop_id IS 'Shop id (vendor envelope shop_id, else json.shop_id).';
COMMENT ON COLUMN qianhub.dayend_stats.business_date IS 'Business day the report closes (vendor json.businessDay).';
COMMENT ON COLUMN qianhub.dayend_stats.staff_id IS 'Staff member who ran the day-end (vendor envelope staff_id).';
COMMENT ON COLUMN qianhub.dayend_stats.staff_name IS 'Name of that staff member (vendor envelope staff_name).';
COMMENT ON COLUMN qianhub.dayend_stats.create_on IS 'When the report was made (vendor create_on at record level, else json.create_on), the version; shop-local wall-clock time (Asia/Shanghai), no zone.';
COMMENT ON COLUMN qianhub.dayend_stats.load_id IS 'Id of the load that wrote this row (lineage; see meta.loads).';
COMMENT ON COLUMN qianhub.dayend_stats.loaded_at IS 'When the load that wrote this row ran (lineage, an absolute instant; meta.loads.started_at).';
