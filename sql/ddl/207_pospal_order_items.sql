-- pospal.order_items: one row per line of an online order, replaced with the order.
-- No primary key: the key's uniqueness is proven by asset checks, because a DuckDB key index
-- makes delete + insert of one key in one transaction fragile. NOT NULL marks key columns.
CREATE TABLE IF NOT EXISTS pospal.order_items (
    account              VARCHAR       NOT NULL,
    order_no             VARCHAR       NOT NULL,
    line_no              INTEGER       NOT NULL,
    business_date        DATE          NOT NULL,
    product_uid          BIGINT,
    product_name         VARCHAR,
    product_barcode      VARCHAR,
    product_quantity     DECIMAL(18,3),
    eshop_sell_price     DECIMAL(18,4),
    product_buy_price    DECIMAL(18,4),
    product_sell_price   DECIMAL(18,4),
    customer_price       DECIMAL(18,4),
    customer_discount    DECIMAL(9,3),
    is_customer_discount BOOLEAN,
    promotion_rule_uid   BIGINT,
    comment              VARCHAR,
    load_id              VARCHAR,
    loaded_at            TIMESTAMPTZ
);

COMMENT ON TABLE pospal.order_items IS 'One row per line (items[]) of an online order; key account, order_no, line_no (lines carry no id). Replaced together with the order.';

COMMENT ON COLUMN pospal.order_items.account IS 'Our configured name of the Pospal account (copied from pospal.orders).';
COMMENT ON COLUMN pospal.order_items.order_no IS 'Order this line belongs to (vendor orderNo).';
COMMENT ON COLUMN pospal.order_items.line_no IS '0-based position of the line in the order''s items list (derived).';
COMMENT ON COLUMN pospal.order_items.business_date IS 'Business day of the order (copied from pospal.orders, derived from orderDateTime).';
COMMENT ON COLUMN pospal.order_items.product_uid IS 'Product id (vendor items[].productUid, a Long beyond 2^53, kept exact).';
COMMENT ON COLUMN pospal.order_items.product_name IS 'Product name (vendor items[].productName).';
COMMENT ON COLUMN pospal.order_items.product_barcode IS 'Product barcode (vendor items[].productBarcode).';
COMMENT ON COLUMN pospal.order_items.product_quantity IS 'Quantity ordered (vendor items[].productQuantity); may be fractional.';
COMMENT ON COLUMN pospal.order_items.eshop_sell_price IS 'Online-shop price per unit actually charged in yuan (vendor items[].eshopSellPrice, 网店销售价).';
COMMENT ON COLUMN pospal.order_items.product_buy_price IS 'Cost price per unit in yuan (vendor items[].productBuyPrice); four places because cost prices may be kept finer than a cent.';
COMMENT ON COLUMN pospal.order_items.product_sell_price IS 'List price per unit in yuan (vendor items[].productSellPrice).';
COMMENT ON COLUMN pospal.order_items.customer_price IS 'Member price per unit in yuan (vendor items[].customerPrice).';
COMMENT ON COLUMN pospal.order_items.customer_discount IS 'Member discount as a percentage (vendor items[].customerDiscount): 100 = no discount.';
COMMENT ON COLUMN pospal.order_items.is_customer_discount IS 'True when the member discount is enabled for the line (vendor items[].isCustomerDiscount).';
COMMENT ON COLUMN pospal.order_items.promotion_rule_uid IS 'Promotion rule applied to the line (vendor items[].promotionRuleUid, sent by real answers, not in the document); may be NULL.';
COMMENT ON COLUMN pospal.order_items.comment IS 'Note on the line (vendor items[].comment).';
COMMENT ON COLUMN pospal.order_items.load_id IS 'Id of the load that wrote this row (lineage; see meta.loads).';
COMMENT ON COLUMN pospal.order_items.loaded_at IS 'When the load that wrote this row ran (lineage, an absolute instant; meta.loads.started_at).';
