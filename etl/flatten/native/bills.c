/* cashier.finish records -> rows of the seven bill tables.
 *
 * Grain and values are etl/flatten/qianhub_bills.py's (one bills and one bill_versions row per
 * record, one row per order, per detail node in pre-order with parent, root, depth and path,
 * and per payment, promotion and discount line), and the fields are etl/qianhub/models.py's
 * (a test holds the shapes below equal to the msgspec models, and the columns to the Arrow
 * schemas).
 *
 * A record is read in two steps. First it is parsed into a tree of nodes that point into the
 * input (fields may come in any order: a bill's cashier_on after its orders, a detail's id
 * after its children, and rows need both). Nothing is written while parsing, so a record
 * this path does not vouch for (BAIL) leaves no trace and is handed back whole to the
 * reference flattener. Then, once every check has passed, its rows are appended.
 *
 * BAIL, never a guess: a record that is not a cashier.finish bill, a field of another JSON
 * type than its model's, a missing key field, an id beyond its integer type, money with a real
 * digit beyond the scale, an unusual time, a shop that is missing or disagrees, a repeated key
 * or order or detail id, details nested deeper than MAX_DEPTH, text that is not UTF-8, an
 * escaped key. The reference then rejects or accepts it, by its own rules and reasons.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "bills.h"

#define MAX_DEPTH 64 /* etl/flatten/qianhub_bills.py: deepest children level accepted */
#define MAX_SLOTS 25
#define BLOCK_NODES 256

/* ---------------------------------------------------------------- shapes (the models) */

typedef enum {
    F_INT64,
    F_INT32,
    F_TEXT,
    F_CODE, /* str, or an integer kept as its digits */
    F_MONEY,
    F_QUANTITY,
    F_TIME,
    F_TAGS,
    F_OBJECT, /* a nested object of shape `shape` (or null) */
    F_LIST,   /* a list of objects of shape `shape` (or null): linked from Node.list[list] */
} FieldKind;

typedef enum { O_ENVELOPE, O_BILL, O_ORDER, O_DETAIL, O_GOODS, O_PAYMENT, O_PROMOTION,
               O_DISCOUNT, N_SHAPES } ShapeId;

typedef struct {
    const char *name;
    uint8_t len, kind, required, shape, list;
} Field;

typedef struct {
    const char *name;
    const Field *fields;
    int count;
    uint32_t required; /* bit per required field */
} Shape;

#define FLD(name, kind) {name, sizeof(name) - 1, kind, 0, 0, 0}
#define KEY(name, kind) {name, sizeof(name) - 1, kind, 1, 0, 0}
#define SUB(name, kind, shape, list) {name, sizeof(name) - 1, kind, 0, shape, list}

/* The envelope, as etl/flatten/qianhub_envelope.py reads it; "shop_<n>" keys are handled apart. */
enum { E_BOH_TYPE, E_JSON, E_SHOP_ID, E_STAFF_ID, E_STAFF_NAME, E_CREATE_ON };
static const Field ENVELOPE[] = {
    FLD("boh_type", F_TEXT),   SUB("json", F_OBJECT, O_BILL, 0), FLD("shop_id", F_INT64),
    FLD("staff_id", F_INT64),  FLD("staff_name", F_TEXT),        FLD("create_on", F_TEXT),
};

enum { B_BILL_ID, B_CASHIER_ON, B_BRAND_ID, B_BRAND_NAME, B_SHOP_ID, B_SHOP_NAME, B_SN,
       B_AMOUNT, B_REAL_AMOUNT, B_GOODS_AMOUNT, B_ORDER_AMOUNT, B_PAID, B_SURCHARGE,
       B_MINCHARGE, B_DISCOUNT, B_PROMOTION, B_ROUNDING, B_CASHIER_STAFF_ID,
       B_CASHIER_STAFF_NAME, B_UNDO_INDEX, B_ORDERS, B_PAYMENTS, B_PROMOTIONS, B_DISCOUNTS,
       B_CREATE_ON };
enum { L_ORDERS, L_PAYMENTS, L_PROMOTIONS, L_DISCOUNTS };
static const Field BILL[] = {
    KEY("bill_id", F_INT64),
    KEY("cashier_on", F_TIME),
    FLD("brand_id", F_INT64),
    FLD("brand_name", F_TEXT),
    FLD("shop_id", F_INT64),
    FLD("shop_name", F_TEXT),
    FLD("sn", F_CODE),
    FLD("amount", F_MONEY),
    FLD("real_amount", F_MONEY),
    FLD("goods_amount", F_MONEY),
    FLD("order_amount", F_MONEY),
    FLD("paid", F_MONEY),
    FLD("surcharge", F_MONEY),
    FLD("mincharge", F_MONEY),
    FLD("discount", F_MONEY),
    FLD("promotion", F_MONEY),
    FLD("rounding", F_MONEY),
    FLD("cashier_staff_id", F_INT64),
    FLD("cashier_staff_name", F_TEXT),
    FLD("undo_index", F_INT32),
    SUB("orders", F_LIST, O_ORDER, L_ORDERS),
    SUB("payments", F_LIST, O_PAYMENT, L_PAYMENTS),
    SUB("promotions", F_LIST, O_PROMOTION, L_PROMOTIONS),
    SUB("discounts", F_LIST, O_DISCOUNT, L_DISCOUNTS),
    FLD("create_on", F_TIME),
};

enum { OR_ORDER_ID, OR_ORDER_NAME, OR_ORDER_SN, OR_PERSON_COUNT, OR_TABLE_ID, OR_ORDER_AMOUNT,
       OR_GOODS_AMOUNT, OR_SURCHARGE, OR_MINCHARGE, OR_DISCOUNT, OR_PROMOTION, OR_VOUCHER,
       OR_DETAILS };
