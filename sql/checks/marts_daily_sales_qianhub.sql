-- marts.daily_sales against QianHub's own day-end report (dayend.stat), one row per shop and
-- business date that has a report: our transactions and net_sales next to the report's summary
-- `bill` count and detail `cashierSum`. A day without a report (not closed yet) is not listed.
WITH theirs AS (
    SELECT
        shop_id::VARCHAR AS store_id,
        business_date,
        max(CASE WHEN section = 'summary' AND key = 'bill' AND depth = 0
                 THEN TRY_CAST(value_text AS BIGINT) END) AS vendor_transactions,
        max(CASE WHEN section = 'detail' AND key = 'cashierSum' AND depth = 0
                 THEN amount END) AS vendor_net_sales
    FROM qianhub.dayend_stat_lines
    GROUP BY ALL
)
SELECT
    'qianhub' AS vendor,
    t.store_id,
    t.business_date,
    coalesce(m.transactions, 0) AS transactions,
    t.vendor_transactions,
    coalesce(m.net_sales, 0)::DECIMAL(18, 2) AS net_sales,
    t.vendor_net_sales::DECIMAL(18, 2) AS vendor_net_sales
FROM theirs AS t
LEFT JOIN marts.daily_sales AS m
    ON m.vendor = 'qianhub' AND m.store_id = t.store_id AND m.business_date = t.business_date
ORDER BY t.business_date, t.store_id;
