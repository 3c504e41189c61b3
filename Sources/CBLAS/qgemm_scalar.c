// The portable kernel. It defines the arithmetic the SIMD kernels must reproduce exactly: activations
// quantised by qgemm_quantize_one, weights as given, int32 sums in plain k order (exact, so order is free).

#include "qgemm_internal.h"

#include <string.h>

float qgemm_absmax_scalar(const float *x, const float *col_scale, int n) {
    float m = 0.0f;
    for (int i = 0; i < n; i++) {
        float a = fabsf(qgemm_scaled(x, col_scale, i));
        if (a > m) m = a;
    }
    return m;
}

size_t qgemm_scalar_packed_size(int n, int kdim) { return (size_t)n * (size_t)kdim; }

void qgemm_scalar_pack(const int8_t *w, int n, int kdim, void *dst) {
    memcpy(dst, w, (size_t)n * (size_t)kdim);
}

size_t qgemm_scalar_act_row_bytes(int kdim) { return (size_t)kdim; }

void qgemm_scalar_quantize(const float *x, const float *col_scale, int kdim, int m_lo, int m_hi, void *qa, float *a_scale) {
    for (int m = m_lo; m < m_hi; m++) {
        const float *row = x + (size_t)m * kdim;
        int8_t *q = (int8_t *)qa + (size_t)m * kdim;
        float inv;
        qgemm_row_params(qgemm_absmax_scalar(row, col_scale, kdim), &inv, &a_scale[m]);
        for (int k = 0; k < kdim; k++) q[k] = (int8_t)qgemm_quantize_one(qgemm_scaled(row, col_scale, k), inv);
    }
}

void qgemm_scalar_compute(const void *packed, const void *qa, int kdim, int m_lo, int m_hi, int n_lo, int n_hi,
                          const qgemm_epilogue *ep) {
    const int8_t *w = packed;
    for (int m = m_lo; m < m_hi; m++) {
        const int8_t *a = (const int8_t *)qa + (size_t)m * kdim;
        for (int n = n_lo; n < n_hi; n++) {
            const int8_t *b = w + (size_t)n * kdim;
            int32_t acc = 0;
            for (int k = 0; k < kdim; k++) acc += (int32_t)a[k] * (int32_t)b[k];
            size_t o = (size_t)m * ep->n + n;
            if (ep->out_i32) {
                ep->out_i32[o] = acc;
            } else {
                float bias = ep->bias ? ep->bias[n] : 0.0f;
                ep->out[o] = (float)acc * (ep->a_scale[m] * ep->w_scale[n]) + bias;
            }
        }
    }
}
