// Dequantisation of ggml block types to fp32 (mmssr_ggml.h). The scalar functions transcribe ggml's
// dequantize_row_* (ggml-quants.c); the AVX-512 ones do the same fp32 operations 16 lanes at a time, so
// both give the same bits. Contraction into FMA is off: d * q + m must round twice, as ggml's C does.

#include "mmssr_ggml.h"

#include <stdint.h>
#include <string.h>

#pragma STDC FP_CONTRACT OFF
#if defined(__clang__)
#pragma clang fp contract(off)
#endif

#define QK 32    // values per block of the legacy types
#define QK_K 256 // values per super-block of the K types

// ggml's layouts, bytes per block.
enum {
    BYTES_Q4_0 = 2 + QK / 2,
    BYTES_Q4_1 = 4 + QK / 2,
    BYTES_Q5_0 = 2 + 4 + QK / 2,
    BYTES_Q5_1 = 4 + 4 + QK / 2,
    BYTES_Q8_0 = 2 + QK,
    BYTES_Q2_K = QK_K / 16 + QK_K / 4 + 4,
    BYTES_Q3_K = QK_K / 8 + QK_K / 4 + 12 + 2,
    BYTES_Q4_K = 4 + 12 + QK_K / 2,
    BYTES_Q5_K = 4 + 12 + QK_K / 8 + QK_K / 2,
    BYTES_Q6_K = QK_K / 2 + QK_K / 4 + QK_K / 16 + 2,
};

static size_t block_values(int type) {
    switch (type) {
    case MMSSR_GGML_F32: case MMSSR_GGML_F16: case MMSSR_GGML_BF16: case MMSSR_GGML_I8: return 1;
    case MMSSR_GGML_Q4_0: case MMSSR_GGML_Q4_1: case MMSSR_GGML_Q5_0: case MMSSR_GGML_Q5_1: case MMSSR_GGML_Q8_0:
        return QK;
    case MMSSR_GGML_Q2_K: case MMSSR_GGML_Q3_K: case MMSSR_GGML_Q4_K: case MMSSR_GGML_Q5_K: case MMSSR_GGML_Q6_K:
        return QK_K;
    default: return 0;
    }
}

int mmssr_ggml_type_supported(int type) { return block_values(type) != 0; }

static inline uint16_t load_u16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }

