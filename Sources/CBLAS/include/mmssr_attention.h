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
    // AMX-BF16 tiles for q k^T and P v, fp32 softmax: q, k, v and the softmax weights rounded to bf16.
    // Lower precision: callers pick it explicitly (int8 models); never the "best" kernel. Head dims other
    // than 32 and 64 (or no AMX) run MMSSR_AK_AVX512 or the scalar kernel.
    MMSSR_AK_AMX_BF16 = 2,
    MMSSR_AK_AVX2 = 3,    // AVX2 + FMA: the online-softmax core of attention_avx2.h (CPUs without AVX-512)
};

/// One (sequence, head) of `mmssr_attention_heads`: rows as for `mmssr_attention_head`.
typedef struct {
    const float *q, *k, *v;
    float *out;
    size_t len;
} mmssr_attention_task;

/// 1 if this CPU (and this build) can run kernel `kernel`.
int mmssr_attention_supported(int kernel);

/// The fastest supported fp32 kernel: AVX-512, else AVX2, else scalar.
int mmssr_attention_best_kernel(void);

/// Floats of scratch `mmssr_attention_head` needs for sequences of up to `len` tokens (any kernel).
size_t mmssr_attention_scratch_floats(size_t len, size_t head_dim);

/// One (sequence, head). `scratch` holds mmssr_attention_scratch_floats(len, head_dim) floats (no alignment
/// required) and must not be shared between concurrent calls. The AVX-512 and AVX2 kernels run head dims that
/// are multiples of 16 and fall back to the scalar kernel for others. len 0 writes nothing.
void mmssr_attention_head(int kernel, const float *q, const float *k, const float *v, size_t stride, size_t len,
                          size_t head_dim, float scale, float *out, size_t out_stride, float *scratch);

/// `count` heads in order, all with the same stride, head_dim, scale and out_stride, and scratch for the
/// longest. While it runs one head, the SIMD kernels prefetch the next one's q, k, v rows (into L2): in a
/// model's projection buffer those are cold and a page apart, and the packing would wait on them.
void mmssr_attention_heads(int kernel, const mmssr_attention_task *tasks, size_t count, size_t stride,
                           size_t head_dim, float scale, size_t out_stride, float *scratch);

#endif
