/* JSON text: scanning, validating and skipping values, decoding string escapes.
 *
 * Written here rather than taken from a library because what is needed is narrow and exact:
 * spans into the caller's bytes (no Python object per value), and the same idea of valid JSON
 * as msgspec, which splits the bodies on the Python side. Where that idea matters:
 *   - a body msgspec cannot split must not be split here (else records and rejects would
 *     differ): syntax, control characters in strings, bad escapes and lone UTF-16
 *     surrogates (which msgspec refuses even inside values it skips) are BAD;
 *   - raw bytes that are not UTF-8 are fine JSON to msgspec until it decodes them as a str,
 *     so they are only flagged (Span.bad_utf8), and the record code decides.
 * A skipped value nesting deeper than MAX_NEST is BAD too (msgspec gives up around a
 * thousand levels; here Python then takes the body and decides). The bound is per skipped
 * value: the record around it adds its own levels (details at most MAX_DEPTH = 64 deep in
 * bills.c, a few for the envelope and order), which keeps every record this path reads
 * well under msgspec's limit.
 */
#include <string.h>

#include "native.h"

#define MAX_NEST 256

static int hex4(const uint8_t *p, unsigned *out) {
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        uint8_t ch = p[i];
        v <<= 4;
        if (ch >= '0' && ch <= '9') v |= (unsigned)(ch - '0');
        else if (ch >= 'a' && ch <= 'f') v |= (unsigned)(ch - 'a' + 10);
        else if (ch >= 'A' && ch <= 'F') v |= (unsigned)(ch - 'A' + 10);
        else return -1;
    }
    *out = v;
    return 0;
}

/* Length of the valid UTF-8 sequence at p (1..4), or 0. Python's rules: no overlong forms,
 * no encoded surrogates, nothing above U+10FFFF. */
static int utf8_length(const uint8_t *p, const uint8_t *e) {
    uint8_t a = p[0];
    if (a < 0x80) return 1;
    if (a >= 0xC2 && a <= 0xDF) {
        return (e - p >= 2 && (p[1] & 0xC0) == 0x80) ? 2 : 0;
    }
    if (a >= 0xE0 && a <= 0xEF) {
        if (e - p < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80) return 0;
        if (a == 0xE0 && p[1] < 0xA0) return 0; /* overlong */
        if (a == 0xED && p[1] >= 0xA0) return 0; /* a surrogate */
        return 3;
    }
    if (a >= 0xF0 && a <= 0xF4) {
        if (e - p < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 ||
            (p[3] & 0xC0) != 0x80)
            return 0;
        if (a == 0xF0 && p[1] < 0x90) return 0; /* overlong */
        if (a == 0xF4 && p[1] >= 0x90) return 0; /* above U+10FFFF */
        return 4;
    }
    return 0;
}

/* Non-zero when one of the 8 bytes of w is a quote, a backslash, a control character or
 * not ASCII: the bytes json_string must look at one by one. */
static inline uint64_t special_bytes(uint64_t w) {
    const uint64_t ones = UINT64_C(0x0101010101010101), high = UINT64_C(0x8080808080808080);
    uint64_t quote = w ^ (ones * '"'), backslash = w ^ (ones * '\\');
    uint64_t control = (w - ones * 0x20) & ~w;
    return ((quote - ones) & ~quote) | ((backslash - ones) & ~backslash) | control | (w & high);
}

Status json_string(Cursor *c, Span *out) {
    const uint8_t *p = c->p + 1, *e = c->end;
    const uint8_t *start = p;
    uint8_t escaped = 0, bad = 0;
    for (;;) {
        /* the common run: printable ASCII without quote or backslash, 8 bytes at a time */
        while (e - p >= 8) {
            uint64_t w;
            memcpy(&w, p, 8);
            if (special_bytes(w) & UINT64_C(0x8080808080808080)) break;
            p += 8;
        }
        while (p < e && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\') p++;
        if (p >= e) return BAD;
        uint8_t ch = *p;
        if (ch == '"') break;
        if (ch < 0x20) return BAD;
        if (ch == '\\') {
            escaped = 1;
            if (e - p < 2) return BAD;
            uint8_t k = p[1];
            if (k == 'u') {
                unsigned u, low;
                if (e - p < 6 || hex4(p + 2, &u)) return BAD;
                p += 6;
                if (u >= 0xDC00 && u <= 0xDFFF) return BAD; /* a lone low surrogate */
                if (u >= 0xD800 && u <= 0xDBFF) {
                    if (e - p < 6 || p[0] != '\\' || p[1] != 'u' || hex4(p + 2, &low) ||
                        low < 0xDC00 || low > 0xDFFF)
                        return BAD; /* a high surrogate without its low half */
                    p += 6;
                }
                continue;
            }
            if (!strchr("\"\\/bfnrt", k) || k == 0) return BAD;
            p += 2;
            continue;
        }
        /* ch >= 0x80: a run of multi-byte characters (Chinese text) */
        while (p < e && *p >= 0x80) {
            int n = utf8_length(p, e);
            if (n == 0) {
                bad = 1;
                n = 1;
            }
            p += n;
        }
    }
    if (p - start > UINT32_MAX) return BAD;
    out->s = start;
    out->n = (uint32_t)(p - start);
    out->escaped = escaped;
    out->bad_utf8 = bad;
    c->p = p + 1;
    return OK;
}

Status json_number(Cursor *c, Span *out, int *integer) {
    const uint8_t *p = c->p, *e = c->end, *start = p;
    int whole = 1;
    if (p < e && *p == '-') p++;
    if (p >= e) return BAD;
    if (*p == '0') {
        p++;
    } else if (*p >= '1' && *p <= '9') {
        while (p < e && *p >= '0' && *p <= '9') p++;
    } else {
        return BAD;
    }
    if (p < e && *p == '.') {
        whole = 0;
        p++;
        if (p >= e || *p < '0' || *p > '9') return BAD;
        while (p < e && *p >= '0' && *p <= '9') p++;
    }
    if (p < e && (*p == 'e' || *p == 'E')) {
        whole = 0;
        p++;
        if (p < e && (*p == '+' || *p == '-')) p++;
        if (p >= e || *p < '0' || *p > '9') return BAD;
        while (p < e && *p >= '0' && *p <= '9') p++;
    }
    /* A number runs into the next token only through a delimiter. */
    if (p < e && !(*p == ',' || *p == ']' || *p == '}' || *p == ' ' || *p == '\n' ||
                   *p == '\r' || *p == '\t'))
        return BAD;
    if (p - start > UINT32_MAX) return BAD;
    out->s = start;
    out->n = (uint32_t)(p - start);
    out->escaped = 0;
    out->bad_utf8 = 0;
    *integer = whole;
    c->p = p;
    return OK;
}

int json_literal(Cursor *c, const char *word, size_t n) {
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0) return 0;
    const uint8_t *after = c->p + n;
    if (after < c->end && !(*after == ',' || *after == ']' || *after == '}' || *after == ' ' ||
                            *after == '\n' || *after == '\r' || *after == '\t'))
        return 0;
    c->p = after;
    return 1;
}

