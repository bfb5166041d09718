-- qianhub.delivery_order_promotions: one row per promotion of a delivery order.
-- No primary key: the key's uniqueness is proven by asset checks, because a DuckDB key index
-- makes delete + insert of one key in one transaction fragile. NOT NULL marks key columns.
CREATE TABLE IF NOT EXISTS qianhub.delivery_order_promotions (
    order_id       BIGINT        NOT NULL,
    line_no        INTEGER       NOT NULL,
    shop_id        BIGINT        NOT NULL,
    business_date  DATE          NOT NULL,
    name           VARCHAR,
    amount         DECIMAL(18,2),
    promotion_json VARCHAR       NOT NULL,
    load_id        VARCHAR,
    loaded_at      TIMESTAMPTZ
);

COMMENT ON TABLE qianhub.delivery_order_promotions IS 'One row per promotion (promotions[]) of a delivery order; key order_id, line_no. The document gives no fields for a promotion, so each is kept whole as promotion_json, with name and amount read when present. Replaced together with the order.';

COMMENT ON COLUMN qianhub.delivery_order_promotions.order_id IS 'Delivery order this promotion belongs to (vendor json.order).';
COMMENT ON COLUMN qianhub.delivery_order_promotions.line_no IS '0-based position in the order''s promotions list (derived).';
COMMENT ON COLUMN qianhub.delivery_order_promotions.shop_id IS 'Shop of the order (copied from qianhub.delivery_orders).';
COMMENT ON COLUMN qianhub.delivery_order_promotions.business_date IS 'Business day of the order (copied from qianhub.delivery_orders).';
COMMENT ON COLUMN qianhub.delivery_order_promotions.name IS 'Promotion name: the first text among name, promotionName, activityName, title; NULL when none is sent.';
COMMENT ON COLUMN qianhub.delivery_order_promotions.amount IS 'Promotion amount in yuan: the first of amount, value, money that is sent; NULL when none is.';
COMMENT ON COLUMN qianhub.delivery_order_promotions.promotion_json IS 'The promotion exactly as sent (JSON text), so fields the document does not name are kept.';
COMMENT ON COLUMN qianhub.delivery_order_promotions.load_id IS 'Id of the load that wrote this row (lineage; see meta.loads).';
COMMENT ON COLUMN qianhub.delivery_order_promotions.loaded_at IS 'When the load that wrote this row ran (lineage, an absolute instant; meta.loads.started_at).';
