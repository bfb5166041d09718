-- Analyst example: sales per shop and business day from QianHub bills (latest versions only,
-- so re-checkouts count once). Parameters: $1 first business date, $2 last business date.
SELECT
    b.business_date,
    s.shop_name,
    count(*) AS bills,
    sum(b.amount) AS gross,
    sum(b.discount + b.promotion) AS discounts,
    sum(b.paid) AS paid,
    round(sum(b.paid) / count(*), 2) AS avg_bill,
    count(*) FILTER (WHERE b.undo_index > 0) AS rechecked_out
FROM qianhub.bills AS b
LEFT JOIN qianhub.shops AS s USING (shop_id)
WHERE b.business_date BETWEEN $1 AND $2
GROUP BY ALL
ORDER BY b.business_date, s.shop_name;
