-- qianhub.bill_payments: one row per payment line of a bill version.
-- No primary key: the key's uniqueness is proven by asset checks, because a DuckDB key index
-- makes delete + insert of one key in one transaction fragile. NOT NULL marks key columns.
CREATE TABLE IF NOT EXISTS qianhub.bill_payments (
    bill_id           BIGINT        NOT NULL,
    line_no           INTEGER       NOT NULL,
    shop_id           BIGINT        NOT NULL,
    business_date     DATE          NOT NULL,
    payment_type_id   INTEGER,
    payment_type_name VARCHAR,
    payment_type_sn   VARCHAR,
    value             DECIMAL(18,2),
    change            DECIMAL(18,2),
    unreal            DECIMAL(18,2),
    load_id           VARCHAR,
    loaded_at         TIMESTAMPTZ
);

COMMENT ON TABLE qianhub.bill_payments IS 'One row per payment line of a bill version; key bill_id, line_no (payment lines carry no id).';

COMMENT ON COLUMN qianhub.bill_payments.bill_id IS 'Bill this row belongs to (vendor json.bill_id); rows are replaced with the bill''s latest version.';
COMMENT ON COLUMN qianhub.bill_payments.line_no IS '0-based position in the bill''s payments list (derived).';
COMMENT ON COLUMN qianhub.bill_payments.shop_id IS 'Shop of the bill (copied from qianhub.bills).';
COMMENT ON COLUMN qianhub.bill_payments.business_date IS 'Business day of the bill (copied from qianhub.bills, derived from cashier_on).';
COMMENT ON COLUMN qianhub.bill_payments.payment_type_id IS 'Payment method (vendor payments[].payment_type_id): 1 cash, 2 bank card, 3 stored value, 4 Alipay, 5 WeChat, 6 voucher, ...';
COMMENT ON COLUMN qianhub.bill_payments.payment_type_name IS 'Payment method name (vendor payments[].payment_type_name).';
COMMENT ON COLUMN qianhub.bill_payments.payment_type_sn IS 'Payment method code (vendor payments[].payment_type_sn), default 24NN unless the shop set its own.';
COMMENT ON COLUMN qianhub.bill_payments.value IS 'Amount paid in yuan (vendor payments[].value).';
COMMENT ON COLUMN qianhub.bill_payments.change IS 'Change given in yuan (vendor payments[].change).';
COMMENT ON COLUMN qianhub.bill_payments.unreal IS 'Non-cash receipt in yuan (vendor payments[].unreal, 虚收).';
COMMENT ON COLUMN qianhub.bill_payments.load_id IS 'Id of the load that wrote this row (lineage; see meta.loads).';
COMMENT ON COLUMN qianhub.bill_payments.loaded_at IS 'When the load that wrote this row ran (lineage, an absolute instant; meta.loads.started_at).';
