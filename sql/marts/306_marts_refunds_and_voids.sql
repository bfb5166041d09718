-- marts.refunds_and_voids: one row per returned or voided document, or voided dish line.
CREATE OR REPLACE VIEW marts.refunds_and_voids AS
WITH pospal_quantities AS (
    SELECT account, sn, sum(quantity) AS quantity
    FROM pospal.ticket_items
    GROUP BY ALL
), events AS (
    SELECT
        'pospal' AS vendor,
        t.account AS store_id,
        t.business_date,
        CASE WHEN t.is_void THEN 'void' ELSE 'return' END AS kind,
        t.sn AS document_id,
        t.ticket_time AS event_time,
        coalesce(t.total_amount, 0) AS amount,
        q.quantity,
        NULL::VARCHAR AS goods_name,
        -- A return names its sale by uid; show the sale's sn when that sale is loaded.
        CASE WHEN t.is_return
             THEN coalesce(sale.sn, t.sell_ticket_uid::VARCHAR) END AS reference,
        t.is_return
    FROM pospal.tickets AS t
    LEFT JOIN pospal_quantities AS q USING (account, sn)
    LEFT JOIN pospal.tickets AS sale
        ON sale.account = t.account AND sale.uid = t.sell_ticket_uid AND NOT sale.is_return
    WHERE t.is_void OR t.is_return
    UNION ALL
    SELECT
        'qianhub',
        d.shop_id::VARCHAR,
        d.business_date,
        'voided_dish',
        d.bill_id::VARCHAR,
        b.cashier_on,
        coalesce(d.current_price, 0) * d.void_quantity,
        d.void_quantity,
        d.goods_name,
        d.detail_id::VARCHAR,
        FALSE
    FROM qianhub.bill_details AS d
    JOIN qianhub.bills AS b USING (bill_id)
    WHERE d.void_quantity > 0
)
SELECT
    e.vendor,
    e.store_id,
    s.store_name,
    e.business_date,
    e.kind,
    e.document_id,
    e.event_time,
    e.amount::DECIMAL(18, 2) AS amount,
    e.quantity::DECIMAL(18, 3) AS quantity,
    e.goods_name,
    e.reference
FROM events AS e
LEFT JOIN marts.stores AS s USING (vendor, store_id);

COMMENT ON VIEW marts.refunds_and_voids IS 'One row per Pospal return or voided ticket, and per QianHub dish line sent back (退菜) in a bill. The audit list behind marts.daily_sales.refunds and void_count; a voided return is listed once, as a void.';
COMMENT ON COLUMN marts.refunds_and_voids.vendor IS 'qianhub or pospal.';
COMMENT ON COLUMN marts.refunds_and_voids.store_id IS 'QianHub shop_id as text, or the Pospal account name; see marts.stores.';
COMMENT ON COLUMN marts.refunds_and_voids.store_name IS 'Store name from marts.stores.';
COMMENT ON COLUMN marts.refunds_and_voids.business_date IS 'Business day of the ticket or bill (shop-local, Asia/Shanghai).';
COMMENT ON COLUMN marts.refunds_and_voids.kind IS 'return (Pospal SELL_RETURN not voided), void (Pospal ticket voided, sale or return) or voided_dish (QianHub detail with void_quantity > 0).';
COMMENT ON COLUMN marts.refunds_and_voids.document_id IS 'Pospal ticket sn, or QianHub bill_id as text.';
COMMENT ON COLUMN marts.refunds_and_voids.event_time IS 'Pospal ticket datetime, or the QianHub bill''s cashier_on; shop-local wall-clock time (Asia/Shanghai), no zone.';
COMMENT ON COLUMN marts.refunds_and_voids.amount IS 'Positive amount in yuan: the ticket''s totalAmount, or current_price x void_quantity of the dish line (money the bill did not charge).';
COMMENT ON COLUMN marts.refunds_and_voids.quantity IS 'Units: the ticket''s summed line quantities, or the dish line''s void_quantity.';
COMMENT ON COLUMN marts.refunds_and_voids.goods_name IS 'Dish name for a voided_dish; NULL for tickets.';
COMMENT ON COLUMN marts.refunds_and_voids.reference IS 'For a return: the sale''s sn when it is loaded, else its uid (sellTicketUid); for a voided_dish: the detail_id. NULL otherwise.';
