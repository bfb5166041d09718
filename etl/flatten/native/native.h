/* The native bill flattener: shared declarations.
 *
 * Data flow: bodies (JSON arrays of records) -> json.c (scan, validate, skip) -> bills.c (one
 * record into a small tree of nodes, then rows) -> columns.c (Arrow buffers) -> module.c
 * (Python objects). Nothing here touches Python objects except module.c, so everything
 * before it runs without the GIL.
 *
 * Every function that reads input returns a Status:
 *   OK   the value was read;
 *   BAIL the record is valid JSON but not one this path vouches for: the caller hands it to
 *        the Python reference flattener, which decides (and names the reason);
 *   BAD  the body is not JSON the way msgspec reads it: the whole call gives up and Python
 *        takes every body the usual way;
 *   OOM  out of memory: the whole call gives up as for BAD (module.c returns None) and
 *        Python takes every body the usual way.
 */
#ifndef POS_NATIVE_H
#define POS_NATIVE_H

#include <stddef.h>
#include <stdint.h>

typedef enum { OK = 0, BAIL = 1, BAD = 2, OOM = 3 } Status;

/* ---- growable byte buffers (columns.c) ---- */
typedef struct {
    uint8_t *p;
    size_t len, cap;
} Buf;

int buf_reserve(Buf *b, size_t extra); /* 0, or -1 when out of memory */
void buf_free(Buf *b);

/* ---- JSON text (json.c) ---- */
typedef struct {
    const uint8_t *p, *end;
} Cursor;

/* A string's raw content (between the quotes) as it stands in the input. */
typedef struct {
    const uint8_t *s;
    uint32_t n;
    uint8_t escaped;   /* has backslash escapes: decode with json_unescape */
    uint8_t bad_utf8;  /* raw bytes that are not valid UTF-8 (msgspec only minds in a str) */
} Span;

static inline void json_ws(Cursor *c) {
    const uint8_t *p = c->p, *e = c->end;
    while (p < e && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) p++;
    c->p = p;
}
Status json_string(Cursor *c, Span *out);                      /* at '"' */
Status json_number(Cursor *c, Span *out, int *integer);       /* at '-' or a digit */
Status json_skip(Cursor *c);                                   /* any value */
int json_unescape(Buf *out, const Span *s);                    /* 0, or -1 out of memory */
int json_literal(Cursor *c, const char *word, size_t n);       /* 1 when the text is `word` */

/* ---- values (values.c) ---- */
Status int_value(const Span *num, int64_t lo, int64_t hi, int64_t *out);
Status decimal_value(const Span *num, int scale, int64_t *out);
Status time_value(const Span *text, int64_t *micros);

#define US_PER_DAY INT64_C(86400000000)

/* ---- Arrow columns (columns.c) ---- */
typedef enum { K_INT64, K_INT32, K_DATE32, K_TIMESTAMP, K_STRING, K_DECIMAL, K_TAGS } Kind;

typedef struct {
    Kind kind;
    int64_t n, nulls;
    Buf valid;   /* validity bitmap, LSB first */
    Buf data;    /* fixed-width values, or string bytes, or (tags) the item strings' bytes */
    Buf offsets; /* int32: strings' offsets, or (tags) the lists' offsets into the items */
    Buf item_offsets; /* tags: int32 offsets of the item strings */
    int64_t items;    /* tags: item strings so far */
} Column;

int col_init(Column *c, Kind kind);
void col_free(Column *c);
int col_reset(Column *c);        /* empty again, keeping its buffers */
size_t col_capacity(const Column *c);
int col_null(Column *c);
int col_int64(Column *c, int64_t v);
int col_int32(Column *c, int32_t v);
int col_decimal(Column *c, int64_t scaled);
int col_string(Column *c, const Span *s);
int col_bytes(Column *c, const uint8_t *s, size_t n);
int col_tags_begin(Column *c);
int col_tags_item(Column *c, const Span *s);
int col_tags_end(Column *c);

#endif
