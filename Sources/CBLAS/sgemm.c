#include <math.h>
#include <string.h>
#include "mmssr_sgemm.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

enum { P = MMSSR_SG_PANEL, ROWS = 6 };

int mmssr_sgemm_available(int kernel) {
    switch (kernel) {
    case MMSSR_SG_SCALAR: return 1;
#if defined(__x86_64__)
    case MMSSR_SG_AVX2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case MMSSR_SG_AVX512: return __builtin_cpu_supports("avx512f");
#endif
    default: return 0;
    }
}

int mmssr_sgemm_best(void) {
    static int best = -2;
    if (best == -2)
        best = mmssr_sgemm_available(MMSSR_SG_AVX512) ? MMSSR_SG_AVX512
             : mmssr_sgemm_available(MMSSR_SG_AVX2)   ? MMSSR_SG_AVX2
                                                      : MMSSR_SG_SCALAR;
    return best;
}

size_t mmssr_sgemm_packed_count(size_t n, size_t k) { return (n + P - 1) / P * P * k; }

void mmssr_sgemm_pack(const float *w, int out_in, size_t n, size_t k, float *packed) {
    const size_t panels = (n + P - 1) / P;
    for (size_t p = 0; p < panels; p++)
        for (size_t kk = 0; kk < k; kk++)
            for (size_t c = 0; c < P; c++) {
                const size_t j = p * P + c;
                packed[(p * k + kk) * P + c] = j < n ? (out_in ? w[j * k + kk] : w[kk * n + j]) : 0.0f;
            }
}

// The reference every kernel must equal: one fmaf chain per output (fmaf rounds once, as vfmadd does). It is
// the fast path on Arm (fmaf is one instruction there, and the 16-column loop vectorises); on an x86 CPU without
// FMA (older than Haswell) fmaf is a libm routine: slow, but the same bits as everywhere else.
static void sgemm_scalar(const float *x, size_t m, size_t ldx, size_t k, const float *packed, size_t n,
                         size_t p0, size_t p1, const float *bias, float *y, size_t ldy) {
    for (size_t p = p0; p < p1; p++) {
        const float *panel = packed + p * k * P;
        const size_t cols = n - p * P < P ? n - p * P : P;
        for (size_t i = 0; i < m; i++) {
            float acc[P] = {0};
            const float *row = x + i * ldx;
            for (size_t kk = 0; kk < k; kk++)
                for (size_t c = 0; c < P; c++) acc[c] = fmaf(row[kk], panel[kk * P + c], acc[c]);
            for (size_t c = 0; c < cols; c++) y[i * ldy + p * P + c] = bias ? acc[c] + bias[p * P + c] : acc[c];
        }
    }
}

#if defined(__x86_64__)
// Tiles of up to ROWS rows by two panels (2 zmm per row, 12 accumulators); `rows` is a constant in each
// inlined copy so the accumulators stay in registers.
#define AVX512 __attribute__((target("avx512f"), always_inline)) static inline
AVX512 void tile512(const float *x, size_t ldx, size_t k, const float *w0, const float *w1, int two, int rows,
                    __m512 acc[ROWS][2]) {
    for (int r = 0; r < rows; r++) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
    for (size_t kk = 0; kk < k; kk++) {
        const __m512 a = _mm512_loadu_ps(w0 + kk * P);
        const __m512 b = two ? _mm512_loadu_ps(w1 + kk * P) : a;
        for (int r = 0; r < rows; r++) {
            const __m512 xv = _mm512_set1_ps(x[r * ldx + kk]);
            acc[r][0] = _mm512_fmadd_ps(xv, a, acc[r][0]);
            if (two) acc[r][1] = _mm512_fmadd_ps(xv, b, acc[r][1]);
        }
    }
}

AVX512 void store512(float *y, __m512 v, const float *bias, __mmask16 mask) {
    if (bias) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mask, bias));
    _mm512_mask_storeu_ps(y, mask, v);
}

#define TILE512(R)                                                                                         \
    case R: {                                                                                              \
        __m512 acc[ROWS][2];                                                                               \
        if (two) tile512(xs, ldx, k, w0, w0 + k * P, 1, R, acc);                                           \
        else tile512(xs, ldx, k, w0, w0, 0, R, acc);                                                       \
        for (int r = 0; r < R; r++) {                                                                      \
            store512(y + (i + r) * ldy + p * P, acc[r][0], bias ? bias + p * P : NULL, m0);                \
            if (two) store512(y + (i + r) * ldy + (p + 1) * P, acc[r][1], bias ? bias + (p + 1) * P : NULL, m1); \
        }                                                                                                  \
        break;                                                                                             \
    }

