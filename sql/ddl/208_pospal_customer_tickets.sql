-- pospal.customer_tickets: one row per member and ticket, across stores.
-- No primary key: the key's uniqueness is proven by asset checks, because a DuckDB key index
-- makes delete + insert of one key in one transaction fragile. NOT NULL marks the key and the
-- columns every valid ticket has.
CREATE TABLE IF NOT EXISTS pospal.customer_tickets (
    account           VARCHAR       NOT NULL,
    customer_uid      BIGINT        NOT NULL,
    store             VARCHAR       NOT NULL,
    sn                VARCHAR       NOT NULL,
    business_date     DATE          NOT NULL,
    uid               BIGINT        NOT NULL,
    ticket_time       TIMESTAMP     NOT NULL,
    cashier_uid       BIGINT,
    total_amount      DECIMAL(18,2),
    signed_amount     DECIMAL(18,2),
    total_profit      DECIMAL(18,4),
    discount_percent  DECIMAL(9,3),
    rounding          DECIMAL(18,2),
    ticket_type       VARCHAR       NOT NULL,
    ticket_type_raw   VARCHAR       NOT NULL,
    is_void           BOOLEAN       NOT NULL,
    is_return         BOOLEAN       NOT NULL,
    external_order_no VARCHAR,
    remark            VARCHAR,
    item_count        INTEGER       NOT NULL,
    load_id           VARCHAR,
    loaded_at         TIMESTAMPTZ
);

COMMENT ON TABLE pospal.customer_tickets IS 'One row per member (customer_uid) and ticket (store, sn) from queryCustomerHistoryTicketsByUid with all stores; key customer_uid, store, sn, the latest load wins. Ticket lines are not loaded from histories: a store''s own lines are in pospal.ticket_items.';

COMMENT ON COLUMN pospal.customer_tickets.account IS 'Our configured name of the Pospal account whose credentials fetched the history (latest load); not the store of the ticket.';
COMMENT ON COLUMN pospal.customer_tickets.customer_uid IS 'Member whose history this is (the customerUid asked for; the rows themselves may carry 0).';
COMMENT ON COLUMN pospal.customer_tickets.store IS 'Store where the member bought, as its appId or account (vendor ticketStoreAppIdOrAccount).';
COMMENT ON COLUMN pospal.customer_tickets.sn IS 'Ticket serial number (vendor sn), unique within its store.';
COMMENT ON COLUMN pospal.customer_tickets.business_date IS 'Business day of ticket_time under the configured day-start hour (derived; not sent by the vendor).';
COMMENT ON COLUMN pospal.customer_tickets.uid IS 'Ticket id (vendor uid, a Long beyond 2^53, kept exact).';
COMMENT ON COLUMN pospal.customer_tickets.ticket_time IS 'When the ticket was made (vendor datetime), which decides business_date; store-local wall-clock time (Asia/Shanghai), no zone.';
COMMENT ON COLUMN pospal.customer_tickets.cashier_uid IS 'Cashier id (vendor cashierUid).';
COMMENT ON COLUMN pospal.customer_tickets.total_amount IS 'Amount received in yuan (vendor totalAmount) as sent: positive for returns too.';
COMMENT ON COLUMN pospal.customer_tickets.signed_amount IS 'total_amount with returns negated (SELL: total_amount; SELL_RETURN: -|total_amount|); voided tickets keep theirs, filter NOT is_void (derived).';
COMMENT ON COLUMN pospal.customer_tickets.total_profit IS 'Ticket profit in yuan (vendor totalProfit); four places because it derives from cost prices.';
COMMENT ON COLUMN pospal.customer_tickets.discount_percent IS 'Whole-ticket discount as a percentage (vendor discount): 100 = no discount.';
COMMENT ON COLUMN pospal.customer_tickets.rounding IS 'Amount rounded off in yuan (vendor rounding, 抹零).';
COMMENT ON COLUMN pospal.customer_tickets.ticket_type IS 'Ticket type upper-cased: SELL or SELL_RETURN.';
COMMENT ON COLUMN pospal.customer_tickets.ticket_type_raw IS 'Ticket type exactly as sent (vendor ticketType).';
COMMENT ON COLUMN pospal.customer_tickets.is_void IS 'True when the ticket was voided (vendor invalid = 1; absent reads as not voided).';
COMMENT ON COLUMN pospal.customer_tickets.is_return IS 'True for a return ticket (ticket_type SELL_RETURN).';
COMMENT ON COLUMN pospal.customer_tickets.external_order_no IS 'Third-party payment order number (vendor externalOrderNo).';
COMMENT ON COLUMN pospal.customer_tickets.remark IS 'Ticket remark (vendor remark).';
COMMENT ON COLUMN pospal.customer_tickets.item_count IS 'Number of lines in the ticket''s items list (derived; not a quantity).';
COMMENT ON COLUMN pospal.customer_tickets.load_id IS 'Id of the load that wrote this row (lineage; see meta.loads).';
COMMENT ON COLUMN pospal.customer_tickets.loaded_at IS 'When the load that wrote this row ran (lineage, an absolute instant; meta.loads.started_at).';
