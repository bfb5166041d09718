-- whale.verify_notifications: one row per sale-channel order id the ERP listed, its latest verification (核销) notification.
-- No primary key (as elsewhere: uniqueness is the loader's, a DuckDB key index makes delete +
-- insert of one key in one transaction fragile). NOT NULL marks the key column.
CREATE TABLE IF NOT EXISTS whale.verify_notifications (
    sale_channel_order_id VARCHAR     NOT NULL,
    notify_id             VARCHAR,
    order_id              VARCHAR,
    request_id            VARCHAR,
    sale_channel_id       BIGINT,
    create_date           DATE,
    created_at            TIMESTAMP,
    order_mobile_masked   VARCHAR,
    code_num              INTEGER,
    order_extend          VARCHAR,
    is_notify             VARCHAR,
    is_notified           BOOLEAN,
    is_can_void           VARCHAR,
    can_void              BOOLEAN,
    return_code           VARCHAR,
    succeeded             BOOLEAN,
    update_date           DATE,
    updated_at            TIMESTAMP,
    status                VARCHAR,
    load_id               VARCHAR,
    loaded_at             TIMESTAMPTZ
);

COMMENT ON TABLE whale.verify_notifications IS 'One row per sale-channel order id listed by the ERP (WHALE_ORDER_IDS_FILE or _TABLE): its latest verification (核销) notification from WHALE the verification query (WHALE_VERIFY_NOTIFY_ACTION, default verifyNotifyQuery); key sale_channel_order_id, the latest load wins. Orders WHALE has no verification notice for have no row.';

COMMENT ON COLUMN whale.verify_notifications.sale_channel_order_id IS 'Sale channel''s make-code order id (vendor saleChannelOrderId, 渠道方订单编号); the key.';
COMMENT ON COLUMN whale.verify_notifications.notify_id IS 'WHALE notification id (vendor notifyId); NULL when not sent (the document''s example omits it).';
COMMENT ON COLUMN whale.verify_notifications.order_id IS 'WHALE''s own order id (vendor orderId).';
COMMENT ON COLUMN whale.verify_notifications.request_id IS 'Request id (vendor requestId: in the document''s example, not its field table); may be NULL.';
COMMENT ON COLUMN whale.verify_notifications.sale_channel_id IS 'Sale channel id (vendor saleChannelId, Long).';
COMMENT ON COLUMN whale.verify_notifications.create_date IS 'Order creation date (vendor createDate, yyyyMMdd).';
COMMENT ON COLUMN whale.verify_notifications.created_at IS 'Order creation time (vendor createTime, yyyyMMddHHmmss), as sent.';
COMMENT ON COLUMN whale.verify_notifications.order_mobile_masked IS 'Mobile number sent at make-code (vendor orderMobile) with all but the first 3 and last 4 digits masked: the full number is personal data and is not kept.';
COMMENT ON COLUMN whale.verify_notifications.code_num IS 'Number of codes made for the order (vendor codeNum).';
COMMENT ON COLUMN whale.verify_notifications.order_extend IS 'Order extension text (vendor orderExtend); may be NULL.';
COMMENT ON COLUMN whale.verify_notifications.is_notify IS 'Notified or not, vendor text (vendor isNotify: 已通知 / 未通知).';
COMMENT ON COLUMN whale.verify_notifications.is_notified IS 'True when is_notify is 已通知, false for 未通知, NULL for any other text.';
COMMENT ON COLUMN whale.verify_notifications.is_can_void IS 'Whether the order can be voided, vendor text (vendor isCanVoid: 可撤销 / 不可撤销).';
COMMENT ON COLUMN whale.verify_notifications.can_void IS 'True when is_can_void is 可撤销, false for 不可撤销, NULL for any other text.';
COMMENT ON COLUMN whale.verify_notifications.return_code IS 'The order''s notification result code (vendor returnCode, String(2)): 00 succeeded, anything else failed.';
COMMENT ON COLUMN whale.verify_notifications.succeeded IS 'True when return_code is 00.';
COMMENT ON COLUMN whale.verify_notifications.update_date IS 'Order update date (vendor updateDate, yyyyMMdd); NULL when not sent.';
COMMENT ON COLUMN whale.verify_notifications.updated_at IS 'Order update time (vendor updateTime, yyyyMMddHHmmss), as sent; NULL when not sent.';
COMMENT ON COLUMN whale.verify_notifications.status IS 'Status description (vendor status, e.g. 已核销).';
COMMENT ON COLUMN whale.verify_notifications.load_id IS 'Id of the load that wrote this row (lineage; see meta.loads).';
COMMENT ON COLUMN whale.verify_notifications.loaded_at IS 'When the load that wrote this row ran (lineage, an absolute instant; meta.loads.started_at).';
