-- The stores a daily report can show: every vendor store with a marts.daily_sales row on the
-- business date $1. One row per vendor and store_id.
SELECT vendor, store_id, max(store_name) AS store_name
FROM marts.daily_sales
WHERE business_date = $1
GROUP BY vendor, store_id
ORDER BY vendor, store_id