static inline uint32_t load_u32(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static inline float bits_to_float(uint32_t bits) {
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

// IEEE half to float, exact for every input (subnormals normalised, NaN payloads kept as numpy keeps them).
static inline float half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
    if (exp == 0x1f) return bits_to_float(sign | 0x7f800000u | (mant << 13));
    if (exp != 0) return bits_to_float(sign | ((exp + 112) << 23) | (mant << 13));
    if (mant == 0) return bits_to_float(sign);
    uint32_t e = 113;
    while (!(mant & 0x400)) { mant <<= 1; e--; }
    return bits_to_float(sign | (e << 23) | ((mant & 0x3ff) << 13));
}

static inline float half_at(const uint8_t *p) { return half_to_float(load_u16(p)); }

// The 6-bit scale and min of sub-block j of a Q4_K / Q5_K super-block (ggml's get_scale_min_k4).
static inline void scale_min_k4(int j, const uint8_t *q, uint8_t *sc, uint8_t *m) {
    if (j < 4) {
        *sc = q[j] & 63;
        *m = q[j + 4] & 63;
    } else {
        *sc = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
        *m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
    }
}

// MARK: - Scalar reference

static void scalar_q4_0(const uint8_t *b, float *y, size_t nb) {
    for (size_t i = 0; i < nb; i++, b += BYTES_Q4_0, y += QK) {
        float d = half_at(b);
        const uint8_t *qs = b + 2;
        for (int j = 0; j < QK / 2; j++) {
            y[j] = (float)((qs[j] & 0xF) - 8) * d;
            y[j + QK / 2] = (float)((qs[j] >> 4) - 8) * d;
        }
    }
}

static void scalar_q4_1(const uint8_t *b, float *y, size_t nb) {
    for (size_t i = 0; i < nb; i++, b += BYTES_Q4_1, y += QK) {
        float d = half_at(b), m = half_at(b + 2);
        const uint8_t *qs = b + 4;
        for (int j = 0; j < QK / 2; j++) {
            y[j] = (float)(qs[j] & 0xF) * d + m;
            y[j + QK / 2] = (float)(qs[j] >> 4) * d + m;
        }
    }
}

static void scalar_q5_0(const uint8_t *b, float *y, size_t nb) {
    for (size_t i = 0; i < nb; i++, b += BYTES_Q5_0, y += QK) {
        float d = half_at(b);
        uint32_t qh = load_u32(b + 2);
        const uint8_t *qs = b + 6;
        for (int j = 0; j < QK / 2; j++) {
            int x0 = (qs[j] & 0xF) | (int)(((qh >> j) & 1) << 4);
            int x1 = (qs[j] >> 4) | (int)(((qh >> (j + 16)) & 1) << 4);
            y[j] = (float)(x0 - 16) * d;
            y[j + QK / 2] = (float)(x1 - 16) * d;
        }
    }
}

static void scalar_q5_1(const uint8_t *b, float *y, size_t nb) {
    for (size_t i = 0; i < nb; i++, b += BYTES_Q5_1, y += QK) {
        float d = half_at(b), m = half_at(b + 2);
        uint32_t qh = load_u32(b + 4);
        const uint8_t *qs = b + 8;
        for (int j = 0; j < QK / 2; j++) {
            int x0 = (qs[j] & 0xF) | (int)(((qh >> j) & 1) << 4);
            int x1 = (qs[j] >> 4) | (int)(((qh >> (j + 16)) & 1) << 4);
            y[j] = (float)x0 * d + m;
            y[j + QK / 2] = (float)x1 * d + m;
        }
    }
}

static void scalar_q8_0(const uint8_t *b, float *y, size_t nb) {
    for (size_t i = 0; i < nb; i++, b += BYTES_Q8_0, y += QK) {
        float d = half_at(b);
        for (int j = 0; j < QK; j++) y[j] = (float)(int8_t)b[2 + j] * d;
    }
}

static void scalar_q2_k(const uint8_t *b, float *y, size_t nb) {
    for (size_t i = 0; i < nb; i++, b += BYTES_Q2_K) {
        const uint8_t *scales = b, *q = b + QK_K / 16;
        float d = half_at(b + QK_K / 16 + QK_K / 4), dmin = half_at(b + QK_K / 16 + QK_K / 4 + 2);
        int is = 0;
        for (int n = 0; n < QK_K; n += 128, q += 32) {
            for (int shift = 0; shift < 8; shift += 2) {
                for (int half = 0; half < 2; half++) {
                    uint8_t sc = scales[is++];
                    float dl = d * (float)(sc & 0xF), ml = dmin * (float)(sc >> 4);
                    for (int l = 0; l < 16; l++) *y++ = dl * (float)((q[l + 16 * half] >> shift) & 3) - ml;
                }
            }
        }
    }
}

static void scalar_q3_k(const uint8_t *b, float *y, size_t nb) {
    for (size_t i = 0; i < nb; i++, b += BYTES_Q3_K) {
        const uint8_t *hm = b, *q = b + QK_K / 8, *packed = b + QK_K / 8 + QK_K / 4;
        float d_all = half_at(packed + 12);
        // Sixteen 6-bit scales: low nibbles in bytes 0-7, high 2-bit pairs in bytes 8-11.
        int8_t scales[16];
        for (int j = 0; j < 16; j++) {
            int lo = j < 8 ? packed[j] & 0xF : packed[j - 8] >> 4;
            int hi = (packed[8 + (j & 3)] >> (2 * (j >> 2))) & 3;
            scales[j] = (int8_t)((lo | (hi << 4)) - 32);
        }
        int is = 0;
        uint8_t m = 1;
        for (int n = 0; n < QK_K; n += 128, q += 32) {
            for (int shift = 0; shift < 8; shift += 2, m <<= 1) {
                for (int half = 0; half < 2; half++) {
                    float dl = d_all * (float)scales[is++];
                    for (int l = 16 * half; l < 16 * half + 16; l++)
                        *y++ = dl * (float)((int8_t)((q[l] >> shift) & 3) - ((hm[l] & m) ? 0 : 4));
                }
            }
        }
    }
}

static void scalar_q4_k(const uint8_t *b, float *y, size_t nb) {
    for (size_t i = 0; i < nb; i++, b += BYTES_Q4_K) {
        float d = half_at(b), dmin = half_at(b + 2);
        const uint8_t *scales = b + 4, *q = b + 16;
        for (int j = 0; j < QK_K / 32; j += 2, q += 32) {
            uint8_t sc, m;
            scale_min_k4(j, scales, &sc, &m);
            float d1 = d * (float)sc, m1 = dmin * (float)m;
            scale_min_k4(j + 1, scales, &sc, &m);
            float d2 = d * (float)sc, m2 = dmin * (float)m;
            for (int l = 0; l < 32; l++) *y++ = d1 * (float)(q[l] & 0xF) - m1;
            for (int l = 0; l < 32; l++) *y++ = d2 * (float)(q[l] >> 4) - m2;
        }
    }
}

static void scalar_q5_k(const uint8_t *b, float *y, size_t nb) {
    for (size_t i = 0; i < nb; i++, b += BYTES_Q5_K) {
        float d = half_at(b), dmin = half_at(b + 2);
        const uint8_t *scales = b + 4, *qh = b + 16, *ql = b + 16 + QK_K / 8;
        uint8_t u1 = 1, u2 = 2;
        for (int j = 0; j < QK_K / 32; j += 2, ql += 32, u1 <<= 2, u2 <<= 2) {
            uint8_t sc, m;
            scale_min_k4(j, scales, &sc, &m);
            float d1 = d * (float)sc, m1 = dmin * (float)m;
            scale_min_k4(j + 1, scales, &sc, &m);
            float d2 = d * (float)sc, m2 = dmin * (float)m;
            for (int l = 0; l < 32; l++) *y++ = d1 * (float)((ql[l] & 0xF) + (qh[l] & u1 ? 16 : 0)) - m1;
            for (int l = 0; l < 32; l++) *y++ = d2 * (float)((ql[l] >> 4) + (qh[l] & u2 ? 16 : 0)) - m2;
        }
    }
}

static void scalar_q6_k(const uint8_t *b, float *y, size_t nb) {
    for (size_t i = 0; i < nb; i++, b += BYTES_Q6_K) {
        const uint8_t *ql = b, *qh = b + QK_K / 2;
        const int8_t *sc = (const int8_t *)(b + QK_K / 2 + QK_K / 4);
        float d = half_at(b + QK_K / 2 + QK_K / 4 + QK_K / 16);
        for (int n = 0; n < QK_K; n += 128, ql += 64, qh += 32, sc += 8, y += 128) {
            for (int l = 0; l < 32; l++) {
                int is = l / 16;
                int q1 = (int)((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
                int q2 = (int)((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
                int q3 = (int)((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                int q4 = (int)((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                y[l] = d * (float)sc[is] * (float)q1;
                y[l + 32] = d * (float)sc[is + 2] * (float)q2;
                y[l + 64] = d * (float)sc[is + 4] * (float)q3;
                y[l + 96] = d * (float)sc[is + 6] * (float)q4;
            }
        }
    }
}

static void dequantize_scalar(int type, const uint8_t *src, float *dst, size_t n) {
    switch (type) {
    case MMSSR_GGML_F32: memcpy(dst, src, n * sizeof(float)); break;
    case MMSSR_GGML_F16: for (size_t i = 0; i < n; i++) dst[i] = half_at(src + 2 * i); break;
    case MMSSR_GGML_BF16: for (size_t i = 0; i < n; i++) dst[i] = bits_to_float((uint32_t)load_u16(src + 2 * i) << 16); break;
    case MMSSR_GGML_I8: for (size_t i = 0; i < n; i++) dst[i] = (float)(int8_t)src[i]; break;
    case MMSSR_GGML_Q4_0: scalar_q4_0(src, dst, n / QK); break;
    case MMSSR_GGML_Q4_1: scalar_q4_1(src, dst, n / QK); break;
    case MMSSR_GGML_Q5_0: scalar_q5_0(src, dst, n / QK); break;
    case MMSSR_GGML_Q5_1: scalar_q5_1(src, dst, n / QK); break;
    case MMSSR_GGML_Q8_0: scalar_q8_0(src, dst, n / QK); break;
    case MMSSR_GGML_Q2_K: scalar_q2_k(src, dst, n / QK_K); break;
    case MMSSR_GGML_Q3_K: scalar_q3_k(src, dst, n / QK_K); break;
    case MMSSR_GGML_Q4_K: scalar_q4_k(src, dst, n / QK_K); break;
    case MMSSR_GGML_Q5_K: scalar_q5_k(src, dst, n / QK_K); break;
    case MMSSR_GGML_Q6_K: scalar_q6_k(src, dst, n / QK_K); break;
    }
}

// MARK: - AVX-512

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,f16c")))

// 16 unsigned bytes widened to 16 floats.
AVX512 static inline __m512 u8_to_ps(__m128i v) { return _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(v)); }
AVX512 static inline __m512 i8_to_ps(__m128i v) { return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(v)); }

AVX512 static void avx512_q4_0(const uint8_t *b, float *y, size_t nb) {
    const __m128i low = _mm_set1_epi8(0xF), eight = _mm_set1_epi8(8);
    for (size_t i = 0; i < nb; i++, b += BYTES_Q4_0, y += QK) {
        __m512 d = _mm512_set1_ps(half_at(b));
        __m128i qs = _mm_loadu_si128((const __m128i *)(b + 2));
        __m128i lo = _mm_sub_epi8(_mm_and_si128(qs, low), eight);
        __m128i hi = _mm_sub_epi8(_mm_and_si128(_mm_srli_epi16(qs, 4), low), eight);
        _mm512_storeu_ps(y, _mm512_mul_ps(i8_to_ps(lo), d));
        _mm512_storeu_ps(y + 16, _mm512_mul_ps(i8_to_ps(hi), d));
    }
}

AVX512 static void avx512_q4_1(const uint8_t *b, float *y, size_t nb) {
    const __m128i low = _mm_set1_epi8(0xF);
    for (size_t i = 0; i < nb; i++, b += BYTES_Q4_1, y += QK) {
        __m512 d = _mm512_set1_ps(half_at(b)), m = _mm512_set1_ps(half_at(b + 2));
        __m128i qs = _mm_loadu_si128((const __m128i *)(b + 4));
        __m128i lo = _mm_and_si128(qs, low), hi = _mm_and_si128(_mm_srli_epi16(qs, 4), low);
        _mm512_storeu_ps(y, _mm512_add_ps(_mm512_mul_ps(u8_to_ps(lo), d), m));
        _mm512_storeu_ps(y + 16, _mm512_add_ps(_mm512_mul_ps(u8_to_ps(hi), d), m));
    }
}

// The 5-bit values of a Q5 block as two 16-lane integer vectors, bit 4 from qh.
AVX512 static inline void q5_values(const uint8_t *qs_bytes, uint32_t qh, __m512i *x0, __m512i *x1) {
    const __m128i low = _mm_set1_epi8(0xF);
    const __m512i sixteen = _mm512_set1_epi32(16);
    __m128i qs = _mm_loadu_si128((const __m128i *)qs_bytes);
    __m512i lo = _mm512_cvtepu8_epi32(_mm_and_si128(qs, low));
    __m512i hi = _mm512_cvtepu8_epi32(_mm_and_si128(_mm_srli_epi16(qs, 4), low));
    *x0 = _mm512_mask_add_epi32(lo, (__mmask16)(qh & 0xFFFF), lo, sixteen);
    *x1 = _mm512_mask_add_epi32(hi, (__mmask16)(qh >> 16), hi, sixteen);
}

AVX512 static void avx512_q5_0(const uint8_t *b, float *y, size_t nb) {
    const __m512i sixteen = _mm512_set1_epi32(16);
    for (size_t i = 0; i < nb; i++, b += BYTES_Q5_0, y += QK) {
        __m512 d = _mm512_set1_ps(half_at(b));
        __m512i x0, x1;
        q5_values(b + 6, load_u32(b + 2), &x0, &x1);
        _mm512_storeu_ps(y, _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(x0, sixteen)), d));
        _mm512_storeu_ps(y + 16, _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(x1, sixteen)), d));
    }
}

AVX512 static void avx512_q5_1(const uint8_t *b, float *y, size_t nb) {
    for (size_t i = 0; i < nb; i++, b += BYTES_Q5_1, y += QK) {
        __m512 d = _mm512_set1_ps(half_at(b)), m = _mm512_set1_ps(half_at(b + 2));
        __m512i x0, x1;
        q5_values(b + 8, load_u32(b + 4), &x0, &x1);
        _mm512_storeu_ps(y, _mm512_add_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(x0), d), m));
        _mm512_storeu_ps(y + 16, _mm512_add_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(x1), d), m));
    }
}

