#ifndef MMSSR_QGEMM_INTERNAL_H
#define MMSSR_QGEMM_INTERNAL_H

// Shared by the qgemm_*.c files only: per-kernel entry points behind the dispatch in qgemm_dispatch.c.

#include <math.h>
#include <stddef.h>
#include <stdint.h>

static inline size_t qgemm_round_up(size_t x, size_t to) { return (x + to - 1) / to * to; }

// The per-row quantisation parameters every kernel uses, so all kernels see the same integers.
static inline void qgemm_row_params(float absmax, float *inv, float *scale) {
    if (absmax > 0.0f && isfinite(absmax)) {
        *inv = 127.0f / absmax;
        *scale = absmax / 127.0f;
    } else {
        *inv = 0.0f;
        *scale = 0.0f;
    }
}

// Input channel k is multiplied by col_scale[k] (when not NULL) before anything else: the SmoothQuant
// division, fused here so it costs no pass of its own. One IEEE multiply, so every kernel sees the same value.
static inline float qgemm_scaled(const float *x, const float *col_scale, int k) {
    return col_scale ? x[k] * col_scale[k] : x[k];
}

// One element: the scalar definition the SIMD quantisers reproduce (rint under the default rounding
// mode is round-half-even, as vcvtps2dq is).
static inline int32_t qgemm_quantize_one(float x, float inv) {
    float r = nearbyintf(x * inv);
    if (r > 127.0f) r = 127.0f;
    if (r < -127.0f) r = -127.0f;
    return (int32_t)r;
}

float qgemm_absmax_scalar(const float *x, const float *col_scale, int n);

// Epilogue arguments of one compute call, and the input rows to pull into L2 meanwhile.
typedef struct {
    int n;                 // true column count (row stride of the outputs)
    const float *a_scale;  // per row
    const float *w_scale;  // per column
    const float *bias;     // per column or NULL
    float *out;            // fp32 result, used when out_i32 is NULL
    int32_t *out_i32;      // exact integer result
    // While the first column panel runs, row r of the call (counted from m_lo) prefetches fp32 row
    // r of next_x (row stride kdim), for r < next_rows: the rows the caller quantises next.
    const float *next_x;
    int next_rows;
} qgemm_epilogue;

size_t qgemm_scalar_packed_size(int n, int kdim);
void qgemm_scalar_pack(const int8_t *w, int n, int kdim, void *dst);
size_t qgemm_scalar_act_row_bytes(int kdim);
void qgemm_scalar_quantize(const float *x, const float *col_scale, int kdim, int m_lo, int m_hi, void *qa, float *a_scale);
void qgemm_scalar_compute(const void *packed, const void *qa, int kdim, int m_lo, int m_hi, int n_lo, int n_hi,
                          const qgemm_epilogue *ep);

#if defined(__x86_64__)
enum { QGEMM_AVX2_MR = 6, QGEMM_AVX2_NR = 16, QGEMM_VNNI_MR = 6, QGEMM_VNNI_NR = 64, QGEMM_VNNI_MC = 48 };
enum { QGEMM_AMX_MR = 32 };

size_t qgemm_avx2_packed_size(int n, int kdim);
void qgemm_avx2_pack(const int8_t *w, int n, int kdim, void *dst);
size_t qgemm_avx2_act_row_bytes(int kdim);
void qgemm_avx2_quantize(const float *x, const float *col_scale, int kdim, int m_lo, int m_hi, void *qa, float *a_scale);
void qgemm_avx2_compute(const void *packed, const void *qa, int kdim, int m_lo, int m_hi, int n_lo, int n_hi,
                        const qgemm_epilogue *ep);

// The u8 x s8 layout of the VNNI and AMX kernels (see qgemm_vnni.c): activations u8 = q + 128 with row
// stride kp, weights in panels of QGEMM_VNNI_NR columns [kp/4][width][4] after a column-sum header.
static inline size_t qgemm_u8_npad(int n) { return qgemm_round_up((size_t)n, 16); }
static inline size_t qgemm_u8_header(int n) { return qgemm_round_up(qgemm_u8_npad(n) * sizeof(int32_t), 64); }
size_t qgemm_u8_packed_size(int n, int kdim, int kalign);
void qgemm_u8_pack(const int8_t *w, int n, int kdim, int kalign, void *dst);
void qgemm_u8_quantize(const float *x, const float *col_scale, int kdim, size_t kp, int m_lo, int m_hi, void *qa,
                       float *a_scale);

size_t qgemm_vnni_packed_size(int n, int kdim);
void qgemm_vnni_pack(const int8_t *w, int n, int kdim, void *dst);
size_t qgemm_vnni_act_row_bytes(int kdim);
void qgemm_vnni_quantize(const float *x, const float *col_scale, int kdim, int m_lo, int m_hi, void *qa, float *a_scale);
void qgemm_vnni_compute(const void *packed, const void *qa, int kdim, int m_lo, int m_hi, int n_lo, int n_hi,
                        const qgemm_epilogue *ep);

int qgemm_amx_supported(void);
size_t qgemm_amx_packed_size(int n, int kdim);
void qgemm_amx_pack(const int8_t *w, int n, int kdim, void *dst);
size_t qgemm_amx_act_row_bytes(int kdim);
int qgemm_amx_pass_rows(int kdim);
void qgemm_amx_quantize(const float *x, const float *col_scale, int kdim, int m_lo, int m_hi, void *qa, float *a_scale);
void qgemm_amx_compute(const void *packed, const void *qa, int kdim, int m_lo, int m_hi, int n_lo, int n_hi,
                       const qgemm_epilogue *ep);
#endif

#endif
