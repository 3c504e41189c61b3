// AVX2 kernel. vpmaddubsw would add two u8 x s8 products in saturating int16 (255 * 127 * 2 > 32767), so
// it could not equal the scalar sums. Instead both operands are widened to int16 (activations at
// quantisation, weights at packing) and vpmaddwd adds pairs of products straight into int32: exact for
// every int8 input, at half the multiplies per instruction of the byte form.
//
// Packed weight layout: column panels of up to 16 columns, each [kp/2][width][2] int16 so one 32-byte
// load gives 8 columns x 2 consecutive k. Register block: 6 rows x 16 columns = 12 ymm accumulators.

#include "qgemm_internal.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>

#define AVX2_TARGET __attribute__((target("avx2,fma")))

static size_t avx2_kp(int kdim) { return qgemm_round_up((size_t)kdim, 2); }
static size_t avx2_npad(int n) { return qgemm_round_up((size_t)n, 8); }

size_t qgemm_avx2_packed_size(int n, int kdim) { return avx2_npad(n) * avx2_kp(kdim) * sizeof(int16_t); }

size_t qgemm_avx2_act_row_bytes(int kdim) { return avx2_kp(kdim) * sizeof(int16_t); }

void qgemm_avx2_pack(const int8_t *w, int n, int kdim, void *dst) {
    size_t kp = avx2_kp(kdim), npad = avx2_npad(n);
    int16_t *out = dst;
    memset(dst, 0, qgemm_avx2_packed_size(n, kdim));
    for (size_t c = 0; c < (size_t)n; c++) {
        size_t n0 = c / QGEMM_AVX2_NR * QGEMM_AVX2_NR;
        size_t width = npad - n0 < QGEMM_AVX2_NR ? npad - n0 : QGEMM_AVX2_NR;
        int16_t *panel = out + n0 * kp;
        for (size_t k = 0; k < (size_t)kdim; k++) panel[(k / 2) * width * 2 + (c - n0) * 2 + k % 2] = w[c * kdim + k];
    }
}

// Eight inputs times their channel scales (see qgemm_scaled).
static inline __attribute__((always_inline)) AVX2_TARGET __m256 avx2_load_scaled(const float *x, const float *s, int k) {
    const __m256 v = _mm256_loadu_ps(x + k);
    return s ? _mm256_mul_ps(v, _mm256_loadu_ps(s + k)) : v;
}

// Four accumulators hide vmaxps latency.
AVX2_TARGET static float avx2_absmax(const float *x, const float *s, int n) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    __m256 m0 = _mm256_setzero_ps(), m1 = m0, m2 = m0, m3 = m0;
    int k = 0;
    for (; k + 32 <= n; k += 32) {
        m0 = _mm256_max_ps(m0, _mm256_andnot_ps(sign, avx2_load_scaled(x, s, k)));
        m1 = _mm256_max_ps(m1, _mm256_andnot_ps(sign, avx2_load_scaled(x, s, k + 8)));
        m2 = _mm256_max_ps(m2, _mm256_andnot_ps(sign, avx2_load_scaled(x, s, k + 16)));
        m3 = _mm256_max_ps(m3, _mm256_andnot_ps(sign, avx2_load_scaled(x, s, k + 24)));
    }
    for (; k + 8 <= n; k += 8) m0 = _mm256_max_ps(m0, _mm256_andnot_ps(sign, avx2_load_scaled(x, s, k)));
    __m256 m = _mm256_max_ps(_mm256_max_ps(m0, m1), _mm256_max_ps(m2, m3));
    __m128 h = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
    h = _mm_max_ps(h, _mm_movehl_ps(h, h));
    h = _mm_max_ss(h, _mm_shuffle_ps(h, h, 1));
    float r = _mm_cvtss_f32(h);
    float t = qgemm_absmax_scalar(x + k, s ? s + k : NULL, n - k);
    return t > r ? t : r;
}

AVX2_TARGET void qgemm_avx2_quantize(const float *x, const float *col_scale, int kdim, int m_lo, int m_hi, void *qa, float *a_scale) {
    size_t kp = avx2_kp(kdim);
    const __m256i lo = _mm256_set1_epi32(-127), hi = _mm256_set1_epi32(127);
    for (int m = m_lo; m < m_hi; m++) {
        const float *row = x + (size_t)m * kdim;
        int16_t *q = (int16_t *)qa + (size_t)m * kp;
        float inv;
        qgemm_row_params(avx2_absmax(row, col_scale, kdim), &inv, &a_scale[m]);
        const __m256 vinv = _mm256_set1_ps(inv);
        int k = 0;
        for (; k + 8 <= kdim; k += 8) {
            __m256i v = _mm256_cvtps_epi32(_mm256_mul_ps(avx2_load_scaled(row, col_scale, k), vinv));
            v = _mm256_min_epi32(_mm256_max_epi32(v, lo), hi);
            v = _mm256_permute4x64_epi64(_mm256_packs_epi32(v, v), 0x08);
            _mm_storeu_si128((__m128i *)(q + k), _mm256_castsi256_si128(v));
        }
        for (; k < kdim; k++) q[k] = (int16_t)qgemm_quantize_one(qgemm_scaled(row, col_scale, k), inv);
        for (size_t p = (size_t)kdim; p < kp; p++) q[p] = 0;
    }
}

