-- qianhub.bill_details: one row per bill detail node (ordered item), children (cooking methods,
-- add-ons, set-meal parts) flattened with parent_detail_id, root_detail_id, depth and path.
-- No primary key: the key's uniqueness is proven by asset checks, because a DuckDB key index
-- makes delete + insert of one key in one transaction fragile. NOT NULL marks key columns.
CREATE TABLE IF NOT EXISTS qianhub.bill_details (
    bill_id             BIGINT        NOT NULL,
    order_id            BIGINT        NOT NULL,
    detail_id           BIGINT        NOT NULL,
    parent_detail_id    BIGINT,
    root_detail_id      BIGINT        NOT NULL,
    depth               INTEGER       NOT NULL,
    path                VARCHAR       NOT NULL,
    line_no             INTEGER       NOT NULL,
    shop_id             BIGINT        NOT NULL,
    business_date       DATE          NOT NULL,
    goods_id            BIGINT,
    goods_name          VARCHAR,
    goods_sn            VARCHAR,
    product_type_id     INTEGER,
    product_type_name   VARCHAR,
    goods_group_id      BIGINT,
    goods_group_name    VARCHAR,
    goods_group_sn      VARCHAR,
    goods_subgroup_id   BIGINT,
    goods_subgroup_name VARCHAR,
    goods_subgroup_sn   VARCHAR,
    unit_type_id        BIGINT,
    unit_type_name      VARCHAR,
    tags                VARCHAR[],
    origin_price        DECIMAL(18,2),
    current_price       DECIMAL(18,2),
    real_amount         DECIMAL(18,2),
    quantity            DECIMAL(18,3),
    void_quantity       DECIMAL(18,3),
    weight              DECIMAL(18,3),
    staff_id            BIGINT,
    staff_name          VARCHAR,
    remark              VARCHAR,
    load_id             VARCHAR,
    loaded_at           TIMESTAMPTZ
);

COMMENT ON TABLE qianhub.bill_details IS 'One row per bill detail node (ordered item), children (cooking methods, add-ons, set-meal parts) flattened with parent_detail_id, root_detail_id, depth and path; key bill_id, detail_id.';

COMMENT ON COLUMN qianhub.bill_details.bill_id IS 'Bill this row belongs to (vendor json.bill_id); rows are replaced with the bill''s latest version.';
COMMENT ON COLUMN qianhub.bill_details.order_id IS 'Order the detail belongs to (vendor orders[].order_id).';
COMMENT ON COLUMN qianhub.bill_details.detail_id IS 'Detail id (vendor details[].detail_id, also on nested children[]).';
COMMENT ON COLUMN qianhub.bill_details.parent_detail_id IS 'detail_id of the enclosing node; NULL at the top level (derived from the children[] nesting).';
COMMENT ON COLUMN qianhub.bill_details.root_detail_id IS 'detail_id of the top-level ancestor; the node itself at the top level (derived).';
COMMENT ON COLUMN qianhub.bill_details.depth IS 'Nesting level: 0 for a top-level detail, 1 for its children, ... (derived; at most 64).';
COMMENT ON COLUMN qianhub.bill_details.path IS 'detail_ids from the root to this node joined by ''/'' (derived), e.g. 5539576102912/5539576102913.';
COMMENT ON COLUMN qianhub.bill_details.line_no IS '0-based position among its siblings (derived).';
COMMENT ON COLUMN qianhub.bill_details.shop_id IS 'Shop of the bill (copied from qianhub.bills).';
COMMENT ON COLUMN qianhub.bill_details.business_date IS 'Business day of the bill (copied from qianhub.bills, derived from cashier_on).';
COMMENT ON COLUMN qianhub.bill_details.goods_id IS 'Dish id (vendor details[].goods.goods_id).';
COMMENT ON COLUMN qianhub.bill_details.goods_name IS 'Dish name as sent, spaces kept (vendor details[].goods.goods_name).';
COMMENT ON COLUMN qianhub.bill_details.goods_sn IS 'Dish code (vendor details[].goods.goods_sn).';
COMMENT ON COLUMN qianhub.bill_details.product_type_id IS 'Product type (vendor details[].goods.product_type_id): 1 normal, 2 weighed, 3 market price, 4 set meal, 5 special, 6 add-on, 7 cooking method.';
COMMENT ON COLUMN qianhub.bill_details.product_type_name IS 'Product type name (vendor details[].goods.product_type_name).';
COMMENT ON COLUMN qianhub.bill_details.goods_group_id IS 'Dish group id (vendor details[].goods.goods_group_id, 大类).';
COMMENT ON COLUMN qianhub.bill_details.goods_group_name IS 'Dish group name (vendor details[].goods.goods_group_name).';
COMMENT ON COLUMN qianhub.bill_details.goods_group_sn IS 'Dish group code (vendor details[].goods.goods_group_sn).';
COMMENT ON COLUMN qianhub.bill_details.goods_subgroup_id IS 'Dish subgroup id (vendor details[].goods.goods_subgroup_id, 小类).';
COMMENT ON COLUMN qianhub.bill_details.goods_subgroup_name IS 'Dish subgroup name (vendor details[].goods.goods_subgroup_name).';
COMMENT ON COLUMN qianhub.bill_details.goods_subgroup_sn IS 'Dish subgroup code (vendor details[].goods.goods_subgroup_sn).';
COMMENT ON COLUMN qianhub.bill_details.unit_type_id IS 'Unit / size id (vendor details[].goods.unit_type_id, 规格).';
COMMENT ON COLUMN qianhub.bill_details.unit_type_name IS 'Unit / size name (vendor details[].goods.unit_type_name).';
COMMENT ON COLUMN qianhub.bill_details.tags IS 'Detail tags (vendor details[].tags): gift, changed, special, return, discount, weight, ingredient, cooking; empty when none.';
COMMENT ON COLUMN qianhub.bill_details.origin_price IS 'List price in yuan (vendor details[].origin_price).';
COMMENT ON COLUMN qianhub.bill_details.current_price IS 'Price charged per unit in yuan (vendor details[].current_price).';
COMMENT ON COLUMN qianhub.bill_details.real_amount IS 'Actual line total in yuan (vendor details[].real_amount); often NULL on children.';
COMMENT ON COLUMN qianhub.bill_details.quantity IS 'Portions ordered (vendor details[].quantity).';
COMMENT ON COLUMN qianhub.bill_details.void_quantity IS 'Portions returned / voided (vendor details[].void_quantity, 退量).';
COMMENT ON COLUMN qianhub.bill_details.weight IS 'Weight, meaningful for weighed dishes (vendor details[].weight).';
COMMENT ON COLUMN qianhub.bill_details.staff_id IS 'Staff who took the order line (vendor details[].staff_id).';
COMMENT ON COLUMN qianhub.bill_details.staff_name IS 'Name of that staff member (vendor details[].staff_name).';
COMMENT ON COLUMN qianhub.bill_details.remark IS 'Free-text remark, e.g. 不要辣 (vendor details[].remark); may be NULL.';
COMMENT ON COLUMN qianhub.bill_details.load_id IS 'Id of the load that wrote this row (lineage; see meta.loads).';
COMMENT ON COLUMN qianhub.bill_details.loaded_at IS 'When the load that wrote this row ran (lineage, an absolute instant; meta.loads.started_at).';
