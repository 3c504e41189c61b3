#ifndef MMSSR_LM_H
#define MMSSR_LM_H

// Kernels of the decoder-only language model (Qwen2): RMSNorm, rotary embedding in the rotate-half (NeoX)
// form, SiLU(gate) * up, and causal grouped-query attention over a KV cache whose keys come in two spans (a
// shared prefix every query sees whole, then the query's own sequence, seen causally). Each has a scalar
// twin (kernel 0) that defines the arithmetic; the SIMD kernels are tested against it.

#include <stddef.h>
#include <stdint.h>

enum {
    MMSSR_LK_SCALAR = 0,  // portable C, the reference arithmetic
    MMSSR_LK_AVX512 = 1,  // AVX-512F
};

/// 1 if this CPU (and this build) can run LM kernel `kernel`.
int mmssr_lm_supported(int kernel);

/// The fastest supported LM kernel.
int mmssr_lm_best_kernel(void);

/// out[r] = x[r] / sqrt(mean(x[r]^2) + eps) * weight, for rows [0, rows) of width dim (row strides in
/// floats). out may equal x.
void mmssr_rmsnorm(int kernel, const float *x, size_t x_stride, const float *weight, size_t rows, size_t dim,
                   float eps, float *out, size_t out_stride);

/// Rotary embedding, rotate-half form, in place: for each row r, each of `heads` heads of head_dim floats
/// (head h at x + r * stride + h * head_dim) and i < head_dim / 2, with angle = pos[r] * theta^(-2i/head_dim):
/// (x_i, x_{i+half}) <- (x_i cos - x_{i+half} sin, x_{i+half} cos + x_i sin). Angles as transformers computes
/// them (inv_freq in fp32, then pos * inv_freq in fp32, then cos/sin).
void mmssr_rope_neox(int kernel, float *x, size_t stride, size_t rows, size_t heads, size_t head_dim,
                     const int32_t *pos, float theta);

/// out[i] = silu(gate[i]) * up[i] = gate[i] / (1 + exp(-gate[i])) * up[i], for rows of width n (strides in
/// floats; out may equal gate).
void mmssr_silu_mul(int kernel, const float *gate, size_t gate_stride, const float *up, size_t up_stride,
                    size_t rows, size_t n, float *out, size_t out_stride);

/// Keys and values of one span of a KV cache: row t's keys at k + t * stride, KV head g's head_dim floats at
/// k + t * stride + g * head_dim (likewise v).
typedef struct {
    const float *k, *v;
    size_t stride;
    size_t len;
} mmssr_kv_span;

/// Causal grouped-query attention for n_q query rows of one sequence and query heads [head_lo, head_hi).
/// Query row i (head h at q + i * q_stride + h * head_dim) attends to every row of `prefix` (len may be 0)
/// and to rows [0, own_first + i] of `own`, with KV head h / (n_heads / n_kv_heads). Softmax in fp32 over
/// scale * q . k; out row i head h at out + i * out_stride + h * head_dim. `scratch` holds
/// mmssr_causal_attention_scratch_floats(prefix.len + own.len) floats, one per concurrent call.
void mmssr_causal_attention(int kernel, const float *q, size_t q_stride, size_t n_q, size_t n_heads,
                            size_t n_kv_heads, size_t head_dim, mmssr_kv_span prefix, mmssr_kv_span own,
                            size_t own_first, float scale, size_t head_lo, size_t head_hi, float *out,
                            size_t out_stride, float *scratch);

size_t mmssr_causal_attention_scratch_floats(size_t keys);

#endif
