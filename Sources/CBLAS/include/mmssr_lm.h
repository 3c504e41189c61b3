#ifndef MMSSR_LM_H
#define MMSSR_LM_H

// Kernels of the decoder-only language model (Qwen2). The row ops (RMSNorm, rotary embedding in the
// rotate-half form, SiLU(gate) * up) are portable C cloned per instruction set, like mmssr_ops.h. Causal
// grouped-query attention has a scalar kernel (the reference arithmetic) and AVX-512 and AVX2 kernels tested
// against it; its keys come in two spans: a shared prefix every query sees whole, then the query's own
// sequence, seen causally, so N continuations of one prefix run as one batch over one cached prefix.

#include <stddef.h>
#include <stdint.h>

/// out[r] = x[r] / sqrt(mean(x[r]^2) + eps) * weight, rows of width dim (row strides in floats; out may be x).
void mmssr_rmsnorm(const float *x, size_t x_stride, const float *weight, size_t rows, size_t dim, float eps,
                   float *out, size_t out_stride);

/// inv_freq[i] = 1 / theta^(2i / head_dim) for i < head_dim / 2, in fp32 as transformers computes it.
void mmssr_rope_inv_freq(float theta, size_t head_dim, float *inv_freq);

/// Rotary embedding, rotate-half form, in place: row r, head h at x + r * stride + h * head_dim, i < half:
/// angle = fp32(pos[r] * inv_freq[i]); (x_i, x_{i+half}) <- (x_i cos - x_{i+half} sin, x_{i+half} cos + x_i sin).
void mmssr_rope_neox(float *x, size_t stride, size_t rows, size_t heads, size_t head_dim, const int32_t *pos,
                     const float *inv_freq);

/// out = silu(gate) * up = gate / (1 + exp(-gate)) * up, rows of width n (strides in floats; out may be gate).
void mmssr_silu_mul(const float *gate, size_t gate_stride, const float *up, size_t up_stride, size_t rows,
                    size_t n, float *out, size_t out_stride);

enum {
    MMSSR_LK_SCALAR = 0,  // portable C, the reference arithmetic
    MMSSR_LK_AVX512 = 1,  // AVX-512F: 16 keys per step against a group's query rows, online softmax
    MMSSR_LK_AVX2 = 2,    // AVX2 + FMA: 6 query rows x 16 keys per step, online softmax (attention_avx2.h)
};

/// 1 if this CPU (and this build) can run attention kernel `kernel`.
int mmssr_lm_attention_supported(int kernel);

/// The fastest supported attention kernel.
int mmssr_lm_attention_best_kernel(void);

/// Keys and values of one span of a KV cache: row t's keys at k + t * stride, KV head g's head_dim floats at
/// k + t * stride + g * head_dim (likewise v).
typedef struct {
    const float *k, *v;
    size_t stride;
    size_t len;
} mmssr_kv_span;

/// Causal grouped-query attention for n_q query rows of one sequence and KV heads [group_lo, group_hi)
/// (each with its n_heads / n_kv_heads query heads). Query row i (head h at q + i * q_stride + h * head_dim)
/// attends to every row of `prefix` (len may be 0) and to rows [0, own_first + i] of `own`, through KV head
/// h / (n_heads / n_kv_heads). Softmax in fp32 over scale * q . k; out row i head h at out + i * out_stride +
/// h * head_dim. `scratch`: mmssr_lm_attention_scratch_floats(n_q, n_heads / n_kv_heads, keys, head_dim)
/// floats with keys = prefix.len + own.len, one per concurrent call.
void mmssr_causal_attention(int kernel, const float *q, size_t q_stride, size_t n_q, size_t n_heads,
                            size_t n_kv_heads, size_t head_dim, mmssr_kv_span prefix, mmssr_kv_span own,
                            size_t own_first, float scale, size_t group_lo, size_t group_hi, float *out,
                            size_t out_stride, float *scratch);

size_t mmssr_lm_attention_scratch_floats(size_t n_q, size_t group_heads, size_t keys, size_t head_dim);

#endif
