-- pospal.pay_methods: one row per payment method of an account, key (account, code).
-- No primary key: the key's uniqueness is proven by asset checks, because a DuckDB key index
-- makes delete + insert of one key in one transaction fragile. NOT NULL marks key columns.
CREATE TABLE IF NOT EXISTS pospal.pay_methods (
    account    VARCHAR     NOT NULL,
    code       VARCHAR     NOT NULL,
    name       VARCHAR,
    show_name  VARCHAR,
    is_enabled BOOLEAN,
    load_id    VARCHAR,
    loaded_at  TIMESTAMPTZ
);

COMMENT ON TABLE pospal.pay_methods IS 'One row per payment method of an account, from ticketOpenApi/queryAllPayMethod; key account, code, the latest load wins. Names ticket_payments.code per store: only payCode_1 (现金, cash) is the same everywhere.';

COMMENT ON COLUMN pospal.pay_methods.account IS 'Our configured name of the Pospal account (one store''s appId); not a vendor value.';
COMMENT ON COLUMN pospal.pay_methods.code IS 'Payment method code (vendor code, payCode_N), as on ticket payments.';
COMMENT ON COLUMN pospal.pay_methods.name IS 'Payment method name (vendor name, e.g. 现金).';
COMMENT ON COLUMN pospal.pay_methods.show_name IS 'Name the store shows for the method (vendor showName) when sent; may be NULL.';
COMMENT ON COLUMN pospal.pay_methods.is_enabled IS 'True when the method is enabled (vendor enable = 1); NULL when not sent.';
COMMENT ON COLUMN pospal.pay_methods.load_id IS 'Id of the load that wrote this row (lineage; see meta.loads).';
COMMENT ON COLUMN pospal.pay_methods.loaded_at IS 'When the load that wrote this row ran (lineage, an absolute instant; meta.loads.started_at).';
