-- marts.stores: one row per store of either vendor (vendor, store_id), with the name analysts see.
CREATE OR REPLACE VIEW marts.stores AS
SELECT
    'qianhub' AS vendor,
    s.shop_id::VARCHAR AS store_id,
    coalesce(s.shop_name, s.shop_id::VARCHAR) AS store_name
FROM qianhub.shops AS s
UNION ALL
-- A shop with bills but no list-shop row (listed once, then gone) still gets a name.
SELECT
    'qianhub',
    b.shop_id::VARCHAR,
    coalesce(arg_max(b.shop_name, b.cashier_on), b.shop_id::VARCHAR)
FROM qianhub.bills AS b
WHERE NOT EXISTS (SELECT 1 FROM qianhub.shops AS s WHERE s.shop_id = b.shop_id)
GROUP BY b.shop_id
UNION ALL
SELECT DISTINCT 'pospal', t.account, t.account
FROM pospal.tickets AS t;

COMMENT ON VIEW marts.stores IS 'One row per store (vendor, store_id): QianHub shops from list-shop (or, for a shop no longer listed, its bills) and Pospal accounts that have tickets.';
COMMENT ON COLUMN marts.stores.vendor IS 'qianhub or pospal.';
COMMENT ON COLUMN marts.stores.store_id IS 'QianHub shop_id as text, or the Pospal account name (our configured name of one store''s appId).';
COMMENT ON COLUMN marts.stores.store_name IS 'QianHub shop name (qianhub.shops.shop_name, else the name printed on its bills); for Pospal the account name, since the API sends no store name.';
