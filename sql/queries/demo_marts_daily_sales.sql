-- Analyst example: one business day ($1) of marts.daily_sales, both vendors, largest first.
SELECT
    vendor,
    store_name,
    business_date,
    transactions,
    gross_sales,
    discounts,
    refunds,
    net_sales,
    avg_ticket,
    guests,
    delivery_orders,
    delivery_sales
FROM marts.daily_sales
WHERE business_date = $1
ORDER BY net_sales DESC, vendor, store_id;