static const Field ORDER[] = {
    KEY("order_id", F_INT64),
    FLD("order_name", F_TEXT),
    FLD("order_sn", F_CODE),
    FLD("person_count", F_INT32),
    FLD("table_id", F_INT64),
    FLD("order_amount", F_MONEY),
    FLD("goods_amount", F_MONEY),
    FLD("surcharge", F_MONEY),
    FLD("mincharge", F_MONEY),
    FLD("discount", F_MONEY),
    FLD("promotion", F_MONEY),
    FLD("voucher", F_MONEY),
    SUB("details", F_LIST, O_DETAIL, 0),
};

enum { D_DETAIL_ID, D_GOODS, D_TAGS, D_ORIGIN_PRICE, D_CURRENT_PRICE, D_REAL_AMOUNT,
       D_QUANTITY, D_VOID_QUANTITY, D_WEIGHT, D_STAFF_ID, D_STAFF_NAME, D_REMARK, D_CHILDREN };
static const Field DETAIL[] = {
    KEY("detail_id", F_INT64),
    SUB("goods", F_OBJECT, O_GOODS, 0),
    FLD("tags", F_TAGS),
    FLD("origin_price", F_MONEY),
    FLD("current_price", F_MONEY),
    FLD("real_amount", F_MONEY),
    FLD("quantity", F_QUANTITY),
    FLD("void_quantity", F_QUANTITY),
    FLD("weight", F_QUANTITY),
    FLD("staff_id", F_INT64),
    FLD("staff_name", F_TEXT),
    FLD("remark", F_TEXT),
    SUB("children", F_LIST, O_DETAIL, 0),
};

enum { G_GOODS_ID, G_GOODS_NAME, G_GOODS_SN, G_PRODUCT_TYPE_ID, G_PRODUCT_TYPE_NAME,
       G_GOODS_GROUP_ID, G_GOODS_GROUP_NAME, G_GOODS_GROUP_SN, G_GOODS_SUBGROUP_ID,
       G_GOODS_SUBGROUP_NAME, G_GOODS_SUBGROUP_SN, G_UNIT_TYPE_ID, G_UNIT_TYPE_NAME };
static const Field GOODS[] = {
    FLD("goods_id", F_INT64),
    FLD("goods_name", F_TEXT),
    FLD("goods_sn", F_CODE),
    FLD("product_type_id", F_INT32),
    FLD("product_type_name", F_TEXT),
    FLD("goods_group_id", F_INT64),
    FLD("goods_group_name", F_TEXT),
    FLD("goods_group_sn", F_CODE),
    FLD("goods_subgroup_id", F_INT64),
    FLD("goods_subgroup_name", F_TEXT),
    FLD("goods_subgroup_sn", F_CODE),
    FLD("unit_type_id", F_INT64),
    FLD("unit_type_name", F_TEXT),
};

enum { P_TYPE_ID, P_TYPE_NAME, P_TYPE_SN, P_VALUE, P_CHANGE, P_UNREAL };
static const Field PAYMENT[] = {
    FLD("payment_type_id", F_INT32), FLD("payment_type_name", F_TEXT),
    FLD("payment_type_sn", F_CODE),  FLD("value", F_MONEY),
    FLD("change", F_MONEY),          FLD("unreal", F_MONEY),
};

enum { PR_ID, PR_NAME, PR_TYPE_ID, PR_TYPE_NAME, PR_VALUE };
static const Field PROMOTION[] = {
    FLD("promotion_id", F_INT64),       FLD("promotion_name", F_TEXT),
    FLD("promotion_type_id", F_INT32),  FLD("promotion_type_name", F_TEXT),
    FLD("value", F_MONEY),
};

enum { DI_ID, DI_NAME, DI_VALUE };
static const Field DISCOUNT[] = {
    FLD("discount_id", F_INT64), FLD("discount_name", F_TEXT), FLD("value", F_MONEY),
};

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))
static Shape SHAPES[N_SHAPES] = {
    [O_ENVELOPE] = {"Envelope", ENVELOPE, COUNT(ENVELOPE), 0},
    [O_BILL] = {"Bill", BILL, COUNT(BILL), 0},
    [O_ORDER] = {"Order", ORDER, COUNT(ORDER), 0},
    [O_DETAIL] = {"Detail", DETAIL, COUNT(DETAIL), 0},
    [O_GOODS] = {"Goods", GOODS, COUNT(GOODS), 0},
    [O_PAYMENT] = {"Payment", PAYMENT, COUNT(PAYMENT), 0},
    [O_PROMOTION] = {"Promotion", PROMOTION, COUNT(PROMOTION), 0},
    [O_DISCOUNT] = {"Discount", DISCOUNT, COUNT(DISCOUNT), 0},
};

/* ---------------------------------------------------------------- the parsed record */

enum { ST_NULL, ST_VALUE, ST_TEXT, ST_CODE_INT };

typedef struct {
    uint8_t state; /* ST_NULL: null; ST_VALUE: v; ST_TEXT: text; ST_CODE_INT: v, as digits */
    Span text;
    int64_t v; /* an integer, money or a quantity scaled to its column, or microseconds */
} Slot;

struct Node {
    uint32_t seen; /* bit per field present: absent fields are null, a repeated key BAILs */
    Node *list[4], *tail[4];
    Node *next, *goods;
    size_t tags, tag_count;
    Slot slot[MAX_SLOTS];
};

static Node *node_new(Flattener *f) {
    size_t block = f->used / BLOCK_NODES;
    if (block == f->block_count) {
        Node **blocks = realloc(f->blocks, (f->block_count + 1) * sizeof *blocks);
        if (!blocks) return NULL;
        f->blocks = blocks;
        blocks[block] = malloc(BLOCK_NODES * sizeof(Node));
        if (!blocks[block]) return NULL;
        f->block_count++;
    }
    Node *node = &f->blocks[block][f->used++ % BLOCK_NODES];
    memset(node, 0, offsetof(Node, slot));
    return node;
}

