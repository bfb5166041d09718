-- qianhub.delivery_order_items: one row per line of a delivery order, replaced with the order.
-- No primary key: the key's uniqueness is proven by asset checks, because a DuckDB key index
-- makes delete + insert of one key in one transaction fragile. NOT NULL marks key columns.
CREATE TABLE IF NOT EXISTS qianhub.delivery_order_items (
    order_id           BIGINT        NOT NULL,
    line_no            INTEGER       NOT NULL,
    shop_id            BIGINT        NOT NULL,
    business_date      DATE          NOT NULL,
    item_id            BIGINT,
    channel_goods      VARCHAR,
    channel_goods_name VARCHAR,
    partner_goods      BIGINT,
    partner_goods_name VARCHAR,
    partner_goods_sn   VARCHAR,
    is_mapped          BOOLEAN       NOT NULL,
    unit_name          VARCHAR,
    price              DECIMAL(18,2),
    quantity           DECIMAL(18,3),
    box_price          DECIMAL(18,2),
    box_quantity       DECIMAL(18,3),
    bag_name           VARCHAR,
    created_on         TIMESTAMP,
    load_id            VARCHAR,
    loaded_at          TIMESTAMPTZ
);

COMMENT ON TABLE qianhub.delivery_order_items IS 'One row per line (details[]) of a delivery order; key order_id, line_no. Names the platform''s goods and, when the shop mapped it, the shop''s own goods (see qianhub.delivery_goods_map). Replaced together with the order.';

COMMENT ON COLUMN qianhub.delivery_order_items.order_id IS 'Delivery order this line belongs to (vendor json.order).';
COMMENT ON COLUMN qianhub.delivery_order_items.line_no IS '0-based position in the order''s details list (derived).';
COMMENT ON COLUMN qianhub.delivery_order_items.shop_id IS 'Shop of the order (copied from qianhub.delivery_orders).';
COMMENT ON COLUMN qianhub.delivery_order_items.business_date IS 'Business day of the order (copied from qianhub.delivery_orders).';
COMMENT ON COLUMN qianhub.delivery_order_items.item_id IS 'Line id (vendor details[].id).';
COMMENT ON COLUMN qianhub.delivery_order_items.channel_goods IS 'The platform''s goods id as text (vendor details[].channelGoods).';
COMMENT ON COLUMN qianhub.delivery_order_items.channel_goods_name IS 'The platform''s goods name (vendor details[].channelGoodsName).';
COMMENT ON COLUMN qianhub.delivery_order_items.partner_goods IS 'The shop''s goods id the platform goods is mapped to (vendor details[].partnerGoods, as qianhub.bill_details.goods_id); NULL when not mapped.';
COMMENT ON COLUMN qianhub.delivery_order_items.partner_goods_name IS 'The shop''s goods name (vendor details[].partnerGoodsName); NULL when not mapped.';
COMMENT ON COLUMN qianhub.delivery_order_items.partner_goods_sn IS 'The shop''s goods code (vendor details[].partnerGoodsSN).';
COMMENT ON COLUMN qianhub.delivery_order_items.is_mapped IS 'True when the line names a shop goods (partner_goods IS NOT NULL; derived).';
COMMENT ON COLUMN qianhub.delivery_order_items.unit_name IS 'Unit name (vendor details[].unitName).';
COMMENT ON COLUMN qianhub.delivery_order_items.price IS 'Unit price in yuan (vendor details[].price).';
COMMENT ON COLUMN qianhub.delivery_order_items.quantity IS 'Quantity (vendor details[].quantity).';
COMMENT ON COLUMN qianhub.delivery_order_items.box_price IS 'Packaging price per box in yuan (vendor details[].boxPrice).';
COMMENT ON COLUMN qianhub.delivery_order_items.box_quantity IS 'Number of boxes (vendor details[].boxQuantity).';
COMMENT ON COLUMN qianhub.delivery_order_items.bag_name IS 'Bag the line is packed in (vendor details[].bagName).';
COMMENT ON COLUMN qianhub.delivery_order_items.created_on IS 'When the line was created (vendor details[].createon); shop-local wall-clock time (Asia/Shanghai), no zone.';
COMMENT ON COLUMN qianhub.delivery_order_items.load_id IS 'Id of the load that wrote this row (lineage; see meta.loads).';
COMMENT ON COLUMN qianhub.delivery_order_items.loaded_at IS 'When the load that wrote this row ran (lineage, an absolute instant; meta.loads.started_at).';

-- qianhub.delivery_goods_map (view): one row per shop, platform and platform goods seen in
-- delivery orders, with the shop goods it is mapped to.
CREATE OR REPLACE VIEW qianhub.delivery_goods_map AS
SELECT
    i.shop_id,
    o.channel,
    i.channel_goods,
    arg_max(i.channel_goods_name, o.created_on) AS channel_goods_name,
    arg_max(i.partner_goods, o.created_on) AS partner_goods,
    arg_max(i.partner_goods_name, o.created_on) AS partner_goods_name,
    count(DISTINCT i.order_id) AS orders,
    min(o.created_on) AS first_ordered_on,
    max(o.created_on) AS last_ordered_on
FROM qianhub.delivery_order_items AS i
JOIN qianhub.delivery_orders AS o USING (order_id)
GROUP BY i.shop_id, o.channel, i.channel_goods;

COMMENT ON VIEW qianhub.delivery_goods_map IS 'One row per shop, platform and platform goods seen in delivery orders: the shop goods it is mapped to as of its latest order (partner_goods NULL = not mapped, a gap to fix in the shop''s platform set-up).';
COMMENT ON COLUMN qianhub.delivery_goods_map.shop_id IS 'Shop id.';
COMMENT ON COLUMN qianhub.delivery_goods_map.channel IS 'Delivery platform code: MT = Meituan, EL = Ele.me.';
COMMENT ON COLUMN qianhub.delivery_goods_map.channel_goods IS 'The platform''s goods id as text.';
COMMENT ON COLUMN qianhub.delivery_goods_map.channel_goods_name IS 'The platform''s goods name on its latest order.';
COMMENT ON COLUMN qianhub.delivery_goods_map.partner_goods IS 'The shop''s goods id it was mapped to on its latest order (as qianhub.bill_details.goods_id); NULL when not mapped.';
COMMENT ON COLUMN qianhub.delivery_goods_map.partner_goods_name IS 'The shop''s goods name on its latest order; NULL when not mapped.';
COMMENT ON COLUMN qianhub.delivery_goods_map.orders IS 'Delivery orders that contained it.';
COMMENT ON COLUMN qianhub.delivery_goods_map.first_ordered_on IS 'First order time containing it; shop-local wall-clock time (Asia/Shanghai), no zone.';
COMMENT ON COLUMN qianhub.delivery_goods_map.last_ordered_on IS 'Latest order time containing it; shop-local wall-clock time (Asia/Shanghai), no zone.';
