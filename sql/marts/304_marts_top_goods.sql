-- marts.top_goods: one row per vendor, store, business date and product, ranked by amount.
CREATE OR REPLACE VIEW marts.top_goods AS
WITH lines AS (
    SELECT
        'qianhub' AS vendor,
        d.shop_id::VARCHAR AS store_id,
        d.business_date,
        d.goods_id,
        d.goods_name,
        coalesce(d.quantity, 0) - coalesce(d.void_quantity, 0) AS quantity,
        coalesce(d.real_amount, 0) AS amount
    FROM qianhub.bill_details AS d
    WHERE d.goods_id IS NOT NULL
    UNION ALL
    SELECT
        'pospal',
        i.account,
        i.business_date,
        i.product_uid,
        i.name,
        CASE WHEN t.is_return THEN -coalesce(i.quantity, 0) ELSE coalesce(i.quantity, 0) END,
        CASE WHEN t.is_return THEN -coalesce(i.total_amount, 0)
             ELSE coalesce(i.total_amount, 0) END
    FROM pospal.ticket_items AS i
    JOIN pospal.tickets AS t USING (account, sn)
    WHERE NOT t.is_void AND i.product_uid IS NOT NULL
), goods AS (
    SELECT
        vendor, store_id, business_date, goods_id,
        -- The name as last sold that day (a product renamed mid-day keeps one row).
        max(goods_name) AS goods_name,
        sum(quantity)::DECIMAL(18, 3) AS quantity,
        sum(amount)::DECIMAL(18, 2) AS amount
    FROM lines
    GROUP BY vendor, store_id, business_date, goods_id
)
SELECT
    g.vendor,
    g.store_id,
    s.store_name,
    g.business_date,
    g.goods_id,
    g.goods_name,
    g.quantity,
    g.amount,
    row_number() OVER (
        PARTITION BY g.vendor, g.store_id, g.business_date
        ORDER BY g.amount DESC, g.quantity DESC, g.goods_id
    ) AS rank
FROM goods AS g
LEFT JOIN marts.stores AS s USING (vendor, store_id);

COMMENT ON VIEW marts.top_goods IS 'One row per vendor, store, business date and product (goods_id): quantity and amount sold, ranked by amount. Filter rank <= 10 for a top ten.';
COMMENT ON COLUMN marts.top_goods.vendor IS 'qianhub or pospal.';
COMMENT ON COLUMN marts.top_goods.store_id IS 'QianHub shop_id as text, or the Pospal account name; see marts.stores.';
COMMENT ON COLUMN marts.top_goods.store_name IS 'Store name from marts.stores.';
COMMENT ON COLUMN marts.top_goods.business_date IS 'Business day of the bill or ticket (shop-local, Asia/Shanghai).';
COMMENT ON COLUMN marts.top_goods.goods_id IS 'QianHub goods_id (every detail node, children included: add-ons and set-meal parts are goods too); Pospal productUid. Exact BIGINT.';
COMMENT ON COLUMN marts.top_goods.goods_name IS 'Product name as sold (the greatest of the day''s spellings if it was renamed).';
COMMENT ON COLUMN marts.top_goods.quantity IS 'Quantity sold: QianHub quantity minus void_quantity (dishes sent back); Pospal quantity, returns negative, voided tickets left out. May be fractional (weights).';
COMMENT ON COLUMN marts.top_goods.amount IS 'Amount in yuan: QianHub real_amount of the nodes (NULL counts 0; set-meal parts are often 0); Pospal line totalAmount, returns negative. Before whole-bill discounts.';
COMMENT ON COLUMN marts.top_goods.rank IS '1 = highest amount within the vendor, store and business date (ties: higher quantity, then lower goods_id).';
