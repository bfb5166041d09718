/* Values from JSON text, exactly as the reference flattener reads them, or BAIL.
 *
 * - int_value: a JSON integer within [lo, hi] (msgspec's Int64 / Int32); a number written with
 *   a fraction or an exponent is a float to msgspec, which an int field refuses.
 * - decimal_value: etl/flatten/decimals.py in integer arithmetic on the digits: round to the
 *   scale, keep the value only when it is within 1e-6 of the text, and only when it fits
 *   DECIMAL(18, scale). Digits are never read through a double.
 * - time_value: etl/flatten/times.py's 'yyyy-MM-dd HH:mm:ss' (fields after the year one or two
 *   digits), a real calendar time, as microseconds since 1970-01-01 (naive, shop-local).
 * Anything these do not vouch for (more significant digits than the reference's decimal context
 * keeps exactly, years outside 1900-9000, escapes inside a time) is BAIL: the reference decides.
 */
#include "native.h"

#define MAX_DIGITS 25          /* significant digits read exactly (Decimal's context has 28) */
#define MAX_EXPONENT 400       /* beyond this the reference's own limits start to matter */
#define NOISE_DIGITS 6         /* the noise bound is 1e-6 */
#define LIMIT INT64_C(1000000000000000000) /* 10^18: DECIMAL(18, s) holds |scaled| < 10^18 */

Status int_value(const Span *num, int64_t lo, int64_t hi, int64_t *out) {
    const uint8_t *p = num->s, *e = num->s + num->n;
    int neg = 0;
    if (p < e && *p == '-') {
        neg = 1;
        p++;
    }
    if (e - p > 19) return BAIL;
    uint64_t v = 0;
    for (; p < e; p++) v = v * 10 + (uint64_t)(*p - '0');
    if (neg) {
        if (v > (uint64_t)INT64_MAX + 1) return BAIL;
        int64_t r = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
        if (r < lo) return BAIL;
        *out = r;
    } else {
        if (v > (uint64_t)INT64_MAX || (int64_t)v > hi) return BAIL;
        *out = (int64_t)v;
    }
    return OK;
}

Status decimal_value(const Span *num, int scale, int64_t *out) {
    const uint8_t *p = num->s, *e = num->s + num->n;
    uint8_t digits[MAX_DIGITS];
    int nd = 0, neg = 0;
    long exponent = 0;
    if (*p == '-') {
        neg = 1;
        p++;
    }
    /* value = digits * 10^exponent, digits without leading zeros */
    for (; p < e && *p >= '0' && *p <= '9'; p++) {
        if (nd == 0 && *p == '0') continue;
        if (nd == MAX_DIGITS) return BAIL;
        digits[nd++] = (uint8_t)(*p - '0');
    }
    if (p < e && *p == '.') {
        for (p++; p < e && *p >= '0' && *p <= '9'; p++) {
            exponent--;
            if (nd == 0 && *p == '0') continue;
            if (nd == MAX_DIGITS) return BAIL;
            digits[nd++] = (uint8_t)(*p - '0');
        }
    }
    if (p < e && (*p == 'e' || *p == 'E')) {
        int eneg = 0;
        long ev = 0;
        p++;
        if (*p == '+' || *p == '-') eneg = *p++ == '-';
        for (; p < e; p++) {
            ev = ev * 10 + (*p - '0');
            if (ev > MAX_EXPONENT) return BAIL;
        }
        exponent += eneg ? -ev : ev;
    }
    if (exponent < -MAX_EXPONENT || exponent > MAX_EXPONENT) return BAIL;
    if (nd == 0) {
        *out = 0;
        return OK;
    }
    long shift = exponent + scale; /* value * 10^scale = digits * 10^shift */
    uint64_t n = 0;
    if (shift >= 0) {
        if (nd + shift > 18) return BAIL; /* >= 10^18: does not fit */
        for (int i = 0; i < nd; i++) n = n * 10 + digits[i];
        for (long i = 0; i < shift; i++) n *= 10;
    } else {
        long drop = -shift, keep = nd - drop;
        if (keep > 18) return BAIL;
        for (long i = 0; i < keep; i++) n = n * 10 + digits[i];
        /* dropped digit j (0 = the first after the cut): zeros stand in before the digits */
#define DROPPED(j) ((keep + (j)) < 0 ? 0 : digits[keep + (j)])
        int noise = NOISE_DIGITS - scale; /* |value - rounded| < 1e-6: in units of 10^-scale,
                                            * the dropped part is below 10^-noise */
        long first = drop < noise ? drop : noise;
        int down = 1, up = drop > noise;
        for (long j = 0; j < first; j++) {
            down &= DROPPED(j) == 0;
            up &= DROPPED(j) == 9;
        }
        if (!down && up) {
            int rest = 0; /* 0.9999... rounds up only if something follows the nines */
            for (long j = noise; j < drop; j++) rest |= DROPPED(j) != 0;
            up = rest;
        }
#undef DROPPED
        if (down) {
            /* n stays: the dropped part is noise below the bound */
        } else if (up) {
            n += 1;
        } else {
            return BAIL; /* a real digit beyond the scale: the reference rejects it by name */
        }
        if (n >= (uint64_t)LIMIT) return BAIL;
    }
    *out = neg ? -(int64_t)n : (int64_t)n;
    return OK;
}

static int two(const uint8_t **pp, const uint8_t *e, int *out) {
    const uint8_t *p = *pp;
    if (p >= e || *p < '0' || *p > '9') return -1;
    int v = *p++ - '0';
    if (p < e && *p >= '0' && *p <= '9') v = v * 10 + (*p++ - '0');
    *out = v;
    *pp = p;
    return 0;
}

static int expect(const uint8_t **pp, const uint8_t *e, uint8_t ch) {
    if (*pp >= e || **pp != ch) return -1;
    (*pp)++;
    return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (the civil-from-days inverse, in
 * 400-year eras so that it holds for any year here). */
static int64_t days_from_civil(int y, int m, int d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

Status time_value(const Span *text, int64_t *micros) {
    if (text->escaped) return BAIL;
    const uint8_t *p = text->s, *e = text->s + text->n;
    int year = 0, month, day, hour, minute, second;
    for (int i = 0; i < 4; i++, p++) {
        if (p >= e || *p < '0' || *p > '9') return BAIL;
        year = year * 10 + (*p - '0');
    }
    if (expect(&p, e, '-') || two(&p, e, &month) || expect(&p, e, '-') || two(&p, e, &day) ||
        expect(&p, e, ' ') || two(&p, e, &hour) || expect(&p, e, ':') ||
        two(&p, e, &minute) || expect(&p, e, ':') || two(&p, e, &second) || p != e)
        return BAIL;
    static const int month_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (year < 1900 || year > 9000 || month < 1 || month > 12 || hour > 23 || minute > 59 ||
        second > 59)
        return BAIL;
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    int last = month_days[month - 1] + (month == 2 && leap);
    if (day < 1 || day > last) return BAIL;
    int64_t seconds = days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 +
                      second;
    *micros = seconds * 1000000;
    return OK;
}
