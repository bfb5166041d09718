-- Payment mix of the selected stores ($2) on date $1: one row per vendor, store and payment
-- method name (the code when the vendor sent no name). Amounts are net of returns.
SELECT
    vendor,
    store_id,
    coalesce(payment_method, payment_code, '?') AS method,
    sum(payments) AS payments,
    sum(amount) AS amount
FROM marts.payment_mix
WHERE business_date = $1 AND list_contains($2, vendor || ':' || store_id)
GROUP BY vendor, store_id, coalesce(payment_method, payment_code, '?')
ORDER BY vendor, store_id, amount DESC, method
