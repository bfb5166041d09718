-- qianhub.bill_discounts: one row per discount applied to a bill version.
-- No primary key: the key's uniqueness is proven by asset checks, because a DuckDB key index
-- makes delete + insert of one key in one transaction fragile. NOT NULL marks key columns.
CREATE TABLE IF NOT EXISTS qianhub.bill_discounts (
    bill_id       BIGINT        NOT NULL,
    line_no       INTEGER       NOT NULL,
    shop_id       BIGINT        NOT NULL,
    business_date DATE          NOT NULL,
    discount_id   BIGINT,
    discount_name VARCHAR,
    value         DECIMAL(18,2),
    load_id       VARCHAR,
    loaded_at     TIMESTAMPTZ
);

COMMENT ON TABLE qianhub.bill_discounts IS 'One row per discount applied to a bill version; key bill_id, line_no (lines carry no id).';

COMMENT ON COLUMN qianhub.bill_discounts.bill_id IS 'Bill this row belongs to (vendor json.bill_id); rows are replaced with the bill''s latest version.';
COMMENT ON COLUMN qianhub.bill_discounts.line_no IS '0-based position in the bill''s discounts list (derived).';
COMMENT ON COLUMN qianhub.bill_discounts.shop_id IS 'Shop of the bill (copied from qianhub.bills).';
COMMENT ON COLUMN qianhub.bill_discounts.business_date IS 'Business day of the bill (copied from qianhub.bills, derived from cashier_on).';
COMMENT ON COLUMN qianhub.bill_discounts.discount_id IS 'Discount id (vendor discounts[].discount_id).';
COMMENT ON COLUMN qianhub.bill_discounts.discount_name IS 'Discount name, e.g. 85折 (vendor discounts[].discount_name).';
COMMENT ON COLUMN qianhub.bill_discounts.value IS 'Reduction in yuan, negative (vendor discounts[].value).';
COMMENT ON COLUMN qianhub.bill_discounts.load_id IS 'Id of the load that wrote this row (lineage; see meta.loads).';
COMMENT ON COLUMN qianhub.bill_discounts.loaded_at IS 'When the load that wrote this row ran (lineage, an absolute instant; meta.loads.started_at).';
