-- pospal.refund_links: one row per return ticket that names the sale it returns.
-- No primary key: the key's uniqueness is proven by asset checks, because a DuckDB key index
-- makes delete + insert of one key in one transaction fragile. NOT NULL marks key columns.
CREATE TABLE IF NOT EXISTS pospal.refund_links (
    account         VARCHAR     NOT NULL,
    sn              VARCHAR     NOT NULL,
    business_date   DATE        NOT NULL,
    return_uid      BIGINT      NOT NULL,
    sell_ticket_uid BIGINT      NOT NULL,
    load_id         VARCHAR,
    loaded_at       TIMESTAMPTZ
);

COMMENT ON TABLE pospal.refund_links IS 'One row per SELL_RETURN ticket that names its sale (vendor sellTicketUid); key account, sn (the return''s). The sale''s sn is resolved in SQL by joining pospal.tickets on uid = sell_ticket_uid. Replaced together with the return ticket.';

COMMENT ON COLUMN pospal.refund_links.account IS 'Our configured name of the Pospal account (copied from pospal.tickets).';
COMMENT ON COLUMN pospal.refund_links.sn IS 'Serial number of the return ticket (the return_sn); named sn because the ticket key is (account, sn).';
COMMENT ON COLUMN pospal.refund_links.business_date IS 'Business day of the return ticket (copied from pospal.tickets, derived from its datetime).';
COMMENT ON COLUMN pospal.refund_links.return_uid IS 'Id of the return ticket (its vendor uid).';
COMMENT ON COLUMN pospal.refund_links.sell_ticket_uid IS 'Id of the sale ticket being returned (vendor sellTicketUid on the return).';
COMMENT ON COLUMN pospal.refund_links.load_id IS 'Id of the load that wrote this row (lineage; see meta.loads).';
COMMENT ON COLUMN pospal.refund_links.loaded_at IS 'When the load that wrote this row ran (lineage, an absolute instant; meta.loads.started_at).';
