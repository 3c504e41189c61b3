#include "mmssr_text.h"

#include <math.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

static const double double_powers[23] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};
static const float float_powers[11] = {1e0f, 1e1f, 1e2f, 1e3f, 1e4f, 1e5f, 1e6f, 1e7f, 1e8f, 1e9f, 1e10f};
/* The doubles nearest to 10^-k. */
static const double double_inverse_powers[11] = {1e0, 1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10};

static inline int is_digit(uint8_t c) { return (uint8_t)(c - '0') < 10; }

/* Inlined into the record reader: a call per number, its parts through memory, cost a third of a CSV read. */
static inline __attribute__((always_inline)) int64_t decimal_scan(const uint8_t *p, int64_t available, uint64_t *mantissa,
                                                                 int32_t *scale, int32_t *negative) {
    int64_t i = 0;
    const int neg = available > 0 && p[0] == '-';
    i = neg;
    uint64_t m = 0;
    int64_t digits = 0, s = 0;
    const int64_t int_start = i;
    while (i < available && is_digit(p[i])) { m = m * 10 + (uint64_t)(p[i] - '0'); digits++; i++; }
    if (i == int_start) return -1;
    if (i < available && p[i] == '.') {
        i++;
        const int64_t frac_start = i;
        while (i < available && is_digit(p[i])) { m = m * 10 + (uint64_t)(p[i] - '0'); digits++; i++; }
        if (i == frac_start) return -1;
        s = frac_start - i;
    }
    if (i < available && (p[i] | 0x20) == 'e') {
        i++;
        int exp_negative = 0;
        if (i < available && (p[i] == '-' || p[i] == '+')) { exp_negative = p[i] == '-'; i++; }
        const int64_t exp_start = i;
        int64_t e = 0;
        while (i < available && is_digit(p[i]) && e < 1000) { e = e * 10 + (p[i] - '0'); i++; }
        if (i == exp_start) return -1;
        s += exp_negative ? -e : e;
    }
    if (digits > 19 || m >= (1ull << 53) || s < -22 || s > 22) return -1;
    *mantissa = m;
    *scale = (int32_t)s;
    *negative = neg;
    return i;
}

/* decimal_scan, with the spellings of nearly every score cell (-?d.d and -?d.dd, then a byte that cannot continue
 * a number) read without a loop: the loops' exits, taken after a varying count of digits, were mispredicted on
 * most cells (a sixth faster record reader). */
static inline __attribute__((always_inline)) int64_t score_scan(const uint8_t *p, int64_t available, uint64_t *mantissa,
                                                               int32_t *scale, int32_t *negative) {
    if (available >= 6) {
        const int neg = p[0] == '-';
        const uint8_t *q = p + neg;
        const unsigned d0 = (unsigned)q[0] - '0', d1 = (unsigned)q[2] - '0', d2 = (unsigned)q[3] - '0';
        if (d0 < 10 && q[1] == '.' && d1 < 10) {
            const int two = d2 < 10;
            const uint8_t after = q[3 + two];
            if (!is_digit(after) && after != '.' && (after | 0x20) != 'e') {
                *mantissa = two ? d0 * 100 + d1 * 10 + d2 : d0 * 10 + d1;
                *scale = -1 - two;
                *negative = neg;
                return neg + 3 + two;
            }
        }
    }
    return decimal_scan(p, available, mantissa, scale, negative);
}

int64_t mmssr_decimal_scan(const uint8_t *p, int64_t available, uint64_t *mantissa, int32_t *scale, int32_t *negative) {
    return decimal_scan(p, available, mantissa, scale, negative);
}

/* The general conversion: exact operands in double, correctly rounded there; rounding again to float is right
 * unless the double lies exactly halfway between two floats (0: only the decimal itself can decide). */
static int32_t decimal_value_divided(uint64_t mantissa, int32_t scale, int32_t negative, float *value) {
    const double m = (double)mantissa, power = double_powers[scale < 0 ? -scale : scale];
    const double d = scale < 0 ? m / power : m * power;
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    if (d != 0 && (bits & 0x1FFFFFFFull) == 0x10000000ull) return 0;
    const float f = (float)d;
    *value = negative ? -f : f;
    return 1;
}

