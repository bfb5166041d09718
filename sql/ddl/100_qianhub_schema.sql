-- Schema of the QianHub (彩虹云宝 / 食通宝) tables. All vendor times are shop-local wall-clock
-- time (Asia/Shanghai) stored as naive TIMESTAMP; money DECIMAL(18,2) yuan; ids BIGINT.
CREATE SCHEMA IF NOT EXISTS qianhub;
