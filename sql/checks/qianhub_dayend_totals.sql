-- Bill totals against the vendor's own day-end report, per shop, for one business date ($1).
-- One row per shop that has a dayend.stat for the date: our bill count and sum of paid next to
-- the report's summary `bill` and detail `cashierSum`. A shop without a day-end report (day not
-- closed yet) cannot be checked and is not listed.
WITH ours AS (
    SELECT shop_id, count(*) AS bills, sum(paid) AS paid
    FROM qianhub.bills
    WHERE business_date = $1
    GROUP BY shop_id
), theirs AS (
    SELECT
        shop_id,
        max(CASE WHEN section = 'summary' AND key = 'bill' AND depth = 0
                 THEN TRY_CAST(value_text AS BIGINT) END) AS bills,
        max(CASE WHEN section = 'detail' AND key = 'cashierSum' AND depth = 0
                 THEN amount END) AS paid
    FROM qianhub.dayend_stat_lines
    WHERE business_date = $1
    GROUP BY shop_id
)
SELECT
    t.shop_id,
    coalesce(o.bills, 0) AS bills,
    t.bills AS dayend_bills,
    coalesce(o.paid, 0)::DECIMAL(18, 2) AS paid,
    t.paid AS dayend_paid,
    (coalesce(o.paid, 0) - coalesce(t.paid, 0))::DECIMAL(18, 2) AS paid_difference,
    (coalesce(o.bills, 0) = t.bills AND coalesce(o.paid, 0) = t.paid) AS matches
FROM theirs AS t
LEFT JOIN ours AS o USING (shop_id)
ORDER BY t.shop_id;