static inline __attribute__((always_inline)) int32_t decimal_value(uint64_t mantissa, int32_t scale, int32_t negative, float *value) {
    float f;
    if (mantissa < (1u << 24) && scale >= 0 && scale <= 10) {
        /* Both operands exact floats: one correctly rounded operation (Clinger's fast path). */
        f = (float)mantissa * float_powers[scale];
    } else if (mantissa < (1u << 24) && scale < 0 && scale >= -10) {
        /* A division was a sixth of reading a CSV record (scores are mostly d.dd). The product with the double
         * nearest 10^-k lies within 2 double ulps of m / 10^k (two roundings of 2^-53 each), so it rounds to the
         * float m / 10^k rounds to unless it lies within 2 ulps of a point halfway between two floats; those few
         * are divided exactly below. */
        const double d = (double)mantissa * double_inverse_powers[-scale];
        uint64_t bits;
        memcpy(&bits, &d, sizeof bits);
        const uint64_t offset = (bits & 0x1FFFFFFFull) - 0x10000000ull + 2;
        if (offset <= 4) return decimal_value_divided(mantissa, scale, negative, value);
        f = (float)d;
    } else {
        return decimal_value_divided(mantissa, scale, negative, value);
    }
    *value = negative ? -f : f;
    return 1;
}

int32_t mmssr_decimal_value(uint64_t mantissa, int32_t scale, int32_t negative, float *value) {
    return decimal_value(mantissa, scale, negative, value);
}

/* A whole cell read as a float: 1 with the value, 0 when the cell is not a plain decimal of that kind. */
static inline int decimal_cell(const uint8_t *p, int64_t length, float *value) {
    uint64_t m;
    int32_t s, neg;
    if (decimal_scan(p, length, &m, &s, &neg) != length) return 0;
    return decimal_value(m, s, neg, value);
}

int32_t mmssr_decimal_int64(const uint8_t *p, int64_t length, int64_t *value) {
    int64_t i = length > 0 && p[0] == '-';
    const int64_t digits = length - i;
    if (digits <= 0 || digits > 18) return 0;
    int64_t v = 0;
    for (; i < length; i++) {
        if (!is_digit(p[i])) return 0;
        v = v * 10 + (p[i] - '0');
    }
    *value = length > 0 && p[0] == '-' ? -v : v;
    return 1;
}

static inline __attribute__((always_inline)) int32_t status_cell(const uint8_t *p, int64_t length) {
    if (length == 2 && p[0] == 'o' && p[1] == 'k') return 1;
    if (length == 5 && memcmp(p, "error", 5) == 0) return 0;
    return -1;
}

int32_t mmssr_status_cell(const uint8_t *p, int64_t length) { return status_cell(p, length); }

/* Cell ends: the first byte at or after `i` that ends a quoted cell's run ('"', '\n', '\r') or an unquoted cell
 * (those and ','), or `end`. The byte loops are the definitions; x86-64 (SSE2 is part of it) tests 16 bytes at a
 * time, which made the quoted cells (ids, image paths, sources, styles) a third cheaper to walk. */
int64_t mmssr_quoted_cell_end_scalar(const uint8_t *base, int64_t i, int64_t end) {
    while (i < end && base[i] != '"' && base[i] != '\n' && base[i] != '\r') i++;
    return i;
}

int64_t mmssr_plain_cell_end_scalar(const uint8_t *base, int64_t i, int64_t end) {
    while (i < end && base[i] != ',' && base[i] != '\n' && base[i] != '\r' && base[i] != '"') i++;
    return i;
}

