-- Net sales and transactions by shop-local hour of the selected stores ($2) on date $1.
-- One row per vendor, store and hour that had any sale.
SELECT vendor, store_id, hour, sum(net_sales) AS net_sales, sum(transactions) AS transactions
FROM marts.hourly_traffic
WHERE business_date = $1 AND list_contains($2, vendor || ':' || store_id)
GROUP BY vendor, store_id, hour
ORDER BY vendor, store_id, hour
