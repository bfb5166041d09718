-- Voids and returns consistency for one business date (parameter 1), per rule: the number of
-- rows breaking it. 0 everywhere is a pass. Returns are sent with positive amounts and named
-- by ticketType in any case; flattening normalises both, and these rules prove it did.
WITH day_tickets AS (
    SELECT * FROM pospal.tickets WHERE business_date = $1
),
day_links AS (
    SELECT * FROM pospal.refund_links WHERE business_date = $1
)
SELECT 'type_and_return_flag_disagree' AS rule, count(*) AS rows
FROM day_tickets
WHERE ticket_type NOT IN ('SELL', 'SELL_RETURN') OR is_return <> (ticket_type = 'SELL_RETURN')
UNION ALL
SELECT 'signed_amount_wrong_sign', count(*)
FROM day_tickets
WHERE signed_amount IS DISTINCT FROM
    CASE WHEN is_return THEN -abs(total_amount) ELSE total_amount END
UNION ALL
SELECT 'refund_link_on_a_sale', count(*)
FROM day_links AS l
JOIN pospal.tickets AS t USING (account, sn)
WHERE NOT t.is_return
UNION ALL
SELECT 'refund_link_disagrees_with_ticket', count(*)
FROM day_links AS l
JOIN pospal.tickets AS t USING (account, sn)
WHERE l.return_uid <> t.uid OR l.sell_ticket_uid IS DISTINCT FROM t.sell_ticket_uid
UNION ALL
SELECT 'return_naming_a_sale_without_link', count(*)
FROM day_tickets AS t
WHERE t.is_return AND t.sell_ticket_uid IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM pospal.refund_links AS l WHERE l.account = t.account AND l.sn = t.sn)
UNION ALL
SELECT 'return_of_a_return', count(*)
FROM day_links AS l
JOIN pospal.tickets AS s ON s.account = l.account AND s.uid = l.sell_ticket_uid
WHERE s.is_return
UNION ALL
SELECT 'live_return_of_a_voided_sale', count(*)
FROM day_links AS l
JOIN pospal.tickets AS r USING (account, sn)
JOIN pospal.tickets AS s ON s.account = l.account AND s.uid = l.sell_ticket_uid
WHERE s.is_void AND NOT r.is_void
ORDER BY rule;