AVX512 static void avx512_q8_0(const uint8_t *b, float *y, size_t nb) {
    for (size_t i = 0; i < nb; i++, b += BYTES_Q8_0, y += QK) {
        __m512 d = _mm512_set1_ps(half_at(b));
        _mm512_storeu_ps(y, _mm512_mul_ps(i8_to_ps(_mm_loadu_si128((const __m128i *)(b + 2))), d));
        _mm512_storeu_ps(y + 16, _mm512_mul_ps(i8_to_ps(_mm_loadu_si128((const __m128i *)(b + 18))), d));
    }
}

// 32 values d * q - m from 32 unsigned bytes q.
AVX512 static inline void store_affine32(float *y, __m256i q, float d, float m) {
    __m512 vd = _mm512_set1_ps(d), vm = _mm512_set1_ps(m);
    _mm512_storeu_ps(y, _mm512_sub_ps(_mm512_mul_ps(vd, u8_to_ps(_mm256_castsi256_si128(q))), vm));
    _mm512_storeu_ps(y + 16, _mm512_sub_ps(_mm512_mul_ps(vd, u8_to_ps(_mm256_extracti128_si256(q, 1))), vm));
}

AVX512 static void avx512_q4_k(const uint8_t *b, float *y, size_t nb) {
    const __m256i low = _mm256_set1_epi8(0xF);
    for (size_t i = 0; i < nb; i++, b += BYTES_Q4_K) {
        float d = half_at(b), dmin = half_at(b + 2);
        const uint8_t *scales = b + 4, *q = b + 16;
        for (int j = 0; j < QK_K / 32; j += 2, q += 32, y += 64) {
            uint8_t sc1, m1, sc2, m2;
            scale_min_k4(j, scales, &sc1, &m1);
            scale_min_k4(j + 1, scales, &sc2, &m2);
            __m256i qs = _mm256_loadu_si256((const __m256i *)q);
            store_affine32(y, _mm256_and_si256(qs, low), d * (float)sc1, dmin * (float)m1);
            store_affine32(y + 32, _mm256_and_si256(_mm256_srli_epi16(qs, 4), low), d * (float)sc2, dmin * (float)m2);
        }
    }
}

