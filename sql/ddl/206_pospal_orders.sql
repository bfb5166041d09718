-- pospal.orders: one row per online order (网单) of an account, key (account, order_no).
-- No primary key: the key's uniqueness is proven by asset checks, because a DuckDB key index
-- makes delete + insert of one key in one transaction fragile. NOT NULL marks the key and the
-- columns every valid order has.
CREATE TABLE IF NOT EXISTS pospal.orders (
    account               VARCHAR       NOT NULL,
    order_no              VARCHAR       NOT NULL,
    business_date         DATE          NOT NULL,
    order_time            TIMESTAMP     NOT NULL,
    order_id              BIGINT,
    state                 INTEGER,
    state_name            VARCHAR,
    is_canceled           BOOLEAN       NOT NULL,
    pay_method            VARCHAR,
    pay_online            BOOLEAN,
    customer_number       VARCHAR,
    total_amount          DECIMAL(18,2),
    shipping_fee          DECIMAL(18,2),
    order_remark          VARCHAR,
    contact_name          VARCHAR,
    contact_tel           VARCHAR,
    contact_address       VARCHAR,
    day_seq               VARCHAR,
    delivery_type         INTEGER,
    order_source          VARCHAR,
    reservation_time      TIMESTAMP,
    dinners_number        INTEGER,
    restaurant_area_name  VARCHAR,
    restaurant_table_name VARCHAR,
    item_count            INTEGER       NOT NULL,
    load_id               VARCHAR,
    loaded_at             TIMESTAMPTZ
);

COMMENT ON TABLE pospal.orders IS 'One row per online order (网单) of an account, from queryOrderPages / queryOrderByNo; key account, order_no. The answer carries no change time and state codes are not monotonic, so the latest load wins and its items are replaced with it.';

COMMENT ON COLUMN pospal.orders.account IS 'Our configured name of the Pospal account (one store''s appId) the order was loaded from; not a vendor value.';
COMMENT ON COLUMN pospal.orders.order_no IS 'Order number (vendor orderNo), unique per account.';
COMMENT ON COLUMN pospal.orders.business_date IS 'Business day of order_time under the configured day-start hour (derived; not sent by the vendor).';
COMMENT ON COLUMN pospal.orders.order_time IS 'When the order was placed (vendor orderDateTime), which decides business_date; store-local wall-clock time (Asia/Shanghai), no zone.';
COMMENT ON COLUMN pospal.orders.order_id IS 'Order id (vendor id, as used by queryOrderById) when sent.';
COMMENT ON COLUMN pospal.orders.state IS 'Order state as sent (vendor state): 0/NULL created, 1 synced to the till, 2 shipped, 3 canceled, 4 completed, 5 accepted by the merchant, 8 sent to kitchen / delivery, 9 received by the customer.';
COMMENT ON COLUMN pospal.orders.state_name IS 'state named (created, synced, shipped, canceled, completed, accepted, dispatching, received); NULL state reads as created, undocumented codes give NULL (derived).';
COMMENT ON COLUMN pospal.orders.is_canceled IS 'True when state = 3, canceled (derived).';
COMMENT ON COLUMN pospal.orders.pay_method IS 'Payment method (vendor payMethod): cash, customerBalance, wxpay, alipay or payCode_N.';
COMMENT ON COLUMN pospal.orders.pay_online IS 'True when paid online before the store got the order (vendor payOnline = 1); NULL when not sent.';
COMMENT ON COLUMN pospal.orders.customer_number IS 'Member number (vendor customerNumber), not the member uid.';
COMMENT ON COLUMN pospal.orders.total_amount IS 'Order total in yuan (vendor totalAmount).';
COMMENT ON COLUMN pospal.orders.shipping_fee IS 'Delivery fee in yuan (vendor shippingFee).';
COMMENT ON COLUMN pospal.orders.order_remark IS 'Order remark (vendor orderRemark).';
COMMENT ON COLUMN pospal.orders.contact_name IS 'Contact name (vendor contactName); personal data.';
COMMENT ON COLUMN pospal.orders.contact_tel IS 'Contact phone (vendor contactTel); personal data.';
COMMENT ON COLUMN pospal.orders.contact_address IS 'Delivery / contact address (vendor contactAddress); personal data.';
COMMENT ON COLUMN pospal.orders.day_seq IS 'Pick-up number of the day (vendor daySeq, 牌号 / 取餐号).';
COMMENT ON COLUMN pospal.orders.delivery_type IS 'Delivery type (vendor deliveryType): 0/NULL delivered by the store (外卖), 1 self-service order in store, 2 pick-up, 3 reservation, 4 platform delivery.';
COMMENT ON COLUMN pospal.orders.order_source IS 'Order source (vendor orderSource), openapi for orders pushed through the API.';
COMMENT ON COLUMN pospal.orders.reservation_time IS 'Booked arrival time (vendor reservationTime); store-local wall-clock time (Asia/Shanghai), no zone; NULL when unset.';
COMMENT ON COLUMN pospal.orders.dinners_number IS 'Number of diners (vendor dinnersNumber).';
COMMENT ON COLUMN pospal.orders.restaurant_area_name IS 'Restaurant area name (vendor restaurantAreaName).';
COMMENT ON COLUMN pospal.orders.restaurant_table_name IS 'Table name / number (vendor restaurantTableName).';
COMMENT ON COLUMN pospal.orders.item_count IS 'Number of lines in the order''s items list, i.e. rows in pospal.order_items (derived; not a quantity).';
COMMENT ON COLUMN pospal.orders.load_id IS 'Id of the load that wrote this row (lineage; see meta.loads).';
COMMENT ON COLUMN pospal.orders.loaded_at IS 'When the load that wrote this row ran (lineage, an absolute instant; meta.loads.started_at).';
