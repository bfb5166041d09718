-- qianhub.handover_stat_lines: one row per line of a handover report, subdetail nested lines
-- flattened with parent_line_no and depth.
-- No primary key: the key's uniqueness is proven by asset checks, because a DuckDB key index
-- makes delete + insert of one key in one transaction fragile. NOT NULL marks key columns.
CREATE TABLE IF NOT EXISTS qianhub.handover_stat_lines (
    shop_id        BIGINT        NOT NULL,
    staff_id       BIGINT        NOT NULL,
    create_on      TIMESTAMP     NOT NULL,
    business_date  DATE          NOT NULL,
    section        VARCHAR       NOT NULL,
    line_no        INTEGER       NOT NULL,
    parent_line_no INTEGER,
    depth          INTEGER       NOT NULL,
    key            VARCHAR,
    item           VARCHAR,
    value_text     VARCHAR,
    count          DECIMAL(18,3),
    amount         DECIMAL(18,2),
    load_id        VARCHAR,
    loaded_at      TIMESTAMPTZ
);

COMMENT ON TABLE qianhub.handover_stat_lines IS 'One row per line of a handover report, subdetail nested lines flattened with parent_line_no and depth; key shop_id, staff_id, create_on, section, line_no; replaced with the report.';

COMMENT ON COLUMN qianhub.handover_stat_lines.shop_id IS 'Shop of the report (copied from qianhub.handover_stats).';
COMMENT ON COLUMN qianhub.handover_stat_lines.staff_id IS 'Staff member of the report (copied from qianhub.handover_stats).';
COMMENT ON COLUMN qianhub.handover_stat_lines.create_on IS 'Report time, part of the report key (copied from qianhub.handover_stats); shop-local wall-clock time (Asia/Shanghai), no zone.';
COMMENT ON COLUMN qianhub.handover_stat_lines.business_date IS 'Business day of the report (copied from qianhub.handover_stats).';
COMMENT ON COLUMN qianhub.handover_stat_lines.section IS 'Section of the report: the list''s key in vendor json (summary, detail, waive, sale, member, goods, waimai, waimaiGoods, or any later list).';
COMMENT ON COLUMN qianhub.handover_stat_lines.line_no IS '0-based pre-order position of the line within its section, subdetail lines following their parent (derived).';
COMMENT ON COLUMN qianhub.handover_stat_lines.parent_line_no IS 'line_no of the enclosing line; NULL at the top level (derived from the subdetail nesting).';
COMMENT ON COLUMN qianhub.handover_stat_lines.depth IS 'Nesting level: 0 for a top-level line, 1 for its subdetail, ... (derived; at most 64).';
COMMENT ON COLUMN qianhub.handover_stat_lines.key IS 'Line key (vendor key), e.g. cash, voucher, or a dish group or voucher name.';
COMMENT ON COLUMN qianhub.handover_stat_lines.item IS 'Line caption (vendor item), e.g. 现金.';
COMMENT ON COLUMN qianhub.handover_stat_lines.value_text IS 'Summary line value exactly as sent, e.g. 4.35% (vendor value); NULL on lines with count and amount.';
COMMENT ON COLUMN qianhub.handover_stat_lines.count IS 'Count (vendor count); NULL on summary lines.';
COMMENT ON COLUMN qianhub.handover_stat_lines.amount IS 'Amount in yuan (vendor amount); NULL on summary lines.';
COMMENT ON COLUMN qianhub.handover_stat_lines.load_id IS 'Id of the load that wrote this row (lineage; see meta.loads).';
COMMENT ON COLUMN qianhub.handover_stat_lines.loaded_at IS 'When the load that wrote this row ran (lineage, an absolute instant; meta.loads.started_at).';