AVX512 static void avx512_q5_k(const uint8_t *b, float *y, size_t nb) {
    const __m256i low = _mm256_set1_epi8(0xF), sixteen = _mm256_set1_epi8(16);
    for (size_t i = 0; i < nb; i++, b += BYTES_Q5_K) {
        float d = half_at(b), dmin = half_at(b + 2);
        const uint8_t *scales = b + 4, *ql = b + 16 + QK_K / 8;
        __m256i qh = _mm256_loadu_si256((const __m256i *)(b + 16));
        for (int j = 0; j < QK_K / 32; j += 2, ql += 32, y += 64) {
            uint8_t sc1, m1, sc2, m2;
            scale_min_k4(j, scales, &sc1, &m1);
            scale_min_k4(j + 1, scales, &sc2, &m2);
            __m256i qs = _mm256_loadu_si256((const __m256i *)ql);
            __mmask32 h1 = _mm256_test_epi8_mask(qh, _mm256_set1_epi8((char)(1 << j)));
            __mmask32 h2 = _mm256_test_epi8_mask(qh, _mm256_set1_epi8((char)(1 << (j + 1))));
            __m256i x1 = _mm256_and_si256(qs, low), x2 = _mm256_and_si256(_mm256_srli_epi16(qs, 4), low);
            x1 = _mm256_mask_add_epi8(x1, h1, x1, sixteen);
            x2 = _mm256_mask_add_epi8(x2, h2, x2, sixteen);
            store_affine32(y, x1, d * (float)sc1, dmin * (float)m1);
            store_affine32(y + 32, x2, d * (float)sc2, dmin * (float)m2);
        }
    }
}

