-- Analyst example: net sales per Pospal account and business day. Voided tickets are left
-- out; returns count negative through signed_amount (the vendor sends them positive).
-- Parameters: $1 first business date, $2 last business date.
SELECT
    t.business_date,
    t.account,
    count(*) FILTER (WHERE NOT t.is_return) AS sales,
    count(*) FILTER (WHERE t.is_return) AS returns,
    sum(t.signed_amount) AS net_sales,
    -- An average is a statistic, not a ledger amount: DuckDB divides in DOUBLE; rounded to fen.
    (sum(t.signed_amount) FILTER (WHERE NOT t.is_return)
        / nullif(count(*) FILTER (WHERE NOT t.is_return), 0))::DECIMAL(18, 2) AS avg_sale,
    count(*) FILTER (WHERE t.is_member) AS member_tickets,
    (SELECT count(*) FROM pospal.tickets AS v
     WHERE v.account = t.account AND v.business_date = t.business_date AND v.is_void) AS voided
FROM pospal.tickets AS t
WHERE t.business_date BETWEEN $1 AND $2 AND NOT t.is_void
GROUP BY ALL
ORDER BY t.business_date, t.account;