static const Slot *slot_of(const Node *node, int field) {
    static const Slot null_slot = {ST_NULL, {NULL, 0, 0, 0}, 0};
    return node && (node->seen >> field & 1) ? &node->slot[field] : &null_slot;
}

/* ---------------------------------------------------------------- parsing */

#define AT_END(c) ((c)->p >= (c)->end)
#define PEEK(c) (AT_END(c) ? -1 : (int)*(c)->p)
/* The next byte, consumed; -1 at the end, where the cursor stays (never past its end). */
#define TAKE(c) (AT_END(c) ? -1 : (int)*(c)->p++)

static Status parse_object(Flattener *f, Cursor *c, ShapeId shape, Node *node, int depth);

static int find_field(const Shape *shape, const Span *key, int *hint) {
    /* Keys usually come in the same order in every record: start after the last match. */
    for (int i = 0, k = *hint; i < shape->count; i++, k = k + 1 == shape->count ? 0 : k + 1) {
        const Field *fd = &shape->fields[k];
        if (fd->len == key->n && memcmp(fd->name, key->s, key->n) == 0) {
            *hint = k + 1 == shape->count ? 0 : k + 1;
            return k;
        }
    }
    return -1;
}

static Status parse_tags(Flattener *f, Cursor *c, Node *node) {
    node->tags = f->tag_count;
    node->tag_count = 0;
    c->p++; /* '[' */
    json_ws(c);
    if (PEEK(c) == ']') {
        c->p++;
        return OK;
    }
    for (;;) {
        if (PEEK(c) != '"') return BAIL; /* list[str]: every item a string */
        Span s;
        if (json_string(c, &s)) return BAD;
        if (s.bad_utf8) return BAIL;
        if (f->tag_count == f->tag_cap) {
            size_t cap = f->tag_cap ? f->tag_cap * 2 : 64;
            Span *tags = realloc(f->tags, cap * sizeof *tags);
            if (!tags) return OOM;
            f->tags = tags;
            f->tag_cap = cap;
        }
        f->tags[f->tag_count++] = s;
        node->tag_count++;
        json_ws(c);
        int ch = TAKE(c);
        if (ch == ']') return OK;
        if (ch != ',') return BAD;
        json_ws(c);
    }
}

/* `depth`: the owner's, when the owner is a detail (its children are one level down); an
 * order's details are level 0. */
static Status parse_list(Flattener *f, Cursor *c, const Field *fd, ShapeId owner, Node *node,
                         int depth) {
    c->p++; /* '[' */
    json_ws(c);
    if (PEEK(c) == ']') {
        c->p++;
        return OK;
    }
    int child_depth = owner == O_DETAIL ? depth + 1 : 0;
    if (fd->shape == O_DETAIL && child_depth > MAX_DEPTH) return BAIL; /* the reference's limit */
    for (;;) {
        if (PEEK(c) != '{') return BAIL; /* list[Struct]: every item an object */
        Node *item = node_new(f);
        if (!item) return OOM;
        Status st = parse_object(f, c, (ShapeId)fd->shape, item, child_depth);
        if (st) return st;
        if (node->tail[fd->list]) {
            node->tail[fd->list]->next = item;
        } else {
            node->list[fd->list] = item;
        }
        node->tail[fd->list] = item;
        json_ws(c);
        int ch = TAKE(c);
        if (ch == ']') return OK;
        if (ch != ',') return BAD;
        json_ws(c);
    }
}

static Status parse_value(Flattener *f, Cursor *c, const Field *fd, ShapeId owner, Node *node,
                          int index, int depth) {
    Slot *slot = &node->slot[index];
    int ch = PEEK(c);
    if (ch == 'n' && json_literal(c, "null", 4)) {
        if (fd->required) return BAIL; /* a key field may not be null */
        slot->state = ST_NULL;
        return OK;
    }
    Span s;
    int integer;
    Status st;
    switch ((FieldKind)fd->kind) {
        case F_INT64:
        case F_INT32:
            if (ch != '-' && (ch < '0' || ch > '9')) return BAIL;
            if (json_number(c, &s, &integer)) return BAD;
            if (!integer) return BAIL;
            if (fd->kind == F_INT64) {
                st = int_value(&s, INT64_MIN, INT64_MAX, &slot->v);
            } else {
                st = int_value(&s, INT32_MIN, INT32_MAX, &slot->v);
            }
            slot->state = ST_VALUE;
            return st;
        case F_TEXT:
        case F_TIME:
            if (ch != '"') return BAIL;
            if (json_string(c, &s)) return BAD;
            if (s.bad_utf8) return BAIL;
            if (fd->kind == F_TIME) {
                slot->state = ST_VALUE;
                return time_value(&s, &slot->v);
            }
            slot->state = ST_TEXT;
            slot->text = s;
            return OK;
        case F_CODE:
            if (ch == '"') {
                if (json_string(c, &s)) return BAD;
                if (s.bad_utf8) return BAIL;
                slot->state = ST_TEXT;
                slot->text = s;
                return OK;
            }
            if (ch != '-' && (ch < '0' || ch > '9')) return BAIL;
            if (json_number(c, &s, &integer)) return BAD;
            if (!integer) return BAIL;
            slot->state = ST_CODE_INT;
            return int_value(&s, INT64_MIN, INT64_MAX, &slot->v);
        case F_MONEY:
        case F_QUANTITY:
            if (ch != '-' && (ch < '0' || ch > '9')) return BAIL;
            if (json_number(c, &s, &integer)) return BAD;
            slot->state = ST_VALUE;
            return decimal_value(&s, fd->kind == F_MONEY ? 2 : 3, &slot->v);
        case F_TAGS:
            if (ch != '[') return BAIL;
            slot->state = ST_VALUE;
            return parse_tags(f, c, node);
        case F_OBJECT: {
            if (ch != '{') return BAIL;
            Node *inner = node_new(f);
            if (!inner) return OOM;
            node->goods = inner; /* the one nested object of its shape (envelope: the bill) */
            return parse_object(f, c, (ShapeId)fd->shape, inner, depth);
        }
        case F_LIST:
            if (ch != '[') return BAIL;
            return parse_list(f, c, fd, owner, node, depth);
    }
    return BAIL;
}

