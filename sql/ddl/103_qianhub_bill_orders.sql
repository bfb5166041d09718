-- qianhub.bill_orders: one row per order (usually one table) in a bill version.
-- No primary key: the key's uniqueness is proven by asset checks, because a DuckDB key index
-- makes delete + insert of one key in one transaction fragile. NOT NULL marks key columns.
CREATE TABLE IF NOT EXISTS qianhub.bill_orders (
    bill_id       BIGINT        NOT NULL,
    order_id      BIGINT        NOT NULL,
    shop_id       BIGINT        NOT NULL,
    business_date DATE          NOT NULL,
    line_no       INTEGER       NOT NULL,
    order_name    VARCHAR,
    order_sn      VARCHAR,
    person_count  INTEGER,
    table_id      BIGINT,
    order_amount  DECIMAL(18,2),
    goods_amount  DECIMAL(18,2),
    surcharge     DECIMAL(18,2),
    mincharge     DECIMAL(18,2),
    discount      DECIMAL(18,2),
    promotion     DECIMAL(18,2),
    voucher       DECIMAL(18,2),
    load_id       VARCHAR,
    loaded_at     TIMESTAMPTZ
);

COMMENT ON TABLE qianhub.bill_orders IS 'One row per order (usually one table) in a bill version; key bill_id, order_id.';

COMMENT ON COLUMN qianhub.bill_orders.bill_id IS 'Bill this row belongs to (vendor json.bill_id); rows are replaced with the bill''s latest version.';
COMMENT ON COLUMN qianhub.bill_orders.order_id IS 'Order id (vendor orders[].order_id), global.';
COMMENT ON COLUMN qianhub.bill_orders.shop_id IS 'Shop of the bill (copied from qianhub.bills).';
COMMENT ON COLUMN qianhub.bill_orders.business_date IS 'Business day of the bill (copied from qianhub.bills, derived from cashier_on).';
COMMENT ON COLUMN qianhub.bill_orders.line_no IS '0-based position of the order in the bill''s orders list (derived).';
COMMENT ON COLUMN qianhub.bill_orders.order_name IS 'Order name, usually the table name (vendor orders[].order_name).';
COMMENT ON COLUMN qianhub.bill_orders.order_sn IS 'Order number (vendor orders[].order_sn).';
COMMENT ON COLUMN qianhub.bill_orders.person_count IS 'Number of diners (vendor orders[].person_count).';
COMMENT ON COLUMN qianhub.bill_orders.table_id IS 'Table id (vendor orders[].table_id).';
COMMENT ON COLUMN qianhub.bill_orders.order_amount IS 'Order amount in yuan (vendor orders[].order_amount).';
COMMENT ON COLUMN qianhub.bill_orders.goods_amount IS 'Goods amount in yuan (vendor orders[].goods_amount).';
COMMENT ON COLUMN qianhub.bill_orders.surcharge IS 'Service charge in yuan (vendor orders[].surcharge).';
COMMENT ON COLUMN qianhub.bill_orders.mincharge IS 'Minimum-charge top-up in yuan (vendor orders[].mincharge).';
COMMENT ON COLUMN qianhub.bill_orders.discount IS 'Discount in yuan, negative (vendor orders[].discount).';
COMMENT ON COLUMN qianhub.bill_orders.promotion IS 'Promotion reduction in yuan, negative (vendor orders[].promotion).';
COMMENT ON COLUMN qianhub.bill_orders.voucher IS 'Vouchers used in yuan (vendor orders[].voucher).';
COMMENT ON COLUMN qianhub.bill_orders.load_id IS 'Id of the load that wrote this row (lineage; see meta.loads).';
COMMENT ON COLUMN qianhub.bill_orders.loaded_at IS 'When the load that wrote this row ran (lineage, an absolute instant; meta.loads.started_at).';
