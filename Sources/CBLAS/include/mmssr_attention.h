#ifndef MMSSR_ATTENTION_H
#define MMSSR_ATTENTION_H

// Fused scaled dot-product attention of one (sequence, head): out[i, :] = sum_j softmax_j(scale * q_i . k_j) v_j,
// fp32 throughout, without materialising the len x len score matrix outside a small row block.
//
// q, k and v point at the first row of the head's columns inside a packed projection: row i of q is
// q + i * stride (head_dim floats), likewise k and v. Row i of the result goes to out + i * out_stride.

#include <stddef.h>

enum {
    MMSSR_AK_SCALAR = 0,  // portable C, the reference arithmetic (libm expf, row by row)
    MMSSR_AK_AVX512 = 1,  // AVX-512F: register-blocked q k^T and P v, polynomial exp
};

/// 1 if this CPU (and this build) can run kernel `kernel`.
int mmssr_attention_supported(int kernel);

/// The fastest supported kernel.
int mmssr_attention_best_kernel(void);

/// Floats of scratch `mmssr_attention_head` needs for sequences of up to `len` tokens (any kernel).
size_t mmssr_attention_scratch_floats(size_t len, size_t head_dim);

/// One (sequence, head). `scratch` holds mmssr_attention_scratch_floats(len, head_dim) floats (no alignment
/// required) and must not be shared between concurrent calls. The AVX-512 kernel runs head dims that are
/// multiples of 16 and falls back to the scalar kernel for others. len 0 writes nothing.
void mmssr_attention_head(int kernel, const float *q, const float *k, const float *v, size_t stride, size_t len,
                          size_t head_dim, float scale, float *out, size_t out_stride, float *scratch);

#endif