static inline __attribute__((always_inline)) AVX2_TARGET void avx2_block(
    const int mr, const int nv, const int16_t *a, size_t kp, const int16_t *panel, int width, int m0, int n0,
    const qgemm_epilogue *ep) {
    __m256i acc[QGEMM_AVX2_MR][2];
    for (int r = 0; r < mr; r++)
        for (int v = 0; v < nv; v++) acc[r][v] = _mm256_setzero_si256();
    const size_t pairs = kp / 2;
    const int16_t *b = panel;
    for (size_t p = 0; p < pairs; p++, b += (size_t)width * 2) {
        __m256i bv[2];
        for (int v = 0; v < nv; v++) bv[v] = _mm256_loadu_si256((const __m256i *)(b + v * 16));
        for (int r = 0; r < mr; r++) {
            int32_t pair;
            memcpy(&pair, a + r * kp + p * 2, 4);
            const __m256i av = _mm256_set1_epi32(pair);
            for (int v = 0; v < nv; v++) acc[r][v] = _mm256_add_epi32(acc[r][v], _mm256_madd_epi16(av, bv[v]));
        }
    }
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    for (int v = 0; v < nv; v++) {
        const int col = n0 + v * 8;
        const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(ep->n - col), lanes);
        if (ep->out_i32) {
            for (int r = 0; r < mr; r++) _mm256_maskstore_epi32(ep->out_i32 + (size_t)(m0 + r) * ep->n + col, mask, acc[r][v]);
            continue;
        }
        const __m256 ws = _mm256_maskload_ps(ep->w_scale + col, mask);
        const __m256 bias = ep->bias ? _mm256_maskload_ps(ep->bias + col, mask) : _mm256_setzero_ps();
        for (int r = 0; r < mr; r++) {
            const __m256 s = _mm256_mul_ps(ws, _mm256_set1_ps(ep->a_scale[m0 + r]));
            const __m256 f = _mm256_cvtepi32_ps(acc[r][v]);
            _mm256_maskstore_ps(ep->out + (size_t)(m0 + r) * ep->n + col, mask, _mm256_fmadd_ps(f, s, bias));
        }
    }
}

#define AVX2_ROWS(NV)                                                                                     \
    switch (mr) {                                                                                         \
    case 6: avx2_block(6, NV, a, kp, panel, width, m, n0, ep); break;                                     \
    case 5: avx2_block(5, NV, a, kp, panel, width, m, n0, ep); break;                                     \
    case 4: avx2_block(4, NV, a, kp, panel, width, m, n0, ep); break;                                     \
    case 3: avx2_block(3, NV, a, kp, panel, width, m, n0, ep); break;                                     \
    case 2: avx2_block(2, NV, a, kp, panel, width, m, n0, ep); break;                                     \
    default: avx2_block(1, NV, a, kp, panel, width, m, n0, ep); break;                                    \
    }

AVX2_TARGET void qgemm_avx2_compute(const void *packed, const void *qa, int kdim, int m_lo, int m_hi, int n_lo,
                                    int n_hi, const qgemm_epilogue *ep) {
    const size_t kp = avx2_kp(kdim);
    const int npad = (int)avx2_npad(ep->n);
    if (n_hi > npad) n_hi = npad;
    for (int n0 = n_lo; n0 < n_hi; n0 += QGEMM_AVX2_NR) {
        const int width = npad - n0 < QGEMM_AVX2_NR ? npad - n0 : QGEMM_AVX2_NR;
        const int16_t *panel = (const int16_t *)packed + (size_t)n0 * kp;
        for (int m = m_lo; m < m_hi; m += QGEMM_AVX2_MR) {
            const int mr = m_hi - m < QGEMM_AVX2_MR ? m_hi - m : QGEMM_AVX2_MR;
            const int16_t *a = (const int16_t *)qa + (size_t)m * kp;
            if (width == QGEMM_AVX2_NR) {
                AVX2_ROWS(2)
            } else {
                AVX2_ROWS(1)
            }
        }
    }
}
#endif
