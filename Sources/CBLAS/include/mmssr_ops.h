#ifndef MMSSR_OPS_H
#define MMSSR_OPS_H
#include <stddef.h>

// Row-wise fp32 ops of a transformer forward. Portable C that the compiler vectorises; each function is
// cloned for AVX-512 / AVX2 / baseline and the loader picks the widest the CPU supports.

// Stable softmax of each row of x[rows][cols], in place.
void mmssr_softmax_rows(float *x, size_t rows, size_t cols);

// LayerNorm of each row of x[rows][cols] into out (may alias x): (x - mean) / sqrt(var + eps) * w + b.
void mmssr_layernorm_rows(const float *x, float *out, size_t rows, size_t cols,
                          const float *w, const float *b, float eps);

// GELU in place. erf form: x * Phi(x) (PyTorch's default, DINOv2 and BERT); tanh form: the approximation.
void mmssr_gelu_erf(float *x, size_t n);
void mmssr_gelu_tanh(float *x, size_t n);

// Vectorisable expf (Cody-Waite reduction, degree-6 polynomial; max relative error ~2e-7 on [-87, 88]).
float mmssr_expf(float x);

#endif
