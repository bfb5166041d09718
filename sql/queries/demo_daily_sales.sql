-- Analyst example: sales per shop and business day from QianHub bills (latest versions only,
-- so re-checkouts count once). Parameters: $1 first business date, $2 last business date.
SELECT
    b.business_date,
    s.shop_name,
    count(*) AS bills,
    sum(b.amount) AS gross,
    coalesce(sum(b.discount), 0) + coalesce(sum(b.promotion), 0) AS discounts,
    sum(b.paid) AS paid,
    -- An average is a statistic, not a ledger amount: DuckDB divides in DOUBLE; rounded to fen.
    (sum(b.paid) / count(*))::DECIMAL(18, 2) AS avg_bill,
    count(*) FILTER (WHERE b.undo_index > 0) AS rechecked_out
FROM qianhub.bills AS b
LEFT JOIN qianhub.shops AS s USING (shop_id)
WHERE b.business_date BETWEEN $1 AND $2
GROUP BY ALL
ORDER BY b.business_date, s.shop_name;