static inline __attribute__((always_inline)) int64_t cell_end(const uint8_t *base, int64_t i, int64_t end, int plain) {
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"'), lf = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r');
    const __m128i comma = _mm_set1_epi8(plain ? ',' : '"');
    for (; i + 16 <= end; i += 16) {
        const __m128i v = _mm_loadu_si128((const __m128i *)(base + i));
        const __m128i hits = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, comma)),
                                          _mm_or_si128(_mm_cmpeq_epi8(v, lf), _mm_cmpeq_epi8(v, cr)));
        const int mask = _mm_movemask_epi8(hits);
        if (mask) return i + __builtin_ctz((unsigned)mask);
    }
#endif
    return plain ? mmssr_plain_cell_end_scalar(base, i, end) : mmssr_quoted_cell_end_scalar(base, i, end);
}

int64_t mmssr_quoted_cell_end(const uint8_t *base, int64_t i, int64_t end) { return cell_end(base, i, end, 0); }
int64_t mmssr_plain_cell_end(const uint8_t *base, int64_t i, int64_t end) { return cell_end(base, i, end, 1); }

int64_t mmssr_csv_record(const uint8_t *base, int64_t end, int64_t at, const uint8_t *kinds, const int32_t *targets,
                         int32_t cells, mmssr_csv_fields *out, float *scores, int64_t stride) {
    int64_t i = at;
    for (int32_t cell = 0;; ) {
        if (cell >= cells) return -1;
        const uint8_t kind = kinds[cell];
        int64_t start, stop;
        int escaped = 0;
        if (i < end && base[i] == '"') {
            start = ++i;
            for (;;) {
                i = cell_end(base, i, end, 0);
                if (i == end || base[i] != '"') return -1;
                if (i + 1 < end && base[i + 1] == '"') { escaped = 1; i += 2; continue; }
                break;
            }
            stop = i++;
        } else if (kind == MMSSR_CELL_SCORE || kind == MMSSR_CELL_LOGIT) {
            /* A number is read as its bytes are walked; the delimiter test below ends the cell. */
            uint64_t m;
            int32_t s, neg;
            const int empty = i == end || base[i] == ',' || base[i] == '\n' || base[i] == '\r';
            const int64_t length = empty ? 0 : score_scan(base + i, end - i, &m, &s, &neg);
            if (length < 0) return -1;
            if (length == 0) {
                if (kind == MMSSR_CELL_SCORE) scores[targets[cell] * stride] = NAN;
            } else if (kind == MMSSR_CELL_SCORE) {
                float v;
                if (!decimal_value(m, s, neg, &v)) return -1;
                scores[targets[cell] * stride] = v;
            }
            i += length;
            goto delimiter;
        } else {
            start = i;
            stop = i = cell_end(base, i, end, 1);
        }
        {
            const uint8_t *p = base + start;
            const int64_t length = stop - start;
            switch (kind) {
            case MMSSR_CELL_IDX:
                if (escaped || !mmssr_decimal_int64(p, length, &out->idx)) return -1;
                break;
            case MMSSR_CELL_STATUS:
                if (escaped || (out->ok = status_cell(p, length)) < 0) return -1;
                break;
            case MMSSR_CELL_SOURCE:
                if (escaped) return -1;
                out->source_start = start;
                out->source_length = length;
                break;
            case MMSSR_CELL_STYLES:
                if (escaped) return -1;
                out->styles_start = start;
                out->styles_length = length;
                break;
            case MMSSR_CELL_SCORE: {
                float v;
                if (length == 0) { scores[targets[cell] * stride] = NAN; break; }
                if (escaped || !decimal_cell(p, length, &v)) return -1;
                scores[targets[cell] * stride] = v;
                break;
            }
            case MMSSR_CELL_LOGIT: {
                float v;
                if (length != 0 && (escaped || !decimal_cell(p, length, &v))) return -1;
                break;
            }
            default:
                break;
            }
        }
    delimiter:
        cell++;
        if (i == end) return cell == cells ? end : -1;
        switch (base[i]) {
        case ',': i++; break;
        case '\n': return cell == cells ? i + 1 : -1;
        case '\r':
            if (cell != cells || !(i + 1 == end || base[i + 1] == '\n')) return -1;
            return i + 2 < end ? i + 2 : end;
        default: return -1;
        }
    }
}