__attribute__((target("avx512f")))
static void sgemm_avx512(const float *x, size_t m, size_t ldx, size_t k, const float *packed, size_t n,
                         size_t p0, size_t p1, const float *bias, float *y, size_t ldy) {
    for (size_t p = p0; p < p1; p += 2) {
        const int two = p + 1 < p1;
        const float *w0 = packed + p * k * P;
        const size_t left0 = n - p * P, left1 = two ? n - (p + 1) * P : 0;
        const __mmask16 m0 = left0 >= P ? 0xFFFF : (__mmask16)((1u << left0) - 1);
        const __mmask16 m1 = left1 >= P ? 0xFFFF : (__mmask16)((1u << left1) - 1);
        for (size_t i = 0; i < m; i += ROWS) {
            const float *xs = x + i * ldx;
            switch (m - i < ROWS ? (int)(m - i) : ROWS) {
                TILE512(1) TILE512(2) TILE512(3) TILE512(4) TILE512(5) TILE512(6)
            }
        }
    }
}

// Tiles of up to ROWS rows by one panel (2 ymm per row, 12 accumulators).
#define AVX2 __attribute__((target("avx2,fma"), always_inline)) static inline
AVX2 void tile256(const float *x, size_t ldx, size_t k, const float *w, int rows, __m256 acc[ROWS][2]) {
    for (int r = 0; r < rows; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
    for (size_t kk = 0; kk < k; kk++) {
        const __m256 a = _mm256_loadu_ps(w + kk * P), b = _mm256_loadu_ps(w + kk * P + 8);
        for (int r = 0; r < rows; r++) {
            const __m256 xv = _mm256_broadcast_ss(x + r * ldx + kk);
            acc[r][0] = _mm256_fmadd_ps(xv, a, acc[r][0]);
            acc[r][1] = _mm256_fmadd_ps(xv, b, acc[r][1]);
        }
    }
}

#define TILE256(R)                                                                                         \
    case R: {                                                                                              \
        __m256 acc[ROWS][2];                                                                               \
        tile256(xs, ldx, k, w, R, acc);                                                                    \
        for (int r = 0; r < R; r++) {                                                                      \
            float *out = y + (i + r) * ldy + p * P;                                                        \
            if (full) {                                                                                    \
                __m256 lo = acc[r][0], hi = acc[r][1];                                                     \
                if (bias) {                                                                                \
                    lo = _mm256_add_ps(lo, _mm256_loadu_ps(bias + p * P));                                 \
                    hi = _mm256_add_ps(hi, _mm256_loadu_ps(bias + p * P + 8));                             \
                }                                                                                          \
                _mm256_storeu_ps(out, lo);                                                                 \
                _mm256_storeu_ps(out + 8, hi);                                                             \
            } else {                                                                                       \
                float tmp[P];                                                                              \
                _mm256_storeu_ps(tmp, acc[r][0]);                                                          \
                _mm256_storeu_ps(tmp + 8, acc[r][1]);                                                      \
                for (size_t c = 0; c < cols; c++) out[c] = bias ? tmp[c] + bias[p * P + c] : tmp[c];       \
            }                                                                                              \
        }                                                                                                  \
        break;                                                                                             \
    }

__attribute__((target("avx2,fma")))
static void sgemm_avx2(const float *x, size_t m, size_t ldx, size_t k, const float *packed, size_t n,
                       size_t p0, size_t p1, const float *bias, float *y, size_t ldy) {
    for (size_t p = p0; p < p1; p++) {
        const float *w = packed + p * k * P;
        const size_t cols = n - p * P < P ? n - p * P : P;
        const int full = cols == P;
        for (size_t i = 0; i < m; i += ROWS) {
            const float *xs = x + i * ldx;
            switch (m - i < ROWS ? (int)(m - i) : ROWS) {
                TILE256(1) TILE256(2) TILE256(3) TILE256(4) TILE256(5) TILE256(6)
            }
        }
    }
}
#endif

void mmssr_sgemm(int kernel, const float *x, size_t m, size_t ldx, size_t k, const float *packed, size_t n,
                 size_t panel_begin, size_t panel_end, const float *bias, float *y, size_t ldy) {
    if (kernel == MMSSR_SG_AUTO || !mmssr_sgemm_available(kernel)) kernel = mmssr_sgemm_best();
    const size_t panels = (n + P - 1) / P;
    if (panel_end > panels) panel_end = panels;
    if (panel_begin >= panel_end || m == 0) return;
#if defined(__x86_64__)
    if (kernel == MMSSR_SG_AVX512) return sgemm_avx512(x, m, ldx, k, packed, n, panel_begin, panel_end, bias, y, ldy);
    if (kernel == MMSSR_SG_AVX2) return sgemm_avx2(x, m, ldx, k, packed, n, panel_begin, panel_end, bias, y, ldy);
#endif
    sgemm_scalar(x, m, ldx, k, packed, n, panel_begin, panel_end, bias, y, ldy);
}
