#ifndef MMSSR_TEXT_H
#define MMSSR_TEXT_H
/* Byte-level reading of score tables: the decimals every text reader parses, and the plain CSV record that
 * `mmssr select` reads millions of. Each function answers only the cases it can decide exactly and says so;
 * the Swift readers hand everything else to their text path, so both paths read every file alike. */
#include <stdint.h>

/* The longest decimal -?[0-9]+(.[0-9]+)?([eE][-+]?[0-9]+)? at the start of the `available` bytes at `p` whose
 * digits (at most 19, below 2^53) and scale (within 10^+-22) `mmssr_decimal_value` converts exactly: its length,
 * or -1. `mantissa`, `scale` and `negative` receive the parts. */
int64_t mmssr_decimal_scan(const uint8_t *p, int64_t available, uint64_t *mantissa, int32_t *scale, int32_t *negative);

/* The correctly rounded float of scanned parts: 1, or 0 when only the decimal itself can decide (the double
 * nearest to it lies exactly halfway between two floats). */
int32_t mmssr_decimal_value(uint64_t mantissa, int32_t scale, int32_t negative, float *value);

/* An integer -?[0-9]{1,18} (no overflow possible) of exactly `length` bytes: 1 with its value, else 0. */
int32_t mmssr_decimal_int64(const uint8_t *p, int64_t length, int64_t *value);

/* A status cell of exactly `length` bytes: 1 for "ok", 0 for "error", -1 for anything else. */
int32_t mmssr_status_cell(const uint8_t *p, int64_t length);

/* The first offset at or after `i` (below `end`, else `end`) holding '"', '\n' or '\r' (a quoted cell's run),
 * or also ',' (an unquoted cell's end); the _scalar forms are the byte-loop definitions the tests hold the
 * fast forms to. */
int64_t mmssr_quoted_cell_end(const uint8_t *base, int64_t i, int64_t end);
int64_t mmssr_quoted_cell_end_scalar(const uint8_t *base, int64_t i, int64_t end);
int64_t mmssr_plain_cell_end(const uint8_t *base, int64_t i, int64_t end);
int64_t mmssr_plain_cell_end_scalar(const uint8_t *base, int64_t i, int64_t end);

/* What a cell of a CSV score table holds, by header column. */
enum {
    MMSSR_CELL_IGNORED = 0,   /* read past (id, image, error, unknown columns) */
    MMSSR_CELL_IDX = 1,       /* -?[0-9]{1,18} */
    MMSSR_CELL_STATUS = 2,    /* ok or error */
    MMSSR_CELL_SOURCE = 3,    /* any unescaped text: its range is returned */
    MMSSR_CELL_STYLES = 4,    /* likewise */
    MMSSR_CELL_SCORE = 5,     /* a decimal or empty (NaN), stored at scores[target * stride] */
    MMSSR_CELL_LOGIT = 6,     /* a decimal or empty, validated only */
};

typedef struct {
    int64_t idx;
    int32_t ok;
    /* Byte ranges of the source and styles cells; a length of -1 when the table has no such column. */
    int64_t source_start, source_length;
    int64_t styles_start, styles_length;
} mmssr_csv_fields;

/* One single-line record of `cells` plain cells (unquoted, or quoted without line breaks and without "" inside
 * the source and styles cells) starting at `at`: its fields into `out` and `scores`, and the offset of the next
 * record; -1 for any other record, which the caller reads the text way. */
int64_t mmssr_csv_record(const uint8_t *base, int64_t end, int64_t at, const uint8_t *kinds, const int32_t *targets,
                         int32_t cells, mmssr_csv_fields *out, float *scores, int64_t stride);

#endif
