-- Headline figures of the selected stores ($2: 'vendor:store_id' keys) on business date $1.
-- One row per vendor and store. Voids count voided documents (Pospal) and voided dish lines
-- (QianHub, whose daily_sales.void_count is NULL) alike, from marts.refunds_and_voids.
WITH voids AS (
    SELECT vendor, store_id, count(*) AS voids
    FROM marts.refunds_and_voids
    WHERE business_date = $1 AND kind IN ('void', 'voided_dish')
    GROUP BY vendor, store_id
)
SELECT
    d.vendor,
    d.store_id,
    d.net_sales,
    d.transactions,
    d.avg_ticket,
    d.refunds,
    d.refund_count,
    coalesce(v.voids, 0) AS voids
FROM marts.daily_sales AS d
LEFT JOIN voids AS v ON v.vendor = d.vendor AND v.store_id = d.store_id
WHERE d.business_date = $1 AND list_contains($2, d.vendor || ':' || d.store_id)
ORDER BY d.vendor, d.store_id
