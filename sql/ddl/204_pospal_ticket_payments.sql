-- pospal.ticket_payments: one row per payment line of a ticket.
-- No primary key: the key's uniqueness is proven by asset checks, because a DuckDB key index
-- makes delete + insert of one key in one transaction fragile. NOT NULL marks key columns.
CREATE TABLE IF NOT EXISTS pospal.ticket_payments (
    account         VARCHAR       NOT NULL,
    sn              VARCHAR       NOT NULL,
    line_no         INTEGER       NOT NULL,
    business_date   DATE          NOT NULL,
    code            VARCHAR       NOT NULL,
    pay_method_name VARCHAR,
    amount          DECIMAL(18,2),
    load_id         VARCHAR,
    loaded_at       TIMESTAMPTZ
);

COMMENT ON TABLE pospal.ticket_payments IS 'One row per payment line (payments[]) of a ticket; key account, sn, line_no (lines carry no id). Replaced together with the ticket.';

COMMENT ON COLUMN pospal.ticket_payments.account IS 'Our configured name of the Pospal account (copied from pospal.tickets).';
COMMENT ON COLUMN pospal.ticket_payments.sn IS 'Ticket this payment belongs to (vendor sn).';
COMMENT ON COLUMN pospal.ticket_payments.line_no IS '0-based position in the ticket''s payments list (derived).';
COMMENT ON COLUMN pospal.ticket_payments.business_date IS 'Business day of the ticket (copied from pospal.tickets, derived from its datetime).';
COMMENT ON COLUMN pospal.ticket_payments.code IS 'Payment method code (vendor payments[].code, payCode_N); names are per store, see pospal.pay_methods.';
COMMENT ON COLUMN pospal.ticket_payments.pay_method_name IS 'Name of the payment method from the store''s queryAllPayMethod at load time; payCode_1 is 现金 (cash) when the store did not name it; NULL for other unknown codes.';
COMMENT ON COLUMN pospal.ticket_payments.amount IS 'Amount paid with this method in yuan (vendor payments[].amount); positive on returns too.';
COMMENT ON COLUMN pospal.ticket_payments.load_id IS 'Id of the load that wrote this row (lineage; see meta.loads).';
COMMENT ON COLUMN pospal.ticket_payments.loaded_at IS 'When the load that wrote this row ran (lineage, an absolute instant; meta.loads.started_at).';
