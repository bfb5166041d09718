-- QianHub bills changed after checkout for the selected stores ($2) on date $1, latest change
-- first. One row per bill of marts.recheckout_audit.
SELECT
    vendor,
    store_id,
    bill_id,
    sn,
    versions_seen,
    first_undo_index,
    last_undo_index,
    first_cashier_on,
    last_cashier_on,
    amount_before,
    amount_after,
    amount_change
FROM marts.recheckout_audit
WHERE business_date = $1 AND list_contains($2, vendor || ':' || store_id)
ORDER BY last_cashier_on DESC NULLS LAST, bill_id
