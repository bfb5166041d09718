-- The newest $3 returns, voided documents and voided dish lines of the selected stores ($2) on
-- date $1, newest first. One row per event of marts.refunds_and_voids.
SELECT
    vendor,
    store_id,
    kind,
    document_id,
    event_time,
    amount,
    quantity,
    goods_name,
    reference
FROM marts.refunds_and_voids
WHERE business_date = $1 AND list_contains($2, vendor || ':' || store_id)
ORDER BY event_time DESC NULLS LAST, document_id DESC
LIMIT $3
