-- qianhub.handover_stats: one row per handover (shift change) report, handover.stat.
-- No primary key: the key's uniqueness is proven by asset checks, because a DuckDB key index
-- makes delete + insert of one key in one transaction fragile. NOT NULL marks key columns.
CREATE TABLE IF NOT EXISTS qianhub.handover_stats (
    shop_id       BIGINT      NOT NULL,
    staff_id      BIGINT      NOT NULL,
    create_on     TIMESTAMP   NOT NULL,
    business_date DATE        NOT NULL,
    staff_name    VARCHAR,
    load_id       VARCHAR,
    loaded_at     TIMESTAMPTZ
);

COMMENT ON TABLE qianhub.handover_stats IS 'One row per handover (shift change) report, handover.stat; key shop_id, staff_id, create_on.';

COMMENT ON COLUMN qianhub.handover_stats.shop_id IS 'Shop id (vendor envelope shop_id, else json.shop_id).';
COMMENT ON COLUMN qianhub.handover_stats.staff_id IS 'Staff member handing over (vendor envelope staff_id).';
COMMENT ON COLUMN qianhub.handover_stats.create_on IS 'When the report was made (vendor create_on at record level, else json.create_on); shop-local wall-clock time (Asia/Shanghai), no zone.';
COMMENT ON COLUMN qianhub.handover_stats.business_date IS 'Business day of create_on under the configured day-start hour (derived).';
COMMENT ON COLUMN qianhub.handover_stats.staff_name IS 'Name of the staff member (vendor envelope staff_name).';
COMMENT ON COLUMN qianhub.handover_stats.load_id IS 'Id of the load that wrote this row (lineage; see meta.loads).';
COMMENT ON COLUMN qianhub.handover_stats.loaded_at IS 'When the load that wrote this row ran (lineage, an absolute instant; meta.loads.started_at).';
