// ggml block formats to fp32 (see mmssr_ggml.h). Layouts and arithmetic as ggml-quants.c's dequantize_row_*:
// every product is formed in the same order, so the floats are identical to ggml's and to gguf-py's.

#include "mmssr_ggml.h"

#include <string.h>

static float fp16(const uint8_t *p) {
    const uint16_t h = (uint16_t)(p[0] | (p[1] << 8));
    const uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ff, bits;
    if (exp == 0x1f) {
        bits = sign | 0x7f800000u | (mant << 13);
    } else if (exp != 0) {
        bits = sign | ((exp + 112) << 23) | (mant << 13);
    } else if (mant == 0) {
        bits = sign;
    } else {  // subnormal: normalise
        exp = 113;
        while (!(mant & 0x400)) { mant <<= 1; exp--; }
        bits = sign | (exp << 23) | ((mant & 0x3ff) << 13);
    }
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static float bf16(const uint8_t *p) {
    const uint32_t bits = (uint32_t)(p[0] | (p[1] << 8)) << 16;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static uint32_t u32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }

static void q4_0(const uint8_t *b, float *y) {  // d, 16 bytes of nibbles: low nibbles first
    const float d = fp16(b);
    for (int j = 0; j < 16; j++) {
        y[j] = (float)((b[2 + j] & 0x0f) - 8) * d;
        y[j + 16] = (float)((b[2 + j] >> 4) - 8) * d;
    }
}

static void q4_1(const uint8_t *b, float *y) {  // d, m, nibbles
    const float d = fp16(b), m = fp16(b + 2);
    for (int j = 0; j < 16; j++) {
        y[j] = (float)(b[4 + j] & 0x0f) * d + m;
        y[j + 16] = (float)(b[4 + j] >> 4) * d + m;
    }
}

static void q5_0(const uint8_t *b, float *y) {  // d, 32 high bits, nibbles
    const float d = fp16(b);
    const uint32_t qh = u32(b + 2);
    for (int j = 0; j < 16; j++) {
        const int h0 = ((qh >> j) << 4) & 0x10, h1 = (qh >> (j + 12)) & 0x10;
        y[j] = (float)(((b[6 + j] & 0x0f) | h0) - 16) * d;
        y[j + 16] = (float)(((b[6 + j] >> 4) | h1) - 16) * d;
    }
}

static void q5_1(const uint8_t *b, float *y) {  // d, m, 32 high bits, nibbles
    const float d = fp16(b), m = fp16(b + 2);
    const uint32_t qh = u32(b + 4);
    for (int j = 0; j < 16; j++) {
        const int h0 = ((qh >> j) << 4) & 0x10, h1 = (qh >> (j + 12)) & 0x10;
        y[j] = (float)((b[8 + j] & 0x0f) | h0) * d + m;
        y[j + 16] = (float)((b[8 + j] >> 4) | h1) * d + m;
    }
}

static void q8_0(const uint8_t *b, float *y) {
    const float d = fp16(b);
    for (int j = 0; j < 32; j++) y[j] = (float)(int8_t)b[2 + j] * d;
}

// The 6-bit scale and min of sub-block j of a K-quant's 12 packed bytes.
static void scale_min_k4(int j, const uint8_t *q, uint8_t *sc, uint8_t *m) {
    if (j < 4) {
        *sc = q[j] & 63;
        *m = q[j + 4] & 63;
    } else {
        *sc = (uint8_t)((q[j + 4] & 0x0f) | ((q[j - 4] >> 6) << 4));
        *m = (uint8_t)((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
    }
}

static void q4_k(const uint8_t *b, float *y) {  // d, dmin, scales[12], qs[128]
    const float d = fp16(b), min = fp16(b + 2);
    const uint8_t *scales = b + 4, *q = b + 16;
    int is = 0;
    for (int j = 0; j < 256; j += 64) {
        uint8_t sc, m;
        scale_min_k4(is, scales, &sc, &m);
        const float d1 = d * sc, m1 = min * m;
        scale_min_k4(is + 1, scales, &sc, &m);
        const float d2 = d * sc, m2 = min * m;
        for (int l = 0; l < 32; l++) *y++ = d1 * (q[l] & 0x0f) - m1;
        for (int l = 0; l < 32; l++) *y++ = d2 * (q[l] >> 4) - m2;
        q += 32;
        is += 2;
    }
}

static void q5_k(const uint8_t *b, float *y) {  // d, dmin, scales[12], qh[32], qs[128]
    const float d = fp16(b), min = fp16(b + 2);
    const uint8_t *scales = b + 4, *qh = b + 16, *ql = b + 48;
    int is = 0;
    uint8_t u1 = 1, u2 = 2;
    for (int j = 0; j < 256; j += 64) {
        uint8_t sc, m;
        scale_min_k4(is, scales, &sc, &m);
        const float d1 = d * sc, m1 = min * m;
        scale_min_k4(is + 1, scales, &sc, &m);
        const float d2 = d * sc, m2 = min * m;
        for (int l = 0; l < 32; l++) *y++ = d1 * ((ql[l] & 0x0f) + (qh[l] & u1 ? 16 : 0)) - m1;
        for (int l = 0; l < 32; l++) *y++ = d2 * ((ql[l] >> 4) + (qh[l] & u2 ? 16 : 0)) - m2;
        ql += 32;
        is += 2;
        u1 <<= 2;
        u2 <<= 2;
    }
}

static void q6_k(const uint8_t *b, float *y) {  // ql[128], qh[64], scales[16] (int8), d
    const uint8_t *ql = b, *qh = b + 128;
    const int8_t *sc = (const int8_t *)(b + 192);
    const float d = fp16(b + 208);
    for (int n = 0; n < 256; n += 128) {
        for (int l = 0; l < 32; l++) {
            const int is = l / 16;
            const int q1 = (int8_t)((ql[l] & 0x0f) | (((qh[l] >> 0) & 3) << 4)) - 32;
            const int q2 = (int8_t)((ql[l + 32] & 0x0f) | (((qh[l] >> 2) & 3) << 4)) - 32;
            const int q3 = (int8_t)((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
            const int q4 = (int8_t)((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
            y[l] = d * sc[is] * q1;
            y[l + 32] = d * sc[is + 2] * q2;
            y[l + 64] = d * sc[is + 4] * q3;
            y[l + 96] = d * sc[is + 6] * q4;
        }
        y += 128;
        ql += 64;
        qh += 32;
        sc += 8;
    }
}

typedef struct {
    int type, elements, bytes;
    void (*block)(const uint8_t *, float *);
} block_format;

static const block_format formats[] = {
    {2, 32, 18, q4_0},   {3, 32, 20, q4_1},   {6, 32, 22, q5_0},   {7, 32, 24, q5_1},
    {8, 32, 34, q8_0},   {12, 256, 144, q4_k}, {13, 256, 176, q5_k}, {14, 256, 210, q6_k},
};

static const block_format *format_of(int type) {
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
        if (formats[i].type == type) return &formats[i];
    return NULL;
}

int mmssr_ggml_supported(int type) { return type == 0 || type == 1 || type == 30 || format_of(type) != NULL; }

int mmssr_ggml_dequantize(int type, const void *src, size_t blocks, float *dst) {
    const uint8_t *s = src;
    switch (type) {
    case 0: memcpy(dst, s, blocks * sizeof(float)); return 0;
    case 1: for (size_t i = 0; i < blocks; i++) dst[i] = fp16(s + 2 * i); return 0;
    case 30: for (size_t i = 0; i < blocks; i++) dst[i] = bf16(s + 2 * i); return 0;
    default: break;
    }
    const block_format *f = format_of(type);
    if (!f) return -1;
    for (size_t i = 0; i < blocks; i++) f->block(s + i * (size_t)f->bytes, dst + i * (size_t)f->elements);
    return 0;
}