/* The "shop_<n>" envelope key: n as an integer, -1 for a key of another form. */
static int64_t shop_key(const Span *key) {
    if (key->n <= 5 || memcmp(key->s, "shop_", 5) != 0) return -1;
    int64_t n = 0;
    for (uint32_t i = 5; i < key->n; i++) {
        uint8_t ch = key->s[i];
        if (ch < '0' || ch > '9') return -1;
        if (n > INT64_C(100000000000000000)) return -2; /* digits, but no int64 shop */
        n = n * 10 + (ch - '0');
    }
    return n;
}

typedef struct {
    int keys;     /* "shop_<n>" keys seen */
    int usable;   /* the last one's value is an int64 equal to n */
    int64_t shop;
} Variant;

static Status parse_variant(Cursor *c, const Span *key, Variant *variant) {
    int64_t n = shop_key(key);
    variant->keys++;
    variant->usable = 0;
    Span s;
    int integer;
    if (PEEK(c) == '-' || (PEEK(c) >= '0' && PEEK(c) <= '9')) {
        if (json_number(c, &s, &integer)) return BAD;
        int64_t v;
        if (n >= 0 && integer && int_value(&s, INT64_MIN, INT64_MAX, &v) == OK && v == n) {
            variant->usable = 1;
            variant->shop = v;
        }
        return OK;
    }
    return json_skip(c) ? BAD : OK;
}

static Status parse_object(Flattener *f, Cursor *c, ShapeId id, Node *node, int depth) {
    const Shape *shape = &SHAPES[id];
    Variant *variant = NULL, seen_variant = {0, 0, 0};
    if (id == O_ENVELOPE) variant = &seen_variant;
    int hint = 0;
    c->p++; /* '{' */
    json_ws(c);
    if (PEEK(c) == '}') {
        c->p++;
    } else {
        for (;;) {
            if (PEEK(c) != '"') return BAD;
            Span key = {NULL, 0, 0, 0};
            int k;
            /* Keys usually come in the same order in every record: when the text is the
             * next field's name and its closing quote, that is the key (names need no
             * escapes), with no scan. */
            const Field *next = &shape->fields[hint];
            if ((size_t)(c->end - c->p) > (size_t)next->len + 1 &&
                memcmp(c->p + 1, next->name, next->len) == 0 && c->p[next->len + 1] == '"') {
                k = hint;
                hint = hint + 1 == shape->count ? 0 : hint + 1;
                c->p += next->len + 2;
            } else {
                if (json_string(c, &key)) return BAD;
                k = find_field(shape, &key, &hint);
            }
            json_ws(c);
            if (PEEK(c) != ':') return BAD;
            c->p++;
            json_ws(c);
            Status st;
            if (k >= 0) {
                if (node->seen >> k & 1) return BAIL; /* a repeated key: msgspec keeps the last */
                node->seen |= 1u << k;
                st = parse_value(f, c, &shape->fields[k], id, node, k, depth);
            } else if (key.escaped || key.bad_utf8) {
                return BAIL; /* an escaped key may spell a field's name */
            } else if (variant && shop_key(&key) != -1) {
                st = parse_variant(c, &key, variant);
            } else {
                st = json_skip(c) ? BAD : OK;
            }
            if (st) return st;
            json_ws(c);
            int ch = TAKE(c);
            if (ch == '}') break;
            if (ch != ',') return BAD;
            json_ws(c);
        }
    }
    if ((node->seen & shape->required) != shape->required) return BAIL;
    if (variant) {
        /* The record's shop: shop_id, else the one "shop_<n>": n key (reference's rule). */
        if (node->seen >> E_SHOP_ID & 1) {
            if (node->slot[E_SHOP_ID].state != ST_VALUE) return BAIL;
        } else {
            if (variant->keys != 1 || !variant->usable) return BAIL;
            node->seen |= 1u << E_SHOP_ID;
            node->slot[E_SHOP_ID].state = ST_VALUE;
            node->slot[E_SHOP_ID].v = variant->shop;
        }
    }
    return OK;
}

/* ---------------------------------------------------------------- tables (the Arrow schemas) */

typedef enum {
    S_FIELD, /* the row's node's field */
    S_GOODS, /* the detail's goods' field */
    S_BILL,  /* the bill's field */
    S_SHOP,
    S_BUSINESS_DATE,
    S_REC,
    S_LINE_NO,
    S_ORDER_ID,
    S_PARENT,
    S_ROOT,
    S_DEPTH,
    S_PATH,
    S_STAFF_ID,   /* the envelope's */
    S_STAFF_NAME, /* the envelope's */
    S_UNDO_INDEX, /* the bill's undo_index, null as 0 */
} Source;

typedef struct {
    const char *name;
    uint8_t source, field;
} ColumnDef;

typedef struct {
    const char *name;
    ShapeId shape; /* the node of a row */
    const ColumnDef *columns;
    int count;
} TableDef;

#define COL(name, source) {name, source, 0}
#define FIELD(name, source, field) {name, source, field}

