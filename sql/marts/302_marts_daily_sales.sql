-- marts.daily_sales: one row per vendor, store and business date.
-- QianHub: every bill in qianhub.bills is a sale (cashier.finish has no voided or refund bills:
-- a change after payment is a re-checkout, which replaces the bill). Pospal: voided tickets are
-- left out of every amount and counted in void_count; returns (SELL_RETURN, sent positive)
-- count in refunds and are subtracted from net_sales. QianHub delivery orders have their own
-- columns (delivery_*), never added to the bill figures.
CREATE OR REPLACE VIEW marts.daily_sales AS
WITH qianhub_guests AS (
    SELECT bill_id, sum(person_count) AS guests
    FROM qianhub.bill_orders
    GROUP BY bill_id
), qianhub_days AS (
    SELECT
        'qianhub' AS vendor,
        b.shop_id::VARCHAR AS store_id,
        b.business_date,
        count(*) AS transactions,
        coalesce(sum(b.amount), 0) AS gross_sales,
        -(coalesce(sum(b.discount), 0) + coalesce(sum(b.promotion), 0)) AS discounts,
        coalesce(sum(b.rounding), 0) AS rounding,
        0::DECIMAL(18, 2) AS refunds,
        0::BIGINT AS refund_count,
        coalesce(sum(b.paid), 0) AS net_sales,
        coalesce(sum(b.paid), 0) AS sales_after_discounts,
        sum(g.guests)::BIGINT AS guests,
        NULL::BIGINT AS void_count,
        count(*) FILTER (WHERE b.undo_index > 0) AS recheckouts
    FROM qianhub.bills AS b
    LEFT JOIN qianhub_guests AS g USING (bill_id)
    GROUP BY ALL
), pospal_item_totals AS (
    SELECT account, sn, sum(total_amount) AS items_total
    FROM pospal.ticket_items
    GROUP BY ALL
), pospal_tickets AS (
    SELECT
        t.account,
        t.business_date,
        t.is_void,
        t.is_return,
        coalesce(t.total_amount, 0) AS total_amount,
        coalesce(t.rounding, 0) AS rounding,
        -- Line totals are already net of line and member discounts; a ticket without lines
        -- has only its own total.
        coalesce(i.items_total, coalesce(t.total_amount, 0) + coalesce(t.rounding, 0))
            AS items_total
    FROM pospal.tickets AS t
    LEFT JOIN pospal_item_totals AS i USING (account, sn)
), pospal_days AS (
    SELECT
        'pospal' AS vendor,
        account AS store_id,
        business_date,
        count(*) FILTER (WHERE NOT is_void AND NOT is_return) AS transactions,
        coalesce(sum(items_total) FILTER (WHERE NOT is_void AND NOT is_return), 0)
            AS gross_sales,
        coalesce(sum(items_total - total_amount - rounding)
            FILTER (WHERE NOT is_void AND NOT is_return), 0) AS discounts,
        coalesce(sum(rounding) FILTER (WHERE NOT is_void AND NOT is_return), 0) AS rounding,
        coalesce(sum(total_amount) FILTER (WHERE NOT is_void AND is_return), 0) AS refunds,
        count(*) FILTER (WHERE NOT is_void AND is_return) AS refund_count,
        coalesce(sum(total_amount) FILTER (WHERE NOT is_void AND NOT is_return), 0)
            - coalesce(sum(total_amount) FILTER (WHERE NOT is_void AND is_return), 0)
            AS net_sales,
        coalesce(sum(total_amount) FILTER (WHERE NOT is_void AND NOT is_return), 0)
            AS sales_after_discounts,
        NULL::BIGINT AS guests,
        count(*) FILTER (WHERE is_void) AS void_count,
        NULL::BIGINT AS recheckouts
    FROM pospal_tickets
    GROUP BY ALL
), days AS (
    SELECT * FROM qianhub_days
    UNION ALL
    SELECT * FROM pospal_days
), deliveries AS (
    SELECT
        'qianhub' AS vendor,
        shop_id::VARCHAR AS store_id,
        business_date,
        count(*) FILTER (WHERE NOT is_canceled) AS delivery_orders,
        coalesce(sum(amount) FILTER (WHERE NOT is_canceled), 0) AS delivery_sales,
        coalesce(sum(partner_receive) FILTER (WHERE NOT is_canceled), 0) AS delivery_received,
        count(*) FILTER (WHERE is_canceled) AS delivery_canceled
    FROM qianhub.delivery_orders
    GROUP BY ALL
), all_days AS (
    -- A shop-day with delivery orders but no bill still gets its row.
    SELECT vendor, store_id, business_date FROM days
    UNION
    SELECT vendor, store_id, business_date FROM deliveries
)
SELECT
    k.vendor,
    k.store_id,
    s.store_name,
    k.business_date,
    coalesce(d.transactions, 0) AS transactions,
    coalesce(d.gross_sales, 0)::DECIMAL(18, 2) AS gross_sales,
    coalesce(d.discounts, 0)::DECIMAL(18, 2) AS discounts,
    coalesce(d.rounding, 0)::DECIMAL(18, 2) AS rounding,
    coalesce(d.refunds, 0)::DECIMAL(18, 2) AS refunds,
    coalesce(d.refund_count, 0) AS refund_count,
    coalesce(d.net_sales, 0)::DECIMAL(18, 2) AS net_sales,
    -- An average is a statistic, not a ledger amount: DuckDB divides in DOUBLE; rounded to fen.
    (d.sales_after_discounts / nullif(d.transactions, 0))::DECIMAL(18, 2) AS avg_ticket,
    d.guests,
    d.void_count,
    d.recheckouts,
    CASE WHEN k.vendor = 'qianhub' THEN coalesce(w.delivery_orders, 0) END AS delivery_orders,
    CASE WHEN k.vendor = 'qianhub' THEN coalesce(w.delivery_sales, 0) END::DECIMAL(18, 2)
        AS delivery_sales,
    CASE WHEN k.vendor = 'qianhub' THEN coalesce(w.delivery_received, 0) END::DECIMAL(18, 2)
        AS delivery_received,
    CASE WHEN k.vendor = 'qianhub' THEN coalesce(w.delivery_canceled, 0) END AS delivery_canceled
