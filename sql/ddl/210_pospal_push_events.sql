-- pospal.push_events: one row per pushed business event, key dedupe_key.
-- No primary key: the key's uniqueness is proven by asset checks, because a DuckDB key index
-- makes delete + insert of one key in one transaction fragile. NOT NULL marks the key and the
-- columns every stored push has.
CREATE TABLE IF NOT EXISTS pospal.push_events (
    account           VARCHAR     NOT NULL,
    dedupe_key        VARCHAR     NOT NULL,
    business_date     DATE        NOT NULL,
    app_id            VARCHAR     NOT NULL,
    cmd               VARCHAR     NOT NULL,
    version           VARCHAR,
    born_at           TIMESTAMP   NOT NULL,
    pushed_at         TIMESTAMP   NOT NULL,
    born_ms           BIGINT      NOT NULL,
    sn                VARCHAR,
    uid               BIGINT,
    ticket_type       INTEGER,
    order_no          VARCHAR,
    order_state       INTEGER,
    customer_uid      BIGINT,
    stock_flow_id     BIGINT,
    body              VARCHAR     NOT NULL,
    deliveries        INTEGER     NOT NULL,
    first_received_at TIMESTAMPTZ NOT NULL,
    last_received_at  TIMESTAMPTZ NOT NULL,
    refresh           VARCHAR     NOT NULL,
    refresh_status    VARCHAR     NOT NULL,
    refreshed_at      TIMESTAMPTZ,
    refresh_note      VARCHAR,
    load_id           VARCHAR,
    loaded_at         TIMESTAMPTZ
);

COMMENT ON TABLE pospal.push_events IS 'One row per business event Pospal pushed to the webhook (开放通知服务), key dedupe_key = appId|cmd|business key; redeliveries and producer duplicates only raise deliveries. Copied from the webhook inbox ($POS_WAREHOUSE_HOME/pospal-push.sqlite) by the pospal_push_refresh job; ticket.* and productOrder.* events also re-fetch their ticket or order into pospal.tickets / pospal.orders. Unknown commands are kept too.';

COMMENT ON COLUMN pospal.push_events.account IS 'Our configured name of the Pospal account whose key signed the push.';
COMMENT ON COLUMN pospal.push_events.dedupe_key IS 'appId|cmd|business key (ticket: sn|ticketType; order: orderNo|state; stock flow: stockFlowId; unknown command: sha256 of body).';
COMMENT ON COLUMN pospal.push_events.business_date IS 'Business day of born_at under the configured day-start hour (derived).';
COMMENT ON COLUMN pospal.push_events.app_id IS 'Vendor appId of the push (appId).';
COMMENT ON COLUMN pospal.push_events.cmd IS 'Vendor message type (cmd), e.g. ticket.new, ticket.reverse, productOrder.completePay, customer.recharge, stockFlow.confirmStockFlowIn.';
COMMENT ON COLUMN pospal.push_events.version IS 'Vendor message version (version).';
COMMENT ON COLUMN pospal.push_events.born_at IS 'When the event happened (vendor bornTimeStamp), store-local wall-clock time (Asia/Shanghai), no zone. The latest event of a key wins.';
COMMENT ON COLUMN pospal.push_events.pushed_at IS 'When the vendor sent the push (vendor timestamp) of the stored version, store-local wall-clock time (Asia/Shanghai), no zone.';
COMMENT ON COLUMN pospal.push_events.born_ms IS 'bornTimeStamp exactly as sent (epoch milliseconds); orders events of one id (stock flows arrive unordered).';
COMMENT ON COLUMN pospal.push_events.sn IS 'Ticket serial number for ticket.* events (body sn).';
COMMENT ON COLUMN pospal.push_events.uid IS 'Ticket id for ticket.* events (body uid, beyond 2^53, exact).';
COMMENT ON COLUMN pospal.push_events.ticket_type IS 'body ticketType: 1 sale, 2 return, 3 re-checkout of a sale, 4 re-checkout of a return.';
COMMENT ON COLUMN pospal.push_events.order_no IS 'Online order number for productOrder.* events (body orderNo).';
COMMENT ON COLUMN pospal.push_events.order_state IS 'Online order state for productOrder.* events (body state: 0 created, 1 synced, 2 shipped, 3 canceled, 4 finished, 5 accepted, 8 dispatching, 9 received).';
COMMENT ON COLUMN pospal.push_events.customer_uid IS 'Member id for ticket.* and customer.* events (body customerUid; NULL when 0 or absent).';
COMMENT ON COLUMN pospal.push_events.stock_flow_id IS 'Stock flow id for stockFlow.* events (body stockFlowId).';
COMMENT ON COLUMN pospal.push_events.body IS 'The pushed body exactly as sent: a JSON text (money and ids as the vendor wrote them). Query with json_extract.';
COMMENT ON COLUMN pospal.push_events.deliveries IS 'How many times this event was delivered (vendor retries and duplicates included).';
COMMENT ON COLUMN pospal.push_events.first_received_at IS 'When the webhook first stored this event (an absolute instant).';
COMMENT ON COLUMN pospal.push_events.last_received_at IS 'When the webhook last received this event (an absolute instant).';
COMMENT ON COLUMN pospal.push_events.refresh IS 'What the event refreshes: ticket (queryTicketBySn), order (queryOrderByNo) or none (stored only).';
COMMENT ON COLUMN pospal.push_events.refresh_status IS 'pending (waiting for a refresh run), done, failed (see refresh_note) or none.';
COMMENT ON COLUMN pospal.push_events.refreshed_at IS 'When the refresh finished (an absolute instant); NULL while pending.';
COMMENT ON COLUMN pospal.push_events.refresh_note IS 'Why a refresh failed or how it was done (e.g. whole day re-pulled).';
COMMENT ON COLUMN pospal.push_events.load_id IS 'Id of the load that wrote this row (lineage; see meta.loads).';
COMMENT ON COLUMN pospal.push_events.loaded_at IS 'When the load that wrote this row ran (lineage, an absolute instant; meta.loads.started_at).';

-- Stock flows arrive unordered: the state of a flow is its event with the latest bornTimeStamp.
CREATE OR REPLACE VIEW pospal.stock_flow_states AS
SELECT
    account,
    stock_flow_id,
    arg_max(cmd, born_ms) AS state_cmd,
    max(born_at) AS state_at,
    count(*) AS events
FROM pospal.push_events
WHERE cmd LIKE 'stockFlow.%'
GROUP BY account, stock_flow_id;

COMMENT ON VIEW pospal.stock_flow_states IS 'One row per account and stock flow (货流单): its state is the stockFlow.* command with the latest bornTimeStamp, whatever order the pushes arrived in.';

COMMENT ON COLUMN pospal.stock_flow_states.account IS 'Our configured name of the Pospal account whose key signed the pushes.';
COMMENT ON COLUMN pospal.stock_flow_states.stock_flow_id IS 'Stock flow id (push body stockFlowId).';
COMMENT ON COLUMN pospal.stock_flow_states.state_cmd IS 'The flow''s state: the stockFlow.* command of its event with the latest bornTimeStamp (born_ms), e.g. stockFlow.confirmStockFlowIn.';
COMMENT ON COLUMN pospal.stock_flow_states.state_at IS 'Latest born_at of the flow''s events, store-local wall-clock time (Asia/Shanghai), no zone.';
COMMENT ON COLUMN pospal.stock_flow_states.events IS 'How many push_events rows the flow has: one per distinct stockFlow.* command (redeliveries only raise push_events.deliveries).';