static const ColumnDef BILLS[] = {
    FIELD("bill_id", S_FIELD, B_BILL_ID),
    COL("shop_id", S_SHOP),
    COL("business_date", S_BUSINESS_DATE),
    FIELD("sn", S_FIELD, B_SN),
    FIELD("brand_id", S_FIELD, B_BRAND_ID),
    FIELD("brand_name", S_FIELD, B_BRAND_NAME),
    FIELD("shop_name", S_FIELD, B_SHOP_NAME),
    COL("staff_id", S_STAFF_ID),
    COL("staff_name", S_STAFF_NAME),
    FIELD("amount", S_FIELD, B_AMOUNT),
    FIELD("real_amount", S_FIELD, B_REAL_AMOUNT),
    FIELD("goods_amount", S_FIELD, B_GOODS_AMOUNT),
    FIELD("order_amount", S_FIELD, B_ORDER_AMOUNT),
    FIELD("paid", S_FIELD, B_PAID),
    FIELD("surcharge", S_FIELD, B_SURCHARGE),
    FIELD("mincharge", S_FIELD, B_MINCHARGE),
    FIELD("discount", S_FIELD, B_DISCOUNT),
    FIELD("promotion", S_FIELD, B_PROMOTION),
    FIELD("rounding", S_FIELD, B_ROUNDING),
    FIELD("cashier_staff_id", S_FIELD, B_CASHIER_STAFF_ID),
    FIELD("cashier_staff_name", S_FIELD, B_CASHIER_STAFF_NAME),
    COL("undo_index", S_UNDO_INDEX),
    FIELD("create_on", S_FIELD, B_CREATE_ON),
    FIELD("cashier_on", S_FIELD, B_CASHIER_ON),
    COL("_rec", S_REC),
};

static const ColumnDef VERSIONS[] = {
    FIELD("bill_id", S_FIELD, B_BILL_ID),
    COL("undo_index", S_UNDO_INDEX),
    COL("shop_id", S_SHOP),
    COL("business_date", S_BUSINESS_DATE),
    FIELD("sn", S_FIELD, B_SN),
    FIELD("cashier_on", S_FIELD, B_CASHIER_ON),
    FIELD("amount", S_FIELD, B_AMOUNT),
    FIELD("real_amount", S_FIELD, B_REAL_AMOUNT),
    FIELD("paid", S_FIELD, B_PAID),
    FIELD("discount", S_FIELD, B_DISCOUNT),
    FIELD("promotion", S_FIELD, B_PROMOTION),
    FIELD("rounding", S_FIELD, B_ROUNDING),
    COL("_rec", S_REC),
};

static const ColumnDef ORDERS[] = {
    FIELD("bill_id", S_BILL, B_BILL_ID),
    FIELD("order_id", S_FIELD, OR_ORDER_ID),
    COL("shop_id", S_SHOP),
    COL("business_date", S_BUSINESS_DATE),
    COL("line_no", S_LINE_NO),
    FIELD("order_name", S_FIELD, OR_ORDER_NAME),
    FIELD("order_sn", S_FIELD, OR_ORDER_SN),
    FIELD("person_count", S_FIELD, OR_PERSON_COUNT),
    FIELD("table_id", S_FIELD, OR_TABLE_ID),
    FIELD("order_amount", S_FIELD, OR_ORDER_AMOUNT),
    FIELD("goods_amount", S_FIELD, OR_GOODS_AMOUNT),
    FIELD("surcharge", S_FIELD, OR_SURCHARGE),
    FIELD("mincharge", S_FIELD, OR_MINCHARGE),
    FIELD("discount", S_FIELD, OR_DISCOUNT),
    FIELD("promotion", S_FIELD, OR_PROMOTION),
    FIELD("voucher", S_FIELD, OR_VOUCHER),
    COL("_rec", S_REC),
};

static const ColumnDef DETAILS[] = {
    FIELD("bill_id", S_BILL, B_BILL_ID),
    COL("order_id", S_ORDER_ID),
    FIELD("detail_id", S_FIELD, D_DETAIL_ID),
    COL("parent_detail_id", S_PARENT),
    COL("root_detail_id", S_ROOT),
    COL("depth", S_DEPTH),
    COL("path", S_PATH),
    COL("line_no", S_LINE_NO),
    COL("shop_id", S_SHOP),
    COL("business_date", S_BUSINESS_DATE),
    FIELD("goods_id", S_GOODS, G_GOODS_ID),
    FIELD("goods_name", S_GOODS, G_GOODS_NAME),
    FIELD("goods_sn", S_GOODS, G_GOODS_SN),
    FIELD("product_type_id", S_GOODS, G_PRODUCT_TYPE_ID),
    FIELD("product_type_name", S_GOODS, G_PRODUCT_TYPE_NAME),
    FIELD("goods_group_id", S_GOODS, G_GOODS_GROUP_ID),
    FIELD("goods_group_name", S_GOODS, G_GOODS_GROUP_NAME),
    FIELD("goods_group_sn", S_GOODS, G_GOODS_GROUP_SN),
    FIELD("goods_subgroup_id", S_GOODS, G_GOODS_SUBGROUP_ID),
    FIELD("goods_subgroup_name", S_GOODS, G_GOODS_SUBGROUP_NAME),
    FIELD("goods_subgroup_sn", S_GOODS, G_GOODS_SUBGROUP_SN),
    FIELD("unit_type_id", S_GOODS, G_UNIT_TYPE_ID),
    FIELD("unit_type_name", S_GOODS, G_UNIT_TYPE_NAME),
    FIELD("tags", S_FIELD, D_TAGS),
    FIELD("origin_price", S_FIELD, D_ORIGIN_PRICE),
    FIELD("current_price", S_FIELD, D_CURRENT_PRICE),
    FIELD("real_amount", S_FIELD, D_REAL_AMOUNT),
    FIELD("quantity", S_FIELD, D_QUANTITY),
    FIELD("void_quantity", S_FIELD, D_VOID_QUANTITY),
    FIELD("weight", S_FIELD, D_WEIGHT),
    FIELD("staff_id", S_FIELD, D_STAFF_ID),
    FIELD("staff_name", S_FIELD, D_STAFF_NAME),
    FIELD("remark", S_FIELD, D_REMARK),
    COL("_rec", S_REC),
};

#define LINE_HEAD FIELD("bill_id", S_BILL, B_BILL_ID), COL("line_no", S_LINE_NO), \
    COL("shop_id", S_SHOP), COL("business_date", S_BUSINESS_DATE)

