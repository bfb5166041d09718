-- pospal.ticket_items: one row per line of a ticket, replaced with the ticket.
-- No primary key: the key's uniqueness is proven by asset checks, because a DuckDB key index
-- makes delete + insert of one key in one transaction fragile. NOT NULL marks key columns.
CREATE TABLE IF NOT EXISTS pospal.ticket_items (
    account              VARCHAR       NOT NULL,
    sn                   VARCHAR       NOT NULL,
    line_no              INTEGER       NOT NULL,
    business_date        DATE          NOT NULL,
    product_uid          BIGINT,
    name                 VARCHAR,
    product_barcode      VARCHAR,
    buy_price            DECIMAL(18,4),
    sell_price           DECIMAL(18,4),
    customer_price       DECIMAL(18,4),
    quantity             DECIMAL(18,3),
    discount             DECIMAL(9,3),
    customer_discount    DECIMAL(9,3),
    total_amount         DECIMAL(18,2),
    total_profit         DECIMAL(18,4),
    is_customer_discount BOOLEAN,
    is_weighing          BOOLEAN,
    load_id              VARCHAR,
    loaded_at            TIMESTAMPTZ
);

COMMENT ON TABLE pospal.ticket_items IS 'One row per line (items[]) of a ticket; key account, sn, line_no (lines carry no id). Replaced together with the ticket.';

COMMENT ON COLUMN pospal.ticket_items.account IS 'Our configured name of the Pospal account (copied from pospal.tickets).';
COMMENT ON COLUMN pospal.ticket_items.sn IS 'Ticket this line belongs to (vendor sn).';
COMMENT ON COLUMN pospal.ticket_items.line_no IS '0-based position of the line in the ticket''s items list (derived).';
COMMENT ON COLUMN pospal.ticket_items.business_date IS 'Business day of the ticket (copied from pospal.tickets, derived from its datetime).';
COMMENT ON COLUMN pospal.ticket_items.product_uid IS 'Product id (vendor items[].productUid, a Long beyond 2^53, kept exact).';
COMMENT ON COLUMN pospal.ticket_items.name IS 'Product name as sold (vendor items[].name).';
COMMENT ON COLUMN pospal.ticket_items.product_barcode IS 'Product barcode (vendor items[].productBarcode, sent by real answers, not in the document); may be NULL.';
COMMENT ON COLUMN pospal.ticket_items.buy_price IS 'Cost price per unit in yuan (vendor items[].buyPrice, 进货价); four places because cost prices may be kept finer than a cent.';
COMMENT ON COLUMN pospal.ticket_items.sell_price IS 'List price per unit in yuan (vendor items[].sellPrice).';
COMMENT ON COLUMN pospal.ticket_items.customer_price IS 'Member price per unit in yuan (vendor items[].customerPrice).';
COMMENT ON COLUMN pospal.ticket_items.quantity IS 'Quantity sold (vendor items[].quantity); may be fractional, e.g. 3.5 boxes or a weight.';
COMMENT ON COLUMN pospal.ticket_items.discount IS 'Line discount as a percentage (vendor items[].discount): 100 = no discount.';
COMMENT ON COLUMN pospal.ticket_items.customer_discount IS 'Member discount as a percentage (vendor items[].customerDiscount): 100 = no discount.';
COMMENT ON COLUMN pospal.ticket_items.total_amount IS 'Line total in yuan (vendor items[].totalAmount); positive on returns too.';
COMMENT ON COLUMN pospal.ticket_items.total_profit IS 'Line profit in yuan (vendor items[].totalProfit); four places because it derives from the cost price.';
COMMENT ON COLUMN pospal.ticket_items.is_customer_discount IS 'True when the member discount applied (vendor items[].isCustomerDiscount = 1).';
COMMENT ON COLUMN pospal.ticket_items.is_weighing IS 'True for a weighed product (vendor items[].isWeighing = 1, sent by real answers, not in the document); may be NULL.';
COMMENT ON COLUMN pospal.ticket_items.load_id IS 'Id of the load that wrote this row (lineage; see meta.loads).';
COMMENT ON COLUMN pospal.ticket_items.loaded_at IS 'When the load that wrote this row ran (lineage, an absolute instant; meta.loads.started_at).';
