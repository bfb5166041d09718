-- qianhub.shops: one row per shop visible to the app, from qianhub.agent.list-shop.
-- No primary key: the key's uniqueness is proven by asset checks, because a DuckDB key index
-- makes delete + insert of one key in one transaction fragile. NOT NULL marks key columns.
CREATE TABLE IF NOT EXISTS qianhub.shops (
    shop_id             BIGINT      NOT NULL,
    brand_id            BIGINT,
    brand_name          VARCHAR,
    sn                  VARCHAR,
    shop_name           VARCHAR,
    shop_address        VARCHAR,
    shop_contact        VARCHAR,
    business_on         DATE,
    latest_business_day DATE,
    create_on           TIMESTAMP,
    load_id             VARCHAR,
    loaded_at           TIMESTAMPTZ
);

COMMENT ON TABLE qianhub.shops IS 'One row per shop visible to the app, from qianhub.agent.list-shop; key shop_id, the latest load wins.';

COMMENT ON COLUMN qianhub.shops.shop_id IS 'Shop id (vendor shop_id).';
COMMENT ON COLUMN qianhub.shops.brand_id IS 'Brand the shop belongs to (vendor brand_id).';
COMMENT ON COLUMN qianhub.shops.brand_name IS 'Brand name (vendor brand_name).';
COMMENT ON COLUMN qianhub.shops.sn IS 'Shop code (vendor sn, 门店编码); not unique across brands.';
COMMENT ON COLUMN qianhub.shops.shop_name IS 'Shop name (vendor shop_name).';
COMMENT ON COLUMN qianhub.shops.shop_address IS 'Shop address (vendor shop_address); may be NULL.';
COMMENT ON COLUMN qianhub.shops.shop_contact IS 'Contact phone (vendor shop_contact); may be NULL.';
COMMENT ON COLUMN qianhub.shops.business_on IS 'Date the shop started trading (vendor business_on, sent unpadded like 2018-1-1); may be NULL.';
COMMENT ON COLUMN qianhub.shops.latest_business_day IS 'Latest business day the vendor reports for the shop (vendor latest_business_day).';
COMMENT ON COLUMN qianhub.shops.create_on IS 'When the shop was created at the vendor (vendor create_on); shop-local wall-clock time (Asia/Shanghai), no zone.';
COMMENT ON COLUMN qianhub.shops.load_id IS 'Id of the load that wrote this row (lineage; see meta.loads).';
COMMENT ON COLUMN qianhub.shops.loaded_at IS 'When the load that wrote this row ran (lineage, an absolute instant; meta.loads.started_at).';