AVX512 static void avx512_q6_k(const uint8_t *b, float *y, size_t nb) {
    const __m256i low = _mm256_set1_epi8(0xF), two = _mm256_set1_epi8(3), bias = _mm256_set1_epi8(32);
    for (size_t i = 0; i < nb; i++, b += BYTES_Q6_K) {
        const uint8_t *ql = b, *qh = b + QK_K / 2;
        const int8_t *sc = (const int8_t *)(b + QK_K / 2 + QK_K / 4);
        float d = half_at(b + QK_K / 2 + QK_K / 4 + QK_K / 16);
        for (int n = 0; n < QK_K; n += 128, ql += 64, qh += 32, sc += 8, y += 128) {
            __m256i l0 = _mm256_loadu_si256((const __m256i *)ql), l1 = _mm256_loadu_si256((const __m256i *)(ql + 32));
            __m256i h = _mm256_loadu_si256((const __m256i *)qh);
            __m256i parts[4] = {
                _mm256_or_si256(_mm256_and_si256(l0, low), _mm256_slli_epi16(_mm256_and_si256(h, two), 4)),
                _mm256_or_si256(_mm256_and_si256(l1, low), _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 2), two), 4)),
                _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), low), _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 4), two), 4)),
                _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), low), _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 6), two), 4)),
            };
            for (int p = 0; p < 4; p++) {
                __m256i q = _mm256_sub_epi8(parts[p], bias);
                __m512 s0 = _mm512_set1_ps(d * (float)sc[2 * p]), s1 = _mm512_set1_ps(d * (float)sc[2 * p + 1]);
                _mm512_storeu_ps(y + 32 * p, _mm512_mul_ps(s0, i8_to_ps(_mm256_castsi256_si128(q))));
                _mm512_storeu_ps(y + 32 * p + 16, _mm512_mul_ps(s1, i8_to_ps(_mm256_extracti128_si256(q, 1))));
            }
        }
    }
}

