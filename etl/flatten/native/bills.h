/* cashier.finish records -> the seven bill tables (bills.c), as etl/flatten/qianhub_bills.py
 * does it, for the records this path vouches for. */
#ifndef POS_BILLS_H
#define POS_BILLS_H

#include "native.h"

enum { T_BILLS, T_VERSIONS, T_ORDERS, T_DETAILS, T_PAYMENTS, T_PROMOTIONS, T_DISCOUNTS, N_TABLES };
#define MAX_COLUMNS 40

typedef struct Node Node;

typedef struct {
    Column columns[N_TABLES][MAX_COLUMNS];
    /* the nodes of the record being read: blocks of nodes, reused from record to record */
    Node **blocks;
    size_t block_count, used;
    Span *tags; /* tag strings of the record's details */
    size_t tag_count, tag_cap;
    int64_t *ids; /* scratch: the record's order or detail ids, for the uniqueness check */
    size_t id_cap;
    int64_t day_start_us; /* the business day's start, microseconds after midnight */
    Buf others;           /* int64 quadruples: rec, body, start, end of each record handed back */
    int64_t records;
} Flattener;

typedef struct {
    const char *name;
    const char *type; /* the Arrow type, as pyarrow prints it */
} ColumnInfo;

typedef struct {
    const char *name;
    const char *kind; /* int64, int32, text, code, money, quantity, time, tags, or the nested
                       * shape's name */
    int required;
} FieldInfo;

void bills_setup(void); /* once, before any flattener */
int flattener_init(Flattener *f, int64_t day_start_us);
void flattener_free(Flattener *f);
int flattener_reset(Flattener *f, int64_t day_start_us); /* empty again, buffers kept */
size_t flattener_capacity(const Flattener *f);           /* bytes its buffers hold */
/* One body: OK, BAD (not a JSON array as msgspec reads it) or OOM. */
Status flatten_body(Flattener *f, const uint8_t *body, size_t n, int64_t body_index);

int table_count(void);
const char *table_name(int table);
int column_count(int table);
ColumnInfo column_info(int table, int column);
int shape_count(void);
const char *shape_name(int shape);
int field_count(int shape);
FieldInfo field_info(int shape, int field);

#endif