static const ColumnDef PAYMENTS[] = {
    LINE_HEAD,
    FIELD("payment_type_id", S_FIELD, P_TYPE_ID),
    FIELD("payment_type_name", S_FIELD, P_TYPE_NAME),
    FIELD("payment_type_sn", S_FIELD, P_TYPE_SN),
    FIELD("value", S_FIELD, P_VALUE),
    FIELD("change", S_FIELD, P_CHANGE),
    FIELD("unreal", S_FIELD, P_UNREAL),
    COL("_rec", S_REC),
};

static const ColumnDef PROMOTIONS[] = {
    LINE_HEAD,
    FIELD("promotion_id", S_FIELD, PR_ID),
    FIELD("promotion_name", S_FIELD, PR_NAME),
    FIELD("promotion_type_id", S_FIELD, PR_TYPE_ID),
    FIELD("promotion_type_name", S_FIELD, PR_TYPE_NAME),
    FIELD("value", S_FIELD, PR_VALUE),
    COL("_rec", S_REC),
};

static const ColumnDef DISCOUNTS[] = {
    LINE_HEAD,
    FIELD("discount_id", S_FIELD, DI_ID),
    FIELD("discount_name", S_FIELD, DI_NAME),
    FIELD("value", S_FIELD, DI_VALUE),
    COL("_rec", S_REC),
};

static const TableDef TABLES[N_TABLES] = {
    [T_BILLS] = {"bills", O_BILL, BILLS, COUNT(BILLS)},
    [T_VERSIONS] = {"bill_versions", O_BILL, VERSIONS, COUNT(VERSIONS)},
    [T_ORDERS] = {"bill_orders", O_ORDER, ORDERS, COUNT(ORDERS)},
    [T_DETAILS] = {"bill_details", O_DETAIL, DETAILS, COUNT(DETAILS)},
    [T_PAYMENTS] = {"bill_payments", O_PAYMENT, PAYMENTS, COUNT(PAYMENTS)},
    [T_PROMOTIONS] = {"bill_promotions", O_PROMOTION, PROMOTIONS, COUNT(PROMOTIONS)},
    [T_DISCOUNTS] = {"bill_discounts", O_DISCOUNT, DISCOUNTS, COUNT(DISCOUNTS)},
};

/* The field a column reads, or NULL for the columns computed here. */
static const Field *column_field(int table, const ColumnDef *col) {
    switch (col->source) {
        case S_FIELD: return &SHAPES[TABLES[table].shape].fields[col->field];
        case S_GOODS: return &GOODS[col->field];
        case S_BILL: return &BILL[col->field];
        default: return NULL;
    }
}

static Kind column_kind(int table, const ColumnDef *col, int *scale) {
    *scale = 0;
    const Field *fd = column_field(table, col);
    if (!fd) {
        switch (col->source) {
            case S_BUSINESS_DATE: return K_DATE32;
            case S_LINE_NO: case S_DEPTH: case S_UNDO_INDEX: return K_INT32;
            case S_PATH: case S_STAFF_NAME: return K_STRING;
            default: return K_INT64;
        }
    }
    switch ((FieldKind)fd->kind) {
        case F_INT32: return K_INT32;
        case F_TEXT: case F_CODE: return K_STRING;
        case F_MONEY: *scale = 2; return K_DECIMAL;
        case F_QUANTITY: *scale = 3; return K_DECIMAL;
        case F_TIME: return K_TIMESTAMP;
        case F_TAGS: return K_TAGS;
        default: return K_INT64;
    }
}

/* ---------------------------------------------------------------- rows */

typedef struct {
    const Node *envelope, *bill, *node;
    int64_t shop, date, rec, line_no, order_id, parent, root, depth;
    int has_parent;
    const uint8_t *path;
    size_t path_len;
} Row;

/* The decimal digits of v (as Python's str(int)) at out; their count (at most 20). */
static size_t int_text(uint8_t *out, int64_t v) {
    uint8_t digits[20];
    size_t n = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        digits[n++] = (uint8_t)('0' + u % 10);
        u /= 10;
    } while (u);
    size_t len = 0;
    if (v < 0) out[len++] = '-';
    while (n) out[len++] = digits[--n];
    return len;
}

static int put_code(Column *col, int64_t v) {
    uint8_t text[21];
    return col_bytes(col, text, int_text(text, v));
}

static int put_field(Flattener *f, Column *col, const Field *fd, const Node *node, int field) {
    const Slot *slot = slot_of(node, field);
    if (fd->kind == F_TAGS) {
        if (col_tags_begin(col)) return -1;
        if (slot->state != ST_NULL) {
            for (size_t i = 0; i < node->tag_count; i++) {
                if (col_tags_item(col, &f->tags[node->tags + i])) return -1;
            }
        }
        return col_tags_end(col); /* a null list reads as empty */
    }
    switch (slot->state) {
        case ST_NULL: return col_null(col);
        case ST_TEXT: return col_string(col, &slot->text);
        case ST_CODE_INT: return put_code(col, slot->v);
    }
    switch ((FieldKind)fd->kind) {
        case F_INT32: return col_int32(col, (int32_t)slot->v);
        case F_MONEY: case F_QUANTITY: return col_decimal(col, slot->v);
        default: return col_int64(col, slot->v); /* int64, timestamp */
    }
}

