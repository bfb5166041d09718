-- marts.hourly_traffic: one row per vendor, store, business date and clock hour with sales.
CREATE OR REPLACE VIEW marts.hourly_traffic AS
WITH qianhub_guests AS (
    SELECT bill_id, sum(person_count) AS guests
    FROM qianhub.bill_orders
    GROUP BY bill_id
), events AS (
    SELECT
        'qianhub' AS vendor,
        b.shop_id::VARCHAR AS store_id,
        b.business_date,
        hour(b.cashier_on) AS hour,
        TRUE AS is_sale,
        coalesce(b.paid, 0) AS amount,
        g.guests
    FROM qianhub.bills AS b
    LEFT JOIN qianhub_guests AS g USING (bill_id)
    UNION ALL
    SELECT
        'pospal',
        t.account,
        t.business_date,
        hour(t.ticket_time),
        NOT t.is_return,
        CASE WHEN t.is_return THEN -coalesce(t.total_amount, 0)
             ELSE coalesce(t.total_amount, 0) END,
        NULL
    FROM pospal.tickets AS t
    WHERE NOT t.is_void
)
SELECT
    e.vendor,
    e.store_id,
    s.store_name,
    e.business_date,
    e.hour::INTEGER AS hour,
    count(*) FILTER (WHERE e.is_sale) AS transactions,
    sum(e.amount)::DECIMAL(18, 2) AS net_sales,
    sum(e.guests)::BIGINT AS guests
FROM events AS e
LEFT JOIN marts.stores AS s USING (vendor, store_id)
GROUP BY ALL;

COMMENT ON VIEW marts.hourly_traffic IS 'One row per vendor, store, business date and shop-local clock hour that had a sale or return: the shape of the day. Hours add up to marts.daily_sales (transactions, net_sales, guests).';
COMMENT ON COLUMN marts.hourly_traffic.vendor IS 'qianhub or pospal.';
COMMENT ON COLUMN marts.hourly_traffic.store_id IS 'QianHub shop_id as text, or the Pospal account name; see marts.stores.';
COMMENT ON COLUMN marts.hourly_traffic.store_name IS 'Store name from marts.stores.';
COMMENT ON COLUMN marts.hourly_traffic.business_date IS 'Business day (shop-local, Asia/Shanghai); hours after midnight but before the day start belong to the day before.';
COMMENT ON COLUMN marts.hourly_traffic.hour IS 'Hour 0-23 of the shop-local wall clock (Asia/Shanghai) when the bill was settled (cashier_on) or the ticket made (datetime).';
COMMENT ON COLUMN marts.hourly_traffic.transactions IS 'Sales in the hour (QianHub bills; Pospal SELL tickets not voided).';
COMMENT ON COLUMN marts.hourly_traffic.net_sales IS 'Money taken in the hour in yuan, returns negative, voids left out (as marts.daily_sales.net_sales).';
COMMENT ON COLUMN marts.hourly_traffic.guests IS 'QianHub covers (orders'' person_count); NULL for Pospal.';
