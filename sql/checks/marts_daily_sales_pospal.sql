-- marts.daily_sales against Pospal's own ticket sums, one row per account and business date:
-- our transactions and net_sales next to the same figures summed from the tickets' payment
-- lines (pospal.ticket_payments, the vendor's record of the money), returns negative and voided
-- tickets left out. A payment line whose ticket row is missing counts as a sale, so a ticket
-- lost from pospal.tickets shows as a difference instead of vanishing from both sides.
WITH theirs AS (
    SELECT
        p.account AS store_id,
        p.business_date,
        count(DISTINCT p.sn) FILTER (WHERE NOT coalesce(t.is_return, FALSE))
            AS vendor_transactions,
        sum(CASE WHEN coalesce(t.is_return, FALSE) THEN -p.amount ELSE p.amount END)
            AS vendor_net_sales
    FROM pospal.ticket_payments AS p
    LEFT JOIN pospal.tickets AS t USING (account, sn)
    WHERE NOT coalesce(t.is_void, FALSE)
    GROUP BY ALL
), ours AS (
    SELECT store_id, business_date, transactions, net_sales
    FROM marts.daily_sales
    WHERE vendor = 'pospal'
)
SELECT
    'pospal' AS vendor,
    coalesce(t.store_id, o.store_id) AS store_id,
    coalesce(t.business_date, o.business_date) AS business_date,
    coalesce(o.transactions, 0) AS transactions,
    coalesce(t.vendor_transactions, 0) AS vendor_transactions,
    coalesce(o.net_sales, 0)::DECIMAL(18, 2) AS net_sales,
    coalesce(t.vendor_net_sales, 0)::DECIMAL(18, 2) AS vendor_net_sales
FROM theirs AS t
FULL OUTER JOIN ours AS o USING (store_id, business_date)
ORDER BY business_date, store_id;