AVX512 static void avx512_f16(const uint8_t *src, float *dst, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(dst + i, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(src + 2 * i))));
    for (; i < n; i++) dst[i] = half_at(src + 2 * i);
}

AVX512 static void avx512_bf16(const uint8_t *src, float *dst, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512i w = _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(src + 2 * i)));
        _mm512_storeu_ps(dst + i, _mm512_castsi512_ps(_mm512_slli_epi32(w, 16)));
    }
    for (; i < n; i++) dst[i] = bits_to_float((uint32_t)load_u16(src + 2 * i) << 16);
}

AVX512 static void avx512_i8(const uint8_t *src, float *dst, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(dst + i, i8_to_ps(_mm_loadu_si128((const __m128i *)(src + i))));
    for (; i < n; i++) dst[i] = (float)(int8_t)src[i];
}

static int dequantize_avx512(int type, const uint8_t *src, float *dst, size_t n) {
    switch (type) {
    case MMSSR_GGML_F16: avx512_f16(src, dst, n); return 1;
    case MMSSR_GGML_BF16: avx512_bf16(src, dst, n); return 1;
    case MMSSR_GGML_I8: avx512_i8(src, dst, n); return 1;
    case MMSSR_GGML_Q4_0: avx512_q4_0(src, dst, n / QK); return 1;
    case MMSSR_GGML_Q4_1: avx512_q4_1(src, dst, n / QK); return 1;
    case MMSSR_GGML_Q5_0: avx512_q5_0(src, dst, n / QK); return 1;
    case MMSSR_GGML_Q5_1: avx512_q5_1(src, dst, n / QK); return 1;
    case MMSSR_GGML_Q8_0: avx512_q8_0(src, dst, n / QK); return 1;
    case MMSSR_GGML_Q4_K: avx512_q4_k(src, dst, n / QK_K); return 1;
    case MMSSR_GGML_Q5_K: avx512_q5_k(src, dst, n / QK_K); return 1;
    case MMSSR_GGML_Q6_K: avx512_q6_k(src, dst, n / QK_K); return 1;
    default: return 0; // F32 is a copy; Q2_K and Q3_K are rare enough for the scalar code
    }
}
#endif

// MARK: - Entry points

int mmssr_ggml_dequant_supported(int kernel) {
    switch (kernel) {
    case MMSSR_DK_SCALAR: return 1;
#if defined(__x86_64__)
    case MMSSR_DK_AVX512:
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("f16c");
#endif
    default: return 0;
    }
}

int mmssr_ggml_dequant_best_kernel(void) {
    return mmssr_ggml_dequant_supported(MMSSR_DK_AVX512) ? MMSSR_DK_AVX512 : MMSSR_DK_SCALAR;
}

int mmssr_ggml_dequantize(int kernel, int type, const void *src, float *dst, size_t n) {
    size_t block = block_values(type);
    if (block == 0 || n % block != 0 || !mmssr_ggml_dequant_supported(kernel)) return -1;
#if defined(__x86_64__)
    if (kernel == MMSSR_DK_AVX512 && dequantize_avx512(type, src, dst, n)) return 0;
#endif
    dequantize_scalar(type, src, dst, n);
    return 0;
}
