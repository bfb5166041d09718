-- Schema of the WHALE e-voucher (电子凭证) tables: notification status of sale-channel make-code
-- orders, as the ERP sees it through the WHALE admin API (makeNotifyQuery and the verification
-- query). Keyed by the sale channel's order id (渠道方订单编号, the document's 分表位); the
-- latest load wins. WHALE times are stored as sent (naive TIMESTAMP, no time zone documented).
CREATE SCHEMA IF NOT EXISTS whale;
