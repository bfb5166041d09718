-- marts.delivery_channels: one row per QianHub shop, business date and delivery platform.
CREATE OR REPLACE VIEW marts.delivery_channels AS
SELECT
    'qianhub' AS vendor,
    o.shop_id::VARCHAR AS store_id,
    s.store_name,
    o.business_date,
    o.channel,
    any_value(o.channel_name) AS channel_name,
    count(*) FILTER (WHERE NOT o.is_canceled) AS orders,
    count(*) FILTER (WHERE o.is_canceled) AS canceled_orders,
    count(*) FILTER (WHERE o.order_state = 'Refunding') AS refunding_orders,
    coalesce(sum(o.amount) FILTER (WHERE NOT o.is_canceled), 0)::DECIMAL(18, 2) AS amount,
    coalesce(sum(o.goods_amount) FILTER (WHERE NOT o.is_canceled), 0)::DECIMAL(18, 2)
        AS goods_amount,
    coalesce(sum(o.box_amount) FILTER (WHERE NOT o.is_canceled), 0)::DECIMAL(18, 2)
        AS box_amount,
    coalesce(sum(o.ship_fee) FILTER (WHERE NOT o.is_canceled), 0)::DECIMAL(18, 2) AS ship_fee,
    coalesce(sum(o.channel_share) FILTER (WHERE NOT o.is_canceled), 0)::DECIMAL(18, 2)
        AS channel_share,
    coalesce(sum(o.channel_promotion) FILTER (WHERE NOT o.is_canceled), 0)::DECIMAL(18, 2)
        AS channel_promotion,
    coalesce(sum(o.partner_promotion) FILTER (WHERE NOT o.is_canceled), 0)::DECIMAL(18, 2)
        AS partner_promotion,
    coalesce(sum(o.partner_receive) FILTER (WHERE NOT o.is_canceled), 0)::DECIMAL(18, 2)
        AS partner_receive,
    (SELECT count(*) FROM qianhub.delivery_order_items AS i
     JOIN qianhub.delivery_orders AS x USING (order_id)
     WHERE x.shop_id = o.shop_id AND x.business_date = o.business_date
       AND x.channel IS NOT DISTINCT FROM o.channel AND NOT i.is_mapped) AS unmapped_lines
FROM qianhub.delivery_orders AS o
LEFT JOIN marts.stores AS s ON s.vendor = 'qianhub' AND s.store_id = o.shop_id::VARCHAR
GROUP BY o.shop_id, s.store_name, o.business_date, o.channel;

COMMENT ON VIEW marts.delivery_channels IS 'One row per QianHub shop, business date and delivery platform (Meituan / Ele.me): orders and how their money splits between customer, platform and shop. Cancelled orders (Canceled, the only cancellation) are counted apart and left out of every amount; Refunding orders are still counted (their refund is not final).';
COMMENT ON COLUMN marts.delivery_channels.vendor IS 'Always qianhub (Pospal''s online orders are in pospal.orders).';
COMMENT ON COLUMN marts.delivery_channels.store_id IS 'QianHub shop_id as text; see marts.stores.';
COMMENT ON COLUMN marts.delivery_channels.store_name IS 'Store name from marts.stores.';
COMMENT ON COLUMN marts.delivery_channels.business_date IS 'Business day the orders were placed (shop-local, Asia/Shanghai).';
COMMENT ON COLUMN marts.delivery_channels.channel IS 'Platform code: MT = Meituan, EL = Ele.me.';
COMMENT ON COLUMN marts.delivery_channels.channel_name IS 'Platform name: Meituan or Ele.me.';
COMMENT ON COLUMN marts.delivery_channels.orders IS 'Orders not cancelled.';
COMMENT ON COLUMN marts.delivery_channels.canceled_orders IS 'Orders cancelled (order_state Canceled).';
COMMENT ON COLUMN marts.delivery_channels.refunding_orders IS 'Orders in Refunding (included in orders and the amounts).';
COMMENT ON COLUMN marts.delivery_channels.amount IS 'Order amount in yuan: what customers paid.';
COMMENT ON COLUMN marts.delivery_channels.goods_amount IS 'Goods amount in yuan (extra.goodsAmount).';
COMMENT ON COLUMN marts.delivery_channels.box_amount IS 'Packaging amount in yuan (extra.boxAmount).';
COMMENT ON COLUMN marts.delivery_channels.ship_fee IS 'Delivery fees customers paid in yuan (extra.shipFee).';
COMMENT ON COLUMN marts.delivery_channels.channel_share IS 'The platform''s commission in yuan (extra.channelShare).';
COMMENT ON COLUMN marts.delivery_channels.channel_promotion IS 'Subsidies paid by the platform in yuan (extra.channelPromotion).';
COMMENT ON COLUMN marts.delivery_channels.partner_promotion IS 'Subsidies paid by the shop in yuan (extra.partnerPromotion).';
COMMENT ON COLUMN marts.delivery_channels.partner_receive IS 'What the shop receives from the platform in yuan (extra.partnerReceive, 商家实收).';
COMMENT ON COLUMN marts.delivery_channels.unmapped_lines IS 'Order lines (cancelled orders included) whose platform goods is mapped to no shop goods: gaps in the shop''s platform set-up (see qianhub.delivery_goods_map).';
