-- marts.payment_mix: one row per vendor, store, business date and payment method.
CREATE OR REPLACE VIEW marts.payment_mix AS
WITH lines AS (
    SELECT
        'qianhub' AS vendor,
        p.shop_id::VARCHAR AS store_id,
        p.business_date,
        coalesce(p.payment_type_name, p.payment_type_sn, p.payment_type_id::VARCHAR)
            AS payment_method,
        coalesce(p.payment_type_sn, p.payment_type_id::VARCHAR) AS payment_code,
        coalesce(p.value, 0) - coalesce(p.change, 0) AS amount
    FROM qianhub.bill_payments AS p
    UNION ALL
    SELECT
        'pospal',
        p.account,
        p.business_date,
        coalesce(p.pay_method_name, p.code),
        p.code,
        CASE WHEN t.is_return THEN -coalesce(p.amount, 0) ELSE coalesce(p.amount, 0) END
    FROM pospal.ticket_payments AS p
    JOIN pospal.tickets AS t USING (account, sn)
    WHERE NOT t.is_void
), methods AS (
    SELECT
        vendor, store_id, business_date, payment_method, payment_code,
        count(*) AS payments,
        sum(amount)::DECIMAL(18, 2) AS amount
    FROM lines
    GROUP BY ALL
)
SELECT
    m.vendor,
    m.store_id,
    s.store_name,
    m.business_date,
    m.payment_method,
    m.payment_code,
    m.payments,
    m.amount,
    -- A share is a statistic: DuckDB divides in DOUBLE; rounded to 4 places.
    (m.amount / nullif(sum(m.amount) OVER (PARTITION BY m.vendor, m.store_id, m.business_date), 0))
        ::DECIMAL(9, 4) AS share
FROM methods AS m
LEFT JOIN marts.stores AS s USING (vendor, store_id);

COMMENT ON VIEW marts.payment_mix IS 'One row per vendor, store, business date and payment method: how the day''s money was taken. Pospal voided tickets left out, returns negative; the amounts of a store-day add up to marts.daily_sales.net_sales.';
COMMENT ON COLUMN marts.payment_mix.vendor IS 'qianhub or pospal.';
COMMENT ON COLUMN marts.payment_mix.store_id IS 'QianHub shop_id as text, or the Pospal account name; see marts.stores.';
COMMENT ON COLUMN marts.payment_mix.store_name IS 'Store name from marts.stores.';
COMMENT ON COLUMN marts.payment_mix.business_date IS 'Business day of the bill or ticket (shop-local, Asia/Shanghai).';
COMMENT ON COLUMN marts.payment_mix.payment_method IS 'Payment method name: QianHub payment_type_name; Pospal the store''s name for the code (pospal.pay_methods), else the code. Names are per store for Pospal: compare methods across stores by name, not code.';
COMMENT ON COLUMN marts.payment_mix.payment_code IS 'QianHub payment_type_sn (else payment_type_id); Pospal payCode_N, meaningful only within its account.';
COMMENT ON COLUMN marts.payment_mix.payments IS 'Payment lines (a bill or ticket split over two methods counts once in each).';
COMMENT ON COLUMN marts.payment_mix.amount IS 'Money taken with the method in yuan: QianHub value minus change; Pospal amount, negative on returns.';
COMMENT ON COLUMN marts.payment_mix.share IS 'amount as a fraction of the store-day''s total over all methods (0.2500 = 25%), 4 places; NULL when that total is 0.';