static int put_row(Flattener *f, int table, const Row *row) {
    const TableDef *def = &TABLES[table];
    Column *cols = f->columns[table];
    for (int i = 0; i < def->count; i++) {
        const ColumnDef *cd = &def->columns[i];
        Column *col = &cols[i];
        int failed;
        switch (cd->source) {
            case S_FIELD:
                failed = put_field(f, col, column_field(table, cd), row->node, cd->field);
                break;
            case S_GOODS:
                failed = put_field(f, col, &GOODS[cd->field], row->node->goods, cd->field);
                break;
            case S_BILL: failed = put_field(f, col, &BILL[cd->field], row->bill, cd->field); break;
            case S_SHOP: failed = col_int64(col, row->shop); break;
            case S_BUSINESS_DATE: failed = col_int32(col, (int32_t)row->date); break;
            case S_REC: failed = col_int64(col, row->rec); break;
            case S_LINE_NO: failed = col_int32(col, (int32_t)row->line_no); break;
            case S_ORDER_ID: failed = col_int64(col, row->order_id); break;
            case S_PARENT:
                failed = row->has_parent ? col_int64(col, row->parent) : col_null(col);
                break;
            case S_ROOT: failed = col_int64(col, row->root); break;
            case S_DEPTH: failed = col_int32(col, (int32_t)row->depth); break;
            case S_PATH: failed = col_bytes(col, row->path, row->path_len); break;
            case S_STAFF_ID:
                failed = put_field(f, col, &ENVELOPE[E_STAFF_ID], row->envelope, E_STAFF_ID);
                break;
            case S_STAFF_NAME:
                failed = put_field(f, col, &ENVELOPE[E_STAFF_NAME], row->envelope, E_STAFF_NAME);
                break;
            case S_UNDO_INDEX: {
                const Slot *undo = slot_of(row->bill, B_UNDO_INDEX);
                failed = col_int32(col, undo->state == ST_VALUE ? (int32_t)undo->v : 0);
                break;
            }
            default: failed = -1;
        }
        if (failed) return -1;
    }
    return 0;
}

/* Pre-order rows of `first` and its siblings (and their children), as the reference walks. */
static int put_details(Flattener *f, Row *row, const Node *first, uint8_t *path, size_t len) {
    int64_t depth = row->depth, parent = row->parent, root = row->root;
    int has_parent = row->has_parent;
    int64_t line_no = 0;
    for (const Node *node = first; node; node = node->next, line_no++) {
        int64_t id = node->slot[D_DETAIL_ID].v;
        size_t n = len;
        if (has_parent) path[n++] = '/';
        n += int_text(path + n, id);
        row->node = node;
        row->line_no = line_no;
        row->depth = depth;
        row->parent = parent;
        row->has_parent = has_parent;
        row->root = has_parent ? root : id;
        row->path = path;
        row->path_len = n;
        if (put_row(f, T_DETAILS, row)) return -1;
        if (node->list[0]) {
            row->depth = depth + 1;
            row->parent = id;
            row->has_parent = 1;
            if (put_details(f, row, node->list[0], path, n)) return -1;
        }
    }
    return 0;
}

