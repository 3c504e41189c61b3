// Row ops of the language model (see mmssr_lm.h): portable C, cloned per instruction set like ops_f32.c
// (SiLU * up lives there, beside GELU, to share its vectorisable exp).

#include <math.h>
#include <stdint.h>
#include "mmssr_lm.h"

#if defined(__x86_64__) && defined(__clang__)
#define MMSSR_CLONES __attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))
#else
#define MMSSR_CLONES
#endif

MMSSR_CLONES
void mmssr_rmsnorm(const float *x, size_t x_stride, const float *weight, size_t rows, size_t dim, float eps,
                   float *out, size_t out_stride) {
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x + r * x_stride;
        float *o = out + r * out_stride;
        // Eight partial sums: a fixed order the compiler can vectorise (one sum would serialise the adds).
        float part[8] = {0};
        size_t c = 0;
        for (; c + 8 <= dim; c += 8)
            for (int l = 0; l < 8; l++) part[l] += xr[c + l] * xr[c + l];
        float sum = 0.0f;
        for (int l = 0; l < 8; l++) sum += part[l];
        for (; c < dim; c++) sum += xr[c] * xr[c];
        const float inv = 1.0f / sqrtf(sum / (float)dim + eps);
        for (c = 0; c < dim; c++) o[c] = weight[c] * (xr[c] * inv);
    }
}

void mmssr_rope_inv_freq(float theta, size_t head_dim, float *inv_freq) {
    // transformers: 1.0 / (base ** (arange(0, dim, 2).float() / dim)), every step in fp32.
    for (size_t i = 0; i < head_dim / 2; i++) {
        const float exponent = (float)(2 * i) / (float)head_dim;
        inv_freq[i] = 1.0f / powf(theta, exponent);
    }
}

MMSSR_CLONES
void mmssr_rope_neox(float *x, size_t stride, size_t rows, size_t heads, size_t head_dim, const int32_t *pos,
                     const float *inv_freq) {
    const size_t half = head_dim / 2;
    float cosv[half > 0 ? half : 1], sinv[half > 0 ? half : 1];
    for (size_t r = 0; r < rows; r++) {
        const float p = (float)pos[r];
        for (size_t i = 0; i < half; i++) {
            const float angle = p * inv_freq[i];
            cosv[i] = cosf(angle);
            sinv[i] = sinf(angle);
        }
        for (size_t h = 0; h < heads; h++) {
            float *v = x + r * stride + h * head_dim;
            for (size_t i = 0; i < half; i++) {
                const float a = v[i], b = v[i + half];
                v[i] = a * cosv[i] - b * sinv[i];
                v[i + half] = b * cosv[i] + a * sinv[i];
            }
        }
    }
}
