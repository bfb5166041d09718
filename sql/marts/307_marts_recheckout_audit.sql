-- marts.recheckout_audit: one row per QianHub bill changed after checkout (反结账).
CREATE OR REPLACE VIEW marts.recheckout_audit AS
WITH versions AS (
    SELECT
        bill_id,
        count(*) AS versions_seen,
        min(undo_index) AS first_undo_index,
        arg_min(cashier_on, undo_index) AS first_cashier_on,
        arg_min(paid, undo_index) AS first_paid
    FROM qianhub.bill_versions
    GROUP BY bill_id
)
SELECT
    'qianhub' AS vendor,
    b.shop_id::VARCHAR AS store_id,
    s.store_name,
    b.business_date,
    b.bill_id,
    b.sn,
    coalesce(v.versions_seen, 1) AS versions_seen,
    coalesce(v.first_undo_index, b.undo_index) AS first_undo_index,
    b.undo_index AS last_undo_index,
    coalesce(v.first_cashier_on, b.cashier_on) AS first_cashier_on,
    b.cashier_on AS last_cashier_on,
    CASE WHEN v.first_undo_index < b.undo_index THEN v.first_paid END AS amount_before,
    b.paid AS amount_after,
    (b.paid - CASE WHEN v.first_undo_index < b.undo_index THEN v.first_paid END)
        ::DECIMAL(18, 2) AS amount_change
FROM qianhub.bills AS b
LEFT JOIN versions AS v USING (bill_id)
LEFT JOIN marts.stores AS s ON s.vendor = 'qianhub' AND s.store_id = b.shop_id::VARCHAR
WHERE b.undo_index > 0 OR v.versions_seen > 1;

COMMENT ON VIEW marts.recheckout_audit IS 'One row per QianHub bill changed after checkout (反结账, undo_index > 0): how many versions we loaded and the amount paid before and after. Pospal re-checkouts change a ticket in place without a version number, so they cannot be listed.';
COMMENT ON COLUMN marts.recheckout_audit.vendor IS 'Always qianhub.';
COMMENT ON COLUMN marts.recheckout_audit.store_id IS 'QianHub shop_id as text; see marts.stores.';
COMMENT ON COLUMN marts.recheckout_audit.store_name IS 'Store name from marts.stores.';
COMMENT ON COLUMN marts.recheckout_audit.business_date IS 'Business day of the latest version''s cashier_on (shop-local, Asia/Shanghai).';
COMMENT ON COLUMN marts.recheckout_audit.bill_id IS 'Bill id, exact BIGINT.';
COMMENT ON COLUMN marts.recheckout_audit.sn IS 'Bill number of the latest version.';
COMMENT ON COLUMN marts.recheckout_audit.versions_seen IS 'Versions of the bill this warehouse loaded (qianhub.bill_versions); 1 when every earlier version was replaced at the vendor before our first load.';
COMMENT ON COLUMN marts.recheckout_audit.first_undo_index IS 'undo_index of the earliest version loaded (0 = the original checkout).';
COMMENT ON COLUMN marts.recheckout_audit.last_undo_index IS 'undo_index of the latest version (qianhub.bills).';
COMMENT ON COLUMN marts.recheckout_audit.first_cashier_on IS 'When the earliest loaded version was settled; shop-local wall-clock time (Asia/Shanghai), no zone.';
COMMENT ON COLUMN marts.recheckout_audit.last_cashier_on IS 'When the latest version was settled; shop-local wall-clock time (Asia/Shanghai), no zone.';
COMMENT ON COLUMN marts.recheckout_audit.amount_before IS 'paid of the earliest loaded version in yuan; NULL when only the latest version was ever loaded.';
COMMENT ON COLUMN marts.recheckout_audit.amount_after IS 'paid of the latest version in yuan.';
COMMENT ON COLUMN marts.recheckout_audit.amount_change IS 'amount_after - amount_before in yuan; NULL when amount_before is.';
