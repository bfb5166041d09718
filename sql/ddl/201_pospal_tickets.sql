-- pospal.tickets: one row per ticket (单据) of an account, key (account, sn), latest load wins.
-- No primary key: the key's uniqueness is proven by asset checks, because a DuckDB key index
-- makes delete + insert of one key in one transaction fragile. NOT NULL marks the key and the
-- columns every valid ticket has.
CREATE TABLE IF NOT EXISTS pospal.tickets (
    account            VARCHAR       NOT NULL,
    sn                 VARCHAR       NOT NULL,
    business_date      DATE          NOT NULL,
    uid                BIGINT        NOT NULL,
    ticket_time        TIMESTAMP     NOT NULL,
    cashier_uid        BIGINT,
    total_amount       DECIMAL(18,2),
    signed_amount      DECIMAL(18,2),
    total_profit       DECIMAL(18,4),
    discount_percent   DECIMAL(9,3),
    rounding           DECIMAL(18,2),
    ticket_type        VARCHAR       NOT NULL,
    ticket_type_raw    VARCHAR       NOT NULL,
    is_void            BOOLEAN       NOT NULL,
    is_return          BOOLEAN       NOT NULL,
    external_order_no  VARCHAR,
    remark             VARCHAR,
    item_count         INTEGER       NOT NULL,
    cashier_job_number VARCHAR,
    cashier_name       VARCHAR,
    customer_uid       BIGINT,
    is_member          BOOLEAN       NOT NULL,
    sell_ticket_uid    BIGINT,
    store              VARCHAR,
    load_id            VARCHAR,
    loaded_at          TIMESTAMPTZ
);

COMMENT ON TABLE pospal.tickets IS 'One row per ticket (单据: sale or return) of an account, from queryTicketPages / queryTicketBySn; key account, sn. A re-checkout (反结账) changes a ticket in place with the same sn and uid and no revision number, so the latest load wins and its items, attributes, payments and refund link are replaced with it.';

COMMENT ON COLUMN pospal.tickets.account IS 'Our configured name of the Pospal account (one store''s appId) the ticket was loaded from; not a vendor value.';
COMMENT ON COLUMN pospal.tickets.sn IS 'Ticket serial number (vendor sn), unique within an account; kept across re-checkouts.';
COMMENT ON COLUMN pospal.tickets.business_date IS 'Business day of ticket_time under the configured day-start hour (derived; not sent by the vendor).';
COMMENT ON COLUMN pospal.tickets.uid IS 'Ticket id (vendor uid, a Long beyond 2^53, kept exact); kept across re-checkouts.';
COMMENT ON COLUMN pospal.tickets.ticket_time IS 'When the ticket was made (vendor datetime), which decides business_date; store-local wall-clock time (Asia/Shanghai), no zone.';
COMMENT ON COLUMN pospal.tickets.cashier_uid IS 'Cashier id (vendor cashierUid).';
COMMENT ON COLUMN pospal.tickets.total_amount IS 'Amount received in yuan (vendor totalAmount, 实收) as sent: positive for returns too.';
COMMENT ON COLUMN pospal.tickets.signed_amount IS 'total_amount with returns negated (SELL: total_amount; SELL_RETURN: -|total_amount|), so sum(signed_amount) is net sales; voided tickets keep theirs, filter NOT is_void (derived).';
COMMENT ON COLUMN pospal.tickets.total_profit IS 'Ticket profit in yuan (vendor totalProfit); four places because it derives from cost prices.';
COMMENT ON COLUMN pospal.tickets.discount_percent IS 'Whole-ticket discount as a percentage (vendor discount): 100 = no discount, 88 = 12% off.';
COMMENT ON COLUMN pospal.tickets.rounding IS 'Amount rounded off in yuan (vendor rounding, 抹零): 3.10 charged as 3.00 gives 0.10.';
COMMENT ON COLUMN pospal.tickets.ticket_type IS 'Ticket type upper-cased: SELL (sale) or SELL_RETURN (return); the vendor sends it in any case.';
COMMENT ON COLUMN pospal.tickets.ticket_type_raw IS 'Ticket type exactly as sent (vendor ticketType).';
COMMENT ON COLUMN pospal.tickets.is_void IS 'True when the ticket was voided (vendor invalid = 1; absent reads as not voided).';
COMMENT ON COLUMN pospal.tickets.is_return IS 'True for a return ticket (ticket_type SELL_RETURN); its amounts are sent positive.';
COMMENT ON COLUMN pospal.tickets.external_order_no IS 'Third-party payment order number (vendor externalOrderNo, 第三方平台支付单号).';
COMMENT ON COLUMN pospal.tickets.remark IS 'Ticket remark (vendor remark).';
COMMENT ON COLUMN pospal.tickets.item_count IS 'Number of lines in the ticket''s items list, i.e. rows in pospal.ticket_items (derived; not a quantity).';
COMMENT ON COLUMN pospal.tickets.cashier_job_number IS 'Cashier job number (vendor cashier.jobNumber, sent by real answers, not in the document); may be NULL.';
COMMENT ON COLUMN pospal.tickets.cashier_name IS 'Cashier name (vendor cashier.name, sent by real answers, not in the document); may be NULL.';
COMMENT ON COLUMN pospal.tickets.customer_uid IS 'Member id (vendor customerUid); NULL when the vendor sends 0 or nothing, meaning no member.';
COMMENT ON COLUMN pospal.tickets.is_member IS 'True when the ticket names a member (customer_uid IS NOT NULL; derived).';
COMMENT ON COLUMN pospal.tickets.sell_ticket_uid IS 'For a return: uid of the sale it returns (vendor sellTicketUid) when sent; see pospal.refund_links.';
COMMENT ON COLUMN pospal.tickets.store IS 'Store of the ticket, as its appId or account (vendor ticketStoreAppIdOrAccount); usually NULL on an account''s own tickets.';
COMMENT ON COLUMN pospal.tickets.load_id IS 'Id of the load that wrote this row (lineage; see meta.loads).';
COMMENT ON COLUMN pospal.tickets.loaded_at IS 'When the load that wrote this row ran (lineage, an absolute instant; meta.loads.started_at).';