/* Skips one value, checking it the way msgspec does; iterative, with an explicit stack of
 * open containers. */
Status json_skip(Cursor *c) {
    uint8_t stack[MAX_NEST];
    int depth = 0;
    Span span;
    int integer;
    json_ws(c);
    for (;;) {
        /* at the start of a value */
        if (c->p >= c->end) return BAD;
        uint8_t ch = *c->p;
        if (ch == '{' || ch == '[') {
            if (depth == MAX_NEST) return BAD;
            stack[depth++] = ch;
            c->p++;
            json_ws(c);
            if (c->p >= c->end) return BAD;
            if (*c->p == (ch == '{' ? '}' : ']')) {
                c->p++;
                depth--;
                goto after_value;
            }
            if (ch == '{') goto object_key;
            continue;
        } else if (ch == '"') {
            if (json_string(c, &span)) return BAD;
        } else if (ch == '-' || (ch >= '0' && ch <= '9')) {
            if (json_number(c, &span, &integer)) return BAD;
        } else if (!(json_literal(c, "true", 4) || json_literal(c, "false", 5) ||
                     json_literal(c, "null", 4))) {
            return BAD;
        }
    after_value:
        if (depth == 0) return OK;
        json_ws(c);
        if (c->p >= c->end) return BAD;
        ch = *c->p;
        if (ch == ',') {
            c->p++;
            json_ws(c);
            if (stack[depth - 1] == '{') goto object_key;
            continue;
        }
        if (ch == (stack[depth - 1] == '{' ? '}' : ']')) {
            c->p++;
            depth--;
            goto after_value;
        }
        return BAD;
    object_key:
        if (c->p >= c->end || *c->p != '"') return BAD;
        if (json_string(c, &span)) return BAD;
        json_ws(c);
        if (c->p >= c->end || *c->p != ':') return BAD;
        c->p++;
        json_ws(c);
    }
}

static int put_utf8(Buf *out, unsigned u) {
    if (buf_reserve(out, 4)) return -1;
    uint8_t *q = out->p + out->len;
    if (u < 0x80) {
        q[0] = (uint8_t)u;
        out->len += 1;
    } else if (u < 0x800) {
        q[0] = (uint8_t)(0xC0 | (u >> 6));
        q[1] = (uint8_t)(0x80 | (u & 0x3F));
        out->len += 2;
    } else if (u < 0x10000) {
        q[0] = (uint8_t)(0xE0 | (u >> 12));
        q[1] = (uint8_t)(0x80 | ((u >> 6) & 0x3F));
        q[2] = (uint8_t)(0x80 | (u & 0x3F));
        out->len += 3;
    } else {
        q[0] = (uint8_t)(0xF0 | (u >> 18));
        q[1] = (uint8_t)(0x80 | ((u >> 12) & 0x3F));
        q[2] = (uint8_t)(0x80 | ((u >> 6) & 0x3F));
        q[3] = (uint8_t)(0x80 | (u & 0x3F));
        out->len += 4;
    }
    return 0;
}

/* Appends the decoded text of a string json_string accepted (escapes already checked). */
int json_unescape(Buf *out, const Span *s) {
    const uint8_t *p = s->s, *e = s->s + s->n;
    if (buf_reserve(out, s->n)) return -1; /* decoding never makes text longer */
    while (p < e) {
        const uint8_t *run = p;
        while (p < e && *p != '\\') p++;
        if (p > run) {
            if (buf_reserve(out, (size_t)(p - run))) return -1;
            memcpy(out->p + out->len, run, (size_t)(p - run));
            out->len += (size_t)(p - run);
        }
        if (p >= e) break;
        uint8_t k = p[1];
        unsigned u;
        switch (k) {
            case 'b': u = '\b'; break;
            case 'f': u = '\f'; break;
            case 'n': u = '\n'; break;
            case 'r': u = '\r'; break;
            case 't': u = '\t'; break;
            case 'u': {
                hex4(p + 2, &u);
                if (u >= 0xD800 && u <= 0xDBFF) {
                    unsigned low;
                    hex4(p + 8, &low);
                    u = 0x10000 + ((u - 0xD800) << 10) + (low - 0xDC00);
                    p += 6;
                }
                p += 4;
                break;
            }
            default: u = k; break; /* " \ / */
        }
        p += 2;
        if (put_utf8(out, u)) return -1;
    }
    return 0;
}
