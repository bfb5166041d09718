-- qianhub.bills: one row per bill_id (cashier.finish), latest version: highest undo_index, then
-- latest cashier_on.
-- No primary key: the key's uniqueness is proven by asset checks, because a DuckDB key index
-- makes delete + insert of one key in one transaction fragile. NOT NULL marks key columns.
CREATE TABLE IF NOT EXISTS qianhub.bills (
    bill_id            BIGINT        NOT NULL,
    shop_id            BIGINT        NOT NULL,
    business_date      DATE          NOT NULL,
    sn                 VARCHAR,
    brand_id           BIGINT,
    brand_name         VARCHAR,
    shop_name          VARCHAR,
    staff_id           BIGINT,
    staff_name         VARCHAR,
    amount             DECIMAL(18,2),
    real_amount        DECIMAL(18,2),
    goods_amount       DECIMAL(18,2),
    order_amount       DECIMAL(18,2),
    paid               DECIMAL(18,2),
    surcharge          DECIMAL(18,2),
    mincharge          DECIMAL(18,2),
    discount           DECIMAL(18,2),
    promotion          DECIMAL(18,2),
    rounding           DECIMAL(18,2),
    cashier_staff_id   BIGINT,
    cashier_staff_name VARCHAR,
    undo_index         INTEGER       NOT NULL,
    create_on          TIMESTAMP,
    cashier_on         TIMESTAMP     NOT NULL,
    load_id            VARCHAR,
    loaded_at          TIMESTAMPTZ
);

COMMENT ON TABLE qianhub.bills IS 'One row per bill_id (cashier.finish), latest version: highest undo_index, then latest cashier_on. A re-checkout (反结账) re-emits the same bill_id with undo_index + 1; its orders, details, payments, promotions and discounts are replaced together with it.';

COMMENT ON COLUMN qianhub.bills.bill_id IS 'Bill id (vendor json.bill_id), global across shops and stable across re-checkouts.';
COMMENT ON COLUMN qianhub.bills.shop_id IS 'Shop id (vendor shop_id; the record envelope''s shop_id or "shop_<n>" key, else json.shop_id).';
COMMENT ON COLUMN qianhub.bills.business_date IS 'Business day of the bill''s cashier_on under the configured day-start hour (derived; not sent by the vendor).';
COMMENT ON COLUMN qianhub.bills.sn IS 'Bill number (vendor json.sn); repeats across shops.';
COMMENT ON COLUMN qianhub.bills.brand_id IS 'Brand id (vendor json.brand_id).';
COMMENT ON COLUMN qianhub.bills.brand_name IS 'Brand name (vendor json.brand_name).';
COMMENT ON COLUMN qianhub.bills.shop_name IS 'Shop name as printed on the bill (vendor json.shop_name).';
COMMENT ON COLUMN qianhub.bills.staff_id IS 'Waiter of the record (vendor envelope staff_id, outside json).';
COMMENT ON COLUMN qianhub.bills.staff_name IS 'Waiter name (vendor envelope staff_name, outside json).';
COMMENT ON COLUMN qianhub.bills.amount IS 'Bill amount in yuan (vendor json.amount).';
COMMENT ON COLUMN qianhub.bills.real_amount IS 'Amount receivable in yuan (vendor json.real_amount, 应收).';
COMMENT ON COLUMN qianhub.bills.goods_amount IS 'Goods amount in yuan (vendor json.goods_amount).';
COMMENT ON COLUMN qianhub.bills.order_amount IS 'Sum of the orders in yuan (vendor json.order_amount).';
COMMENT ON COLUMN qianhub.bills.paid IS 'Amount paid in yuan (vendor json.paid).';
COMMENT ON COLUMN qianhub.bills.surcharge IS 'Service charge in yuan (vendor json.surcharge).';
COMMENT ON COLUMN qianhub.bills.mincharge IS 'Minimum-charge top-up in yuan (vendor json.mincharge, 低消差).';
COMMENT ON COLUMN qianhub.bills.discount IS 'Legacy discount in yuan, negative (vendor json.discount).';
COMMENT ON COLUMN qianhub.bills.promotion IS 'Promotion reduction in yuan, negative (vendor json.promotion).';
COMMENT ON COLUMN qianhub.bills.rounding IS 'Rounding off in yuan (vendor json.rounding, 抹零): a payment method counted in the receivable.';
COMMENT ON COLUMN qianhub.bills.cashier_staff_id IS 'Cashier who settled the bill (vendor json.cashier_staff_id).';
COMMENT ON COLUMN qianhub.bills.cashier_staff_name IS 'Cashier name (vendor json.cashier_staff_name).';
COMMENT ON COLUMN qianhub.bills.undo_index IS 'Re-checkout count (vendor json.undo_index): 0 for the first checkout, +1 per re-checkout; absent reads as 0.';
COMMENT ON COLUMN qianhub.bills.create_on IS 'When the bill was opened (vendor json.create_on); shop-local wall-clock time (Asia/Shanghai), no zone.';
COMMENT ON COLUMN qianhub.bills.cashier_on IS 'When the bill was settled (vendor json.cashier_on), which decides business_date; shop-local wall-clock time (Asia/Shanghai), no zone.';
COMMENT ON COLUMN qianhub.bills.load_id IS 'Id of the load that wrote this row (lineage; see meta.loads).';
COMMENT ON COLUMN qianhub.bills.loaded_at IS 'When the load that wrote this row ran (lineage, an absolute instant; meta.loads.started_at).';
