-- pospal.ticket_item_attributes: one row per taste option or note on a ticket line.
-- No primary key: the key's uniqueness is proven by asset checks, because a DuckDB key index
-- makes delete + insert of one key in one transaction fragile. NOT NULL marks key columns.
CREATE TABLE IF NOT EXISTS pospal.ticket_item_attributes (
    account         VARCHAR     NOT NULL,
    sn              VARCHAR     NOT NULL,
    line_no         INTEGER     NOT NULL,
    attr_no         INTEGER     NOT NULL,
    business_date   DATE        NOT NULL,
    attribute_name  VARCHAR,
    attribute_value VARCHAR,
    load_id         VARCHAR,
    loaded_at       TIMESTAMPTZ
);

COMMENT ON TABLE pospal.ticket_item_attributes IS 'One row per attribute (items[].ticketitemattributes[]: taste options and notes such as 加糖, 加冰) of a ticket line; key account, sn, line_no, attr_no. Replaced together with the ticket.';

COMMENT ON COLUMN pospal.ticket_item_attributes.account IS 'Our configured name of the Pospal account (copied from pospal.tickets).';
COMMENT ON COLUMN pospal.ticket_item_attributes.sn IS 'Ticket this attribute belongs to (vendor sn).';
COMMENT ON COLUMN pospal.ticket_item_attributes.line_no IS 'Line of the ticket it belongs to (pospal.ticket_items.line_no).';
COMMENT ON COLUMN pospal.ticket_item_attributes.attr_no IS '0-based position in the line''s ticketitemattributes list (derived).';
COMMENT ON COLUMN pospal.ticket_item_attributes.business_date IS 'Business day of the ticket (copied from pospal.tickets, derived from its datetime).';
COMMENT ON COLUMN pospal.ticket_item_attributes.attribute_name IS 'Attribute name, the taste option (vendor attributeName, e.g. 加粮).';
COMMENT ON COLUMN pospal.ticket_item_attributes.attribute_value IS 'Attribute value (vendor attributeValue, e.g. 一匙; the document also calls it the option''s price); a number is kept as its exact JSON text.';
COMMENT ON COLUMN pospal.ticket_item_attributes.load_id IS 'Id of the load that wrote this row (lineage; see meta.loads).';
COMMENT ON COLUMN pospal.ticket_item_attributes.loaded_at IS 'When the load that wrote this row ran (lineage, an absolute instant; meta.loads.started_at).';
