-- Shops the newest committed list-shop load returned: every listing rewrites the rows of the
-- shops it lists (with its load_id), so a shop the vendor stopped listing keeps an older one.
SELECT s.shop_id
FROM qianhub.shops AS s
WHERE s.load_id = (
    SELECT l.load_id
    FROM meta.loads AS l
    WHERE l.vendor = 'qianhub' AND l.endpoint = 'list-shop' AND l.status = 'committed'
    ORDER BY l.finished_at DESC
    LIMIT 1
)
ORDER BY s.shop_id;
