/* Arrow columns built in place: a validity bitmap and the value buffers of the Arrow format
 * (fixed-width values; int32 offsets plus bytes for strings; list offsets plus an item string
 * array for list<string>), handed to pyarrow as they are by module.c.
 *
 * Every append returns 0, or -1 when memory ran out (or, for strings, when a column would
 * pass Arrow's 2 GiB int32 offsets; module.c then lets Python take the call).
 */
#include <stdlib.h>
#include <string.h>

#include "native.h"

int buf_reserve(Buf *b, size_t extra) {
    if (b->len + extra <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < b->len + extra) cap *= 2;
    uint8_t *p = realloc(b->p, cap);
    if (!p) return -1;
    b->p = p;
    b->cap = cap;
    return 0;
}

void buf_free(Buf *b) {
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

static int put_offset(Buf *b, size_t value) {
    if (value > INT32_MAX || buf_reserve(b, 4)) return -1;
    int32_t v = (int32_t)value;
    memcpy(b->p + b->len, &v, 4);
    b->len += 4;
    return 0;
}

int col_init(Column *c, Kind kind) {
    memset(c, 0, sizeof *c);
    c->kind = kind;
    if (kind == K_STRING || kind == K_TAGS) {
        if (put_offset(&c->offsets, 0)) return -1;
    }
    if (kind == K_TAGS) {
        if (put_offset(&c->item_offsets, 0)) return -1;
    }
    return 0;
}

int col_reset(Column *c) {
    Kind kind = c->kind;
    c->n = c->nulls = c->items = 0;
    c->valid.len = c->data.len = c->offsets.len = c->item_offsets.len = 0;
    if (kind == K_STRING || kind == K_TAGS) {
        if (put_offset(&c->offsets, 0)) return -1;
    }
    if (kind == K_TAGS) {
        if (put_offset(&c->item_offsets, 0)) return -1;
    }
    return 0;
}

size_t col_capacity(const Column *c) {
    return c->valid.cap + c->data.cap + c->offsets.cap + c->item_offsets.cap;
}

void col_free(Column *c) {
    buf_free(&c->valid);
    buf_free(&c->data);
    buf_free(&c->offsets);
    buf_free(&c->item_offsets);
}

/* The validity bit of the next value. */
static int set_valid(Column *c, int valid) {
    size_t byte = (size_t)(c->n >> 3);
    if (byte >= c->valid.len) {
        if (buf_reserve(&c->valid, 1)) return -1;
        c->valid.p[c->valid.len++] = 0;
    }
    if (valid) {
        c->valid.p[byte] |= (uint8_t)(1u << (c->n & 7));
    } else {
        c->nulls++;
    }
    return 0;
}

static int put_fixed(Column *c, const void *value, size_t width) {
    if (set_valid(c, 1) || buf_reserve(&c->data, width)) return -1;
    memcpy(c->data.p + c->data.len, value, width);
    c->data.len += width;
    c->n++;
    return 0;
}

int col_null(Column *c) {
    static const uint8_t zeros[16] = {0};
    if (set_valid(c, 0)) return -1;
    switch (c->kind) {
        case K_INT64:
        case K_TIMESTAMP:
            if (buf_reserve(&c->data, 8)) return -1;
            memcpy(c->data.p + c->data.len, zeros, 8);
            c->data.len += 8;
            break;
        case K_INT32:
        case K_DATE32:
            if (buf_reserve(&c->data, 4)) return -1;
            memcpy(c->data.p + c->data.len, zeros, 4);
            c->data.len += 4;
            break;
        case K_DECIMAL:
            if (buf_reserve(&c->data, 16)) return -1;
            memcpy(c->data.p + c->data.len, zeros, 16);
            c->data.len += 16;
            break;
        case K_STRING:
            if (put_offset(&c->offsets, c->data.len)) return -1;
            break;
        case K_TAGS:
            if (put_offset(&c->offsets, (size_t)c->items)) return -1;
            break;
    }
    c->n++;
    return 0;
}

int col_int64(Column *c, int64_t v) { return put_fixed(c, &v, 8); }

int col_int32(Column *c, int32_t v) { return put_fixed(c, &v, 4); }

int col_decimal(Column *c, int64_t scaled) {
    /* decimal128: 16 bytes, little-endian two's complement */
    int64_t words[2] = {scaled, scaled < 0 ? -1 : 0};
    return put_fixed(c, words, 16);
}

int col_bytes(Column *c, const uint8_t *s, size_t n) {
    if (set_valid(c, 1) || buf_reserve(&c->data, n)) return -1;
    memcpy(c->data.p + c->data.len, s, n);
    c->data.len += n;
    if (put_offset(&c->offsets, c->data.len)) return -1;
    c->n++;
    return 0;
}

int col_string(Column *c, const Span *s) {
    if (!s->escaped) return col_bytes(c, s->s, s->n);
    if (set_valid(c, 1) || json_unescape(&c->data, s)) return -1;
    if (put_offset(&c->offsets, c->data.len)) return -1;
    c->n++;
    return 0;
}

int col_tags_begin(Column *c) { return set_valid(c, 1); }

int col_tags_item(Column *c, const Span *s) {
    if (s->escaped) {
        if (json_unescape(&c->data, s)) return -1;
    } else {
        if (buf_reserve(&c->data, s->n)) return -1;
        memcpy(c->data.p + c->data.len, s->s, s->n);
        c->data.len += s->n;
    }
    if (put_offset(&c->item_offsets, c->data.len)) return -1;
    c->items++;
    return 0;
}

int col_tags_end(Column *c) {
    if (put_offset(&c->offsets, (size_t)c->items)) return -1;
    c->n++;
    return 0;
}