FROM all_days AS k
LEFT JOIN days AS d USING (vendor, store_id, business_date)
LEFT JOIN deliveries AS w USING (vendor, store_id, business_date)
LEFT JOIN marts.stores AS s USING (vendor, store_id);

COMMENT ON VIEW marts.daily_sales IS 'One row per vendor, store and business date. Voids excluded from every amount, returns subtracted (refunds); net_sales = gross_sales - discounts - rounding - refunds. Reconciled against QianHub dayend.stat and Pospal payment lines by the marts/daily_sales asset checks.';
COMMENT ON COLUMN marts.daily_sales.vendor IS 'qianhub or pospal.';
COMMENT ON COLUMN marts.daily_sales.store_id IS 'QianHub shop_id as text, or the Pospal account name; see marts.stores.';
COMMENT ON COLUMN marts.daily_sales.store_name IS 'Store name from marts.stores.';
COMMENT ON COLUMN marts.daily_sales.business_date IS 'Business day (shop-local, Asia/Shanghai, starting at POS_WAREHOUSE_BUSINESS_DAY_START) of the bill''s cashier_on or the ticket''s datetime.';
COMMENT ON COLUMN marts.daily_sales.transactions IS 'Sales: QianHub bills (latest versions, so a re-checkout counts once); Pospal SELL tickets not voided. Returns and voids are not transactions.';
COMMENT ON COLUMN marts.daily_sales.gross_sales IS 'Sales before discounts and rounding, in yuan. QianHub: sum of bills.amount (goods + service charge + minimum-charge top-up). Pospal: sum of the lines'' totalAmount, which are already net of line and member discounts (the API sends no list-price total).';
COMMENT ON COLUMN marts.daily_sales.discounts IS 'Reductions as a positive amount in yuan. QianHub: -(bills.discount + bills.promotion). Pospal: the whole-ticket discount only (line totals minus ticket total minus rounding), since line discounts are inside gross_sales.';
COMMENT ON COLUMN marts.daily_sales.rounding IS 'Amount rounded off (抹零) in yuan, positive; both vendors.';
COMMENT ON COLUMN marts.daily_sales.refunds IS 'Returns as a positive amount in yuan: Pospal SELL_RETURN tickets not voided. Always 0 for QianHub, whose cashier.finish bills carry no refunds.';
COMMENT ON COLUMN marts.daily_sales.refund_count IS 'Pospal return tickets not voided; always 0 for QianHub.';
COMMENT ON COLUMN marts.daily_sales.net_sales IS 'Money taken in yuan: QianHub sum of bills.paid (what dayend.stat calls cashierSum); Pospal sales'' totalAmount minus returns'' totalAmount. Equals gross_sales - discounts - rounding - refunds when every QianHub bill is paid in full.';
COMMENT ON COLUMN marts.daily_sales.avg_ticket IS 'Average sale after discounts and rounding, before refunds, per transaction, rounded to fen; NULL on a day without sales.';
COMMENT ON COLUMN marts.daily_sales.guests IS 'QianHub: sum of the orders'' person_count (covers). NULL for Pospal, which records no guest count.';
COMMENT ON COLUMN marts.daily_sales.void_count IS 'Pospal voided tickets (invalid = 1), left out of every amount. NULL for QianHub, which sends no voided bills (voided dishes are in marts.refunds_and_voids).';
COMMENT ON COLUMN marts.daily_sales.delivery_orders IS 'QianHub delivery orders (Meituan / Ele.me, qianhub.delivery_orders) placed that business day and not cancelled; NULL for Pospal. Delivery columns are kept apart from the bill columns: whether a shop also settles delivery orders as POS bills depends on its set-up, so they are never added to net_sales.';
COMMENT ON COLUMN marts.daily_sales.delivery_sales IS 'Order amount of those delivery orders in yuan (what customers paid, platform subsidies deducted); NULL for Pospal. See marts.delivery_channels for the split per platform.';
COMMENT ON COLUMN marts.daily_sales.delivery_received IS 'What the shop receives from the platforms for those orders in yuan (partner_receive: after commission and the shop''s subsidies); NULL for Pospal.';
COMMENT ON COLUMN marts.daily_sales.delivery_canceled IS 'QianHub delivery orders placed that day and cancelled (order_state Canceled); NULL for Pospal.';
COMMENT ON COLUMN marts.daily_sales.recheckouts IS 'QianHub bills re-checked-out (undo_index > 0); see marts.recheckout_audit. NULL for Pospal, whose re-checkouts change a ticket in place without a trace.';
