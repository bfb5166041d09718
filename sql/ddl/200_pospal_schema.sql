-- Schema of the Pospal (银豹) tables. Every table starts with account: our configured name for
-- the Pospal account (one store's appId), not a vendor value. Vendor times are store-local
-- wall-clock time (Asia/Shanghai) stored as naive TIMESTAMP; amounts DECIMAL(18,2) yuan, unit
-- prices and profits DECIMAL(18,4), quantities DECIMAL(18,3), discount percentages
-- DECIMAL(9,3) (100 = no discount); ids BIGINT.
CREATE SCHEMA IF NOT EXISTS pospal;
