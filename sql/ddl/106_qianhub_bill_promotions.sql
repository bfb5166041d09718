-- qianhub.bill_promotions: one row per promotion applied to a bill version.
-- No primary key: the key's uniqueness is proven by asset checks, because a DuckDB key index
-- makes delete + insert of one key in one transaction fragile. NOT NULL marks key columns.
CREATE TABLE IF NOT EXISTS qianhub.bill_promotions (
    bill_id             BIGINT        NOT NULL,
    line_no             INTEGER       NOT NULL,
    shop_id             BIGINT        NOT NULL,
    business_date       DATE          NOT NULL,
    promotion_id        BIGINT,
    promotion_name      VARCHAR,
    promotion_type_id   INTEGER,
    promotion_type_name VARCHAR,
    value               DECIMAL(18,2),
    load_id             VARCHAR,
    loaded_at           TIMESTAMPTZ
);

COMMENT ON TABLE qianhub.bill_promotions IS 'One row per promotion applied to a bill version; key bill_id, line_no (lines carry no id).';

COMMENT ON COLUMN qianhub.bill_promotions.bill_id IS 'Bill this row belongs to (vendor json.bill_id); rows are replaced with the bill''s latest version.';
COMMENT ON COLUMN qianhub.bill_promotions.line_no IS '0-based position in the bill''s promotions list (derived).';
COMMENT ON COLUMN qianhub.bill_promotions.shop_id IS 'Shop of the bill (copied from qianhub.bills).';
COMMENT ON COLUMN qianhub.bill_promotions.business_date IS 'Business day of the bill (copied from qianhub.bills, derived from cashier_on).';
COMMENT ON COLUMN qianhub.bill_promotions.promotion_id IS 'Promotion id (vendor promotions[].promotion_id).';
COMMENT ON COLUMN qianhub.bill_promotions.promotion_name IS 'Promotion name (vendor promotions[].promotion_name).';
COMMENT ON COLUMN qianhub.bill_promotions.promotion_type_id IS 'Promotion type (vendor promotions[].promotion_type_id): 1 special, 10 member price, 11 member special, 24 third-party payment offer, 25 second-item offer.';
COMMENT ON COLUMN qianhub.bill_promotions.promotion_type_name IS 'Promotion type name (vendor promotions[].promotion_type_name).';
COMMENT ON COLUMN qianhub.bill_promotions.value IS 'Reduction in yuan, negative (vendor promotions[].value).';
COMMENT ON COLUMN qianhub.bill_promotions.load_id IS 'Id of the load that wrote this row (lineage; see meta.loads).';
COMMENT ON COLUMN qianhub.bill_promotions.loaded_at IS 'When the load that wrote this row ran (lineage, an absolute instant; meta.loads.started_at).';
