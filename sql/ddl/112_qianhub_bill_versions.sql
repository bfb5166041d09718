-- qianhub.bill_versions: one row per version of a bill ever loaded (bill_id, undo_index).
-- qianhub.bills keeps only the latest version; this table keeps every one, so analysts can see
-- what a re-checkout (反结账) changed (marts.recheckout_audit).
-- No primary key: the key's uniqueness is proven by asset checks, because a DuckDB key index
-- makes delete + insert of one key in one transaction fragile. NOT NULL marks key columns.
CREATE TABLE IF NOT EXISTS qianhub.bill_versions (
    bill_id       BIGINT        NOT NULL,
    undo_index    INTEGER       NOT NULL,
    shop_id       BIGINT        NOT NULL,
    business_date DATE          NOT NULL,
    sn            VARCHAR,
    cashier_on    TIMESTAMP     NOT NULL,
    amount        DECIMAL(18,2),
    real_amount   DECIMAL(18,2),
    paid          DECIMAL(18,2),
    discount      DECIMAL(18,2),
    promotion     DECIMAL(18,2),
    rounding      DECIMAL(18,2),
    load_id       VARCHAR,
    loaded_at     TIMESTAMPTZ
);

COMMENT ON TABLE qianhub.bill_versions IS 'One row per version of a bill ever loaded; key bill_id, undo_index. Unlike qianhub.bills (latest version only) a later version never removes an earlier one, so re-checkouts (反结账) can be audited. A version the vendor replaced before our first load was never seen and is absent.';

COMMENT ON COLUMN qianhub.bill_versions.bill_id IS 'Bill id (vendor json.bill_id), as in qianhub.bills.';
COMMENT ON COLUMN qianhub.bill_versions.undo_index IS 'Re-checkout count of this version (vendor json.undo_index): 0 for the first checkout.';
COMMENT ON COLUMN qianhub.bill_versions.shop_id IS 'Shop id of this version (as qianhub.bills.shop_id).';
COMMENT ON COLUMN qianhub.bill_versions.business_date IS 'Business day of this version''s cashier_on under the configured day-start hour (derived).';
COMMENT ON COLUMN qianhub.bill_versions.sn IS 'Bill number of this version (vendor json.sn).';
COMMENT ON COLUMN qianhub.bill_versions.cashier_on IS 'When this version was settled (vendor json.cashier_on); shop-local wall-clock time (Asia/Shanghai), no zone.';
COMMENT ON COLUMN qianhub.bill_versions.amount IS 'Bill amount of this version in yuan (vendor json.amount).';
COMMENT ON COLUMN qianhub.bill_versions.real_amount IS 'Amount receivable of this version in yuan (vendor json.real_amount, 应收).';
COMMENT ON COLUMN qianhub.bill_versions.paid IS 'Amount paid for this version in yuan (vendor json.paid).';
COMMENT ON COLUMN qianhub.bill_versions.discount IS 'Legacy discount of this version in yuan, negative (vendor json.discount).';
COMMENT ON COLUMN qianhub.bill_versions.promotion IS 'Promotion reduction of this version in yuan, negative (vendor json.promotion).';
COMMENT ON COLUMN qianhub.bill_versions.rounding IS 'Rounding off of this version in yuan (vendor json.rounding, 抹零).';
COMMENT ON COLUMN qianhub.bill_versions.load_id IS 'Id of the load that wrote this row (lineage; see meta.loads).';
COMMENT ON COLUMN qianhub.bill_versions.loaded_at IS 'When the load that wrote this row ran (lineage, an absolute instant; meta.loads.started_at).';