static int compare_ids(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* 1 when the `count` ids in f->ids are all different. */
static int unique_ids(Flattener *f, size_t count) {
    if (count <= 16) {
        for (size_t i = 1; i < count; i++)
            for (size_t j = 0; j < i; j++)
                if (f->ids[i] == f->ids[j]) return 0;
        return 1;
    }
    qsort(f->ids, count, sizeof *f->ids, compare_ids);
    for (size_t i = 1; i < count; i++)
        if (f->ids[i] == f->ids[i - 1]) return 0;
    return 1;
}

static int push_id(Flattener *f, size_t *count, int64_t id) {
    if (*count == f->id_cap) {
        size_t cap = f->id_cap ? f->id_cap * 2 : 256;
        int64_t *ids = realloc(f->ids, cap * sizeof *ids);
        if (!ids) return -1;
        f->ids = ids;
        f->id_cap = cap;
    }
    f->ids[(*count)++] = id;
    return 0;
}

static int collect_details(Flattener *f, size_t *count, const Node *first) {
    for (const Node *node = first; node; node = node->next) {
        if (push_id(f, count, node->slot[D_DETAIL_ID].v)) return -1;
        if (node->list[0] && collect_details(f, count, node->list[0])) return -1;
    }
    return 0;
}

/* The checks of the whole bill, then its rows. */
static Status put_bill(Flattener *f, const Node *envelope, int64_t rec) {
    const Node *bill = envelope->goods;
    const Slot *boh_type = slot_of(envelope, E_BOH_TYPE);
    if (boh_type->state != ST_TEXT || boh_type->text.escaped ||
        boh_type->text.n != sizeof("cashier.finish") - 1 ||
        memcmp(boh_type->text.s, "cashier.finish", boh_type->text.n) != 0 || !bill)
        return BAIL;
    int64_t shop = envelope->slot[E_SHOP_ID].v;
    const Slot *own = slot_of(bill, B_SHOP_ID);
    if (own->state == ST_VALUE && own->v != shop) return BAIL;
    /* Keys unique within the bill: orders by order_id, details (all orders) by detail_id. */
    size_t count = 0;
    for (const Node *order = bill->list[L_ORDERS]; order; order = order->next) {
        if (push_id(f, &count, order->slot[OR_ORDER_ID].v)) return OOM;
    }
    if (!unique_ids(f, count)) return BAIL;
    count = 0;
    for (const Node *order = bill->list[L_ORDERS]; order; order = order->next) {
        if (collect_details(f, &count, order->list[0])) return OOM;
    }
    if (!unique_ids(f, count)) return BAIL;

    int64_t cashier_on = bill->slot[B_CASHIER_ON].v, shifted = cashier_on - f->day_start_us;
    Row row = {envelope, bill, bill, shop, 0, rec, 0, 0, 0, 0, 0, 0, NULL, 0};
    row.date = shifted >= 0 ? shifted / US_PER_DAY : -((-shifted + US_PER_DAY - 1) / US_PER_DAY);
    if (put_row(f, T_BILLS, &row) || put_row(f, T_VERSIONS, &row)) return OOM;
    int64_t line_no = 0;
    uint8_t path[(MAX_DEPTH + 1) * 21]; /* MAX_DEPTH + 1 levels of "/" and an int64's text */
    for (const Node *order = bill->list[L_ORDERS]; order; order = order->next, line_no++) {
        row.node = order;
        row.line_no = line_no;
        if (put_row(f, T_ORDERS, &row)) return OOM;
    }
    for (const Node *order = bill->list[L_ORDERS]; order; order = order->next) {
        row.order_id = order->slot[OR_ORDER_ID].v;
        row.depth = 0;
        row.has_parent = 0;
        if (put_details(f, &row, order->list[0], path, 0)) return OOM;
    }
    static const int lines[][2] = {{L_PAYMENTS, T_PAYMENTS},
                                   {L_PROMOTIONS, T_PROMOTIONS},
                                   {L_DISCOUNTS, T_DISCOUNTS}};
    for (int k = 0; k < 3; k++) {
        line_no = 0;
        for (const Node *line = bill->list[lines[k][0]]; line; line = line->next, line_no++) {
            row.node = line;
            row.line_no = line_no;
            if (put_row(f, lines[k][1], &row)) return OOM;
        }
    }
    return OK;
}

static Status put_other(Flattener *f, int64_t rec, int64_t body, const uint8_t *base,
                        const uint8_t *start, const uint8_t *end) {
    int64_t entry[4] = {rec, body, start - base, end - base};
    if (buf_reserve(&f->others, sizeof entry)) return OOM;
    memcpy(f->others.p + f->others.len, entry, sizeof entry);
    f->others.len += sizeof entry;
    return OK;
}

Status flatten_body(Flattener *f, const uint8_t *body, size_t n, int64_t body_index) {
    Cursor c = {body, body + n};
    json_ws(&c);
    if (PEEK(&c) != '[') return BAD;
    c.p++;
    json_ws(&c);
    if (PEEK(&c) == ']') {
        c.p++;
    } else {
        for (;;) {
            const uint8_t *start = c.p;
            int64_t rec = f->records++;
            Status st = BAIL;
            if (PEEK(&c) == '{') {
                f->used = 0;
                f->tag_count = 0;
                Node *envelope = node_new(f);
                if (!envelope) return OOM;
                st = parse_object(f, &c, O_ENVELOPE, envelope, 0);
                if (st == OK) st = put_bill(f, envelope, rec);
            }
            if (st == BAIL) {
                c.p = start;
                if (json_skip(&c)) return BAD;
                if (put_other(f, rec, body_index, body, start, c.p)) return OOM;
            } else if (st) {
                return st;
            }
            json_ws(&c);
            int ch = PEEK(&c);
            c.p++;
            if (ch == ']') break;
            if (ch != ',') return BAD;
            json_ws(&c);
        }
    }
    json_ws(&c);
    return AT_END(&c) ? OK : BAD;
}

/* ---------------------------------------------------------------- set-up and description */

void bills_setup(void) {
    for (int s = 0; s < N_SHAPES; s++) {
        SHAPES[s].required = 0;
        for (int i = 0; i < SHAPES[s].count; i++)
            if (SHAPES[s].fields[i].required) SHAPES[s].required |= 1u << i;
    }
}

int flattener_init(Flattener *f, int64_t day_start_us) {
    memset(f, 0, sizeof *f);
    f->day_start_us = day_start_us;
    for (int t = 0; t < N_TABLES; t++) {
        for (int i = 0; i < TABLES[t].count; i++) {
            int scale;
            if (col_init(&f->columns[t][i], column_kind(t, &TABLES[t].columns[i], &scale)))
                return -1;
        }
    }
    return 0;
}

int flattener_reset(Flattener *f, int64_t day_start_us) {
    f->day_start_us = day_start_us;
    for (int t = 0; t < N_TABLES; t++)
        for (int i = 0; i < TABLES[t].count; i++)
            if (col_reset(&f->columns[t][i])) return -1;
    f->used = f->tag_count = 0;
    f->others.len = 0;
    f->records = 0;
    return 0;
}

size_t flattener_capacity(const Flattener *f) {
    size_t total = f->others.cap + f->tag_cap * sizeof(Span) + f->id_cap * sizeof(int64_t) +
                   f->block_count * BLOCK_NODES * sizeof(Node);
    for (int t = 0; t < N_TABLES; t++)
        for (int i = 0; i < TABLES[t].count; i++) total += col_capacity(&f->columns[t][i]);
    return total;
}

void flattener_free(Flattener *f) {
    for (int t = 0; t < N_TABLES; t++)
        for (int i = 0; i < TABLES[t].count; i++) col_free(&f->columns[t][i]);
    for (size_t b = 0; b < f->block_count; b++) free(f->blocks[b]);
    free(f->blocks);
    free(f->tags);
    free(f->ids);
    buf_free(&f->others);
}

int table_count(void) { return N_TABLES; }
const char *table_name(int table) { return TABLES[table].name; }
int column_count(int table) { return TABLES[table].count; }

ColumnInfo column_info(int table, int column) {
    const ColumnDef *cd = &TABLES[table].columns[column];
    int scale;
    static const char *names[] = {
        [K_INT64] = "int64",        [K_INT32] = "int32",  [K_DATE32] = "date32[day]",
        [K_TIMESTAMP] = "timestamp[us]", [K_STRING] = "string", [K_TAGS] = "list<item: string>",
    };
    Kind kind = column_kind(table, cd, &scale);
    ColumnInfo info = {cd->name, names[kind]};
    if (kind == K_DECIMAL) info.type = scale == 2 ? "decimal128(18, 2)" : "decimal128(18, 3)";
    return info;
}

int shape_count(void) { return N_SHAPES; }
const char *shape_name(int shape) { return SHAPES[shape].name; }
int field_count(int shape) { return SHAPES[shape].count; }

FieldInfo field_info(int shape, int field) {
    static const char *kinds[] = {"int64", "int32", "text", "code", "money",
                                  "quantity", "time", "tags"};
    const Field *fd = &SHAPES[shape].fields[field];
    FieldInfo info = {fd->name, NULL, fd->required};
    info.kind = fd->kind >= F_OBJECT ? SHAPES[fd->shape].name : kinds[fd->kind];
    return info;
}
