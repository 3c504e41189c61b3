#include <math.h>
#include <stdint.h>
#include <string.h>
#include "mmssr_ops.h"
#include "mmssr_lm.h"

#if defined(__x86_64__) && defined(__clang__)
#define MMSSR_CLONES __attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))
#else
#define MMSSR_CLONES
#endif

// exp via 2^k * p(r): r = x - k ln2 in two parts (Cody-Waite), p a minimax degree-6 polynomial.
static inline float expf_inline(float x) {
    x = fminf(fmaxf(x, -87.3f), 88.3f);
    float k = floorf(x * 1.44269504088896341f + 0.5f);
    float r = x - k * 0.693145751953125f;
    r = r - k * 1.428606765330187045e-06f;
    float p = 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    int32_t bits = ((int32_t)k + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

float mmssr_expf(float x) { return expf_inline(x); }

MMSSR_CLONES
void mmssr_softmax_rows(float *x, size_t rows, size_t cols) {
    for (size_t r = 0; r < rows; r++) {
        float *row = x + r * cols;
        float m = -INFINITY;
        for (size_t j = 0; j < cols; j++) m = fmaxf(m, row[j]);
        float sum = 0.0f;
        for (size_t j = 0; j < cols; j++) {
            float e = expf_inline(row[j] - m);
            row[j] = e;
            sum += e;
        }
        float inv = 1.0f / sum;
        for (size_t j = 0; j < cols; j++) row[j] *= inv;
    }
}

// Sums in 16 independent lanes (one zmm, two ymm) combined in a fixed order: a single running sum is a
// serial chain of adds the compiler may not reorder, which made LayerNorm latency-bound.
enum { LN_LANES = 16 };

static inline float lane_total(const float lanes[LN_LANES]) {
    float t = 0.0f;
    for (int l = 0; l < LN_LANES; l++) t += lanes[l];
    return t;
}

MMSSR_CLONES
void mmssr_layernorm_rows(const float *x, float *out, size_t rows, size_t cols,
                          const float *w, const float *b, float eps) {
    const size_t body = cols / LN_LANES * LN_LANES;
    for (size_t r = 0; r < rows; r++) {
        const float *in = x + r * cols;
        float *o = out + r * cols;
        float lanes[LN_LANES] = {0};
        for (size_t j = 0; j < body; j += LN_LANES)
            for (int l = 0; l < LN_LANES; l++) lanes[l] += in[j + l];
        float sum = lane_total(lanes);
        for (size_t j = body; j < cols; j++) sum += in[j];
        const float mean = sum / (float)cols;
        for (int l = 0; l < LN_LANES; l++) lanes[l] = 0.0f;
        for (size_t j = 0; j < body; j += LN_LANES)
            for (int l = 0; l < LN_LANES; l++) {
                const float d = in[j + l] - mean;
                lanes[l] += d * d;
            }
        float var = lane_total(lanes);
        for (size_t j = body; j < cols; j++) {
            const float d = in[j] - mean;
            var += d * d;
        }
        const float inv = 1.0f / sqrtf(var / (float)cols + eps);
        for (size_t j = 0; j < cols; j++) o[j] = (in[j] - mean) * inv * w[j] + b[j];
    }
}

// erfc(z) for z >= 0 with fractional error < 1.2e-7 (Numerical Recipes' Chebyshev fit), so that
// GELU keeps its relative accuracy in the negative tail where 1 + erf(x) cancels.
static inline float erfc_nonneg(float z) {
    float t = 1.0f / (1.0f + 0.5f * z);
    float p = 0.17087277f;
    p = p * t - 0.82215223f;
    p = p * t + 1.48851587f;
    p = p * t - 1.13520398f;
    p = p * t + 0.27886807f;
    p = p * t - 0.18628806f;
    p = p * t + 0.09678418f;
    p = p * t + 0.37409196f;
    p = p * t + 1.00002368f;
    p = p * t - 1.26551223f;
    return t * expf_inline(-z * z + p);
}

MMSSR_CLONES
void mmssr_gelu_erf(float *x, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        float half_erfc = 0.5f * erfc_nonneg(fabsf(v) * 0.70710678118654752f);
        float phi = v >= 0.0f ? 1.0f - half_erfc : half_erfc;
        x[i] = v * phi;
    }
}

MMSSR_CLONES
void mmssr_gelu_tanh(float *x, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        float u = 0.7978845608028654f * (v + 0.044715f * v * v * v);
        // 0.5 (1 + tanh(u)) = sigmoid(2u): no cancellation in the negative tail.
        x[i] = v / (1.0f + expf_inline(-2.0f * u));
    }
}

MMSSR_CLONES
void mmssr_silu_mul(const float *gate, size_t gate_stride, const float *up, size_t up_stride, size_t rows,
                    size_t n, float *out, size_t out_stride) {
    for (size_t r = 0; r < rows; r++) {
        const float *g = gate + r * gate_stride, *u = up + r * up_stride;
        float *o = out + r * out_stride;
        for (size_t i = 0; i < n; i++) o[i] = g[i] / (1.0f + expf_inline(-g[i])) * u[i];
    }
}
