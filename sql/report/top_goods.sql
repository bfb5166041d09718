-- Top goods by amount across the selected stores ($2) on date $1, at most $3 rows. Goods are
-- matched by name: the two vendors' goods ids are unrelated. One row per goods name.
SELECT
    goods_name,
    sum(quantity) AS quantity,
    sum(amount) AS amount,
    count(DISTINCT vendor || ':' || store_id) AS stores
FROM marts.top_goods
WHERE business_date = $1 AND list_contains($2, vendor || ':' || store_id)
GROUP BY goods_name
ORDER BY amount DESC, goods_name
LIMIT $3
