-- qianhub.delivery_orders: one row per delivery order (waimai.order), latest state.
-- No primary key: the key's uniqueness is proven by asset checks, because a DuckDB key index
-- makes delete + insert of one key in one transaction fragile. NOT NULL marks key columns.
CREATE TABLE IF NOT EXISTS qianhub.delivery_orders (
    order_id          BIGINT        NOT NULL,
    shop_id           BIGINT        NOT NULL,
    business_date     DATE          NOT NULL,
    sn                VARCHAR,
    channel           VARCHAR,
    channel_name      VARCHAR,
    channel_order     VARCHAR,
    order_state       VARCHAR,
    state_rank        INTEGER       NOT NULL,
    is_canceled       BOOLEAN       NOT NULL,
    pay_state         VARCHAR,
    ship_type         VARCHAR,
    guest_count       INTEGER,
    amount            DECIMAL(18,2),
    goods_amount      DECIMAL(18,2),
    box_amount        DECIMAL(18,2),
    ship_fee          DECIMAL(18,2),
    channel_share     DECIMAL(18,2),
    channel_promotion DECIMAL(18,2),
    partner_promotion DECIMAL(18,2),
    partner_ship_fee  DECIMAL(18,2),
    partner_receive   DECIMAL(18,2),
    online_paid       DECIMAL(18,2),
    pick_type         VARCHAR,
    has_invoice       BOOLEAN,
    partner           VARCHAR,
    partner_mch       VARCHAR,
    channel_mch       VARCHAR,
    item_count        INTEGER       NOT NULL,
    created_on        TIMESTAMP     NOT NULL,
    load_id           VARCHAR,
    loaded_at         TIMESTAMPTZ
);

COMMENT ON TABLE qianhub.delivery_orders IS 'One row per delivery order (外卖, boh_type waimai.order) from Meituan or Ele.me; key order_id. Every state change is re-sent as a new record; the row holds the state furthest along the order''s life (state_rank), and its items and promotions are replaced with it. Guest name, address and phone are personal data and stay in the raw landing only.';

COMMENT ON COLUMN qianhub.delivery_orders.order_id IS 'Delivery order id (vendor json.order), global across shops.';
COMMENT ON COLUMN qianhub.delivery_orders.shop_id IS 'Shop id (the record envelope''s shop_id or "shop_<n>" key).';
COMMENT ON COLUMN qianhub.delivery_orders.business_date IS 'Business day of created_on (when the order was placed) under the configured day-start hour (derived); later states stay on this day.';
COMMENT ON COLUMN qianhub.delivery_orders.sn IS 'The shop''s daily order sequence number (vendor json.sn).';
COMMENT ON COLUMN qianhub.delivery_orders.channel IS 'Delivery platform code as sent (vendor json.channel): MT = Meituan, EL = Ele.me.';
COMMENT ON COLUMN qianhub.delivery_orders.channel_name IS 'Platform name for channel: Meituan or Ele.me; an unknown code is repeated as is (derived).';
COMMENT ON COLUMN qianhub.delivery_orders.channel_order IS 'The platform''s own order number (vendor json.channelOrder).';
COMMENT ON COLUMN qianhub.delivery_orders.order_state IS 'Order state as sent (vendor json.orderState): OrderSubmitted, OrderAcking, ShipAcking, Shipping, Refunding, Completed or Canceled.';
COMMENT ON COLUMN qianhub.delivery_orders.state_rank IS 'Place of order_state in the order''s life (0 OrderSubmitted ... 4 Completed, 5 Refunding, 6 Canceled; -1 unknown), the version: a state loaded late never replaces a later one (derived).';
COMMENT ON COLUMN qianhub.delivery_orders.is_canceled IS 'True when order_state is Canceled, the only cancellation (derived); a Refunding order is not cancelled.';
COMMENT ON COLUMN qianhub.delivery_orders.pay_state IS 'Payment state as sent (vendor json.payState).';
COMMENT ON COLUMN qianhub.delivery_orders.ship_type IS 'Delivery type as sent (vendor json.shipType).';
COMMENT ON COLUMN qianhub.delivery_orders.guest_count IS 'Number of diners (vendor json.guest.count).';
COMMENT ON COLUMN qianhub.delivery_orders.amount IS 'Order amount in yuan (vendor json.amount).';
COMMENT ON COLUMN qianhub.delivery_orders.goods_amount IS 'Goods amount in yuan (vendor json.extra.goodsAmount).';
COMMENT ON COLUMN qianhub.delivery_orders.box_amount IS 'Packaging (餐盒) amount in yuan (vendor json.extra.boxAmount).';
COMMENT ON COLUMN qianhub.delivery_orders.ship_fee IS 'Delivery fee the customer pays in yuan (vendor json.extra.shipFee).';
COMMENT ON COLUMN qianhub.delivery_orders.channel_share IS 'The platform''s commission in yuan (vendor json.extra.channelShare).';
COMMENT ON COLUMN qianhub.delivery_orders.channel_promotion IS 'Subsidy paid by the platform in yuan (vendor json.extra.channelPromotion).';
COMMENT ON COLUMN qianhub.delivery_orders.partner_promotion IS 'Subsidy paid by the shop in yuan (vendor json.extra.partnerPromotion).';
COMMENT ON COLUMN qianhub.delivery_orders.partner_ship_fee IS 'Delivery fee borne by the shop in yuan (vendor json.extra.partnerShipFee).';
COMMENT ON COLUMN qianhub.delivery_orders.partner_receive IS 'What the shop receives from the platform in yuan (vendor json.extra.partnerReceive, 商家实收).';
COMMENT ON COLUMN qianhub.delivery_orders.online_paid IS 'What the customer paid online in yuan (vendor json.extra.onlinePaid).';
COMMENT ON COLUMN qianhub.delivery_orders.pick_type IS 'Pick-up type as sent (vendor json.extra.pickType).';
COMMENT ON COLUMN qianhub.delivery_orders.has_invoice IS 'True when the customer asked for an invoice (vendor json.extra.hasInvoice).';
COMMENT ON COLUMN qianhub.delivery_orders.partner IS 'The shop''s id at the platform (vendor json.extra.partner).';
COMMENT ON COLUMN qianhub.delivery_orders.partner_mch IS 'The shop''s merchant number (vendor json.extra.partnerMch).';
COMMENT ON COLUMN qianhub.delivery_orders.channel_mch IS 'The platform''s merchant number (vendor json.extra.channelMch).';
COMMENT ON COLUMN qianhub.delivery_orders.item_count IS 'Lines in the order''s details list, i.e. rows in qianhub.delivery_order_items (derived).';
COMMENT ON COLUMN qianhub.delivery_orders.created_on IS 'When the order was placed (vendor json.createon), which decides business_date; shop-local wall-clock time (Asia/Shanghai), no zone.';
COMMENT ON COLUMN qianhub.delivery_orders.load_id IS 'Id of the load that wrote this row (lineage; see meta.loads).';
COMMENT ON COLUMN qianhub.delivery_orders.loaded_at IS 'When the load that wrote this row ran (lineage, an absolute instant; meta.loads.started_at).';
