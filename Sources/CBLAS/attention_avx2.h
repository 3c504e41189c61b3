#ifndef MMSSR_ATTENTION_AVX2_H
#define MMSSR_ATTENTION_AVX2_H

// The AVX2 + FMA attention core shared by the encoders' attention (attention.c) and the language model's
// causal attention (lm_attention.c): blocks of query rows against one head's keys with an online softmax
// (flash-attention style), so no row ever holds more than 16 scores. Internal to the C layer; x86-64 only.

#include <stddef.h>

// Query rows per block: 6 rows x 2 vectors of 8 keys are 12 of the 16 ymm registers in q k^T and in P v.
#define AVX2_ROWS 6
// Keys per online-softmax step.
#define AVX2_KEYS 16
// Query rows per call (whole blocks), and keys per chunk that all of a call's blocks take in turn.
#define AVX2_TILE 48
#define AVX2_CHUNK 32
// How far a score may exceed the online softmax's reference max before the reference moves (e^8 ~ 3000).
#define AVX2_LAZY_MAX 8.0f

// One head's keys and values. Keys transposed: key j's dimension c at kt[c * kt_stride + j] for j below
// the keys rounded up to AVX2_KEYS (zero past the last). Values in two spans: row j at v0 + j * v0_stride for
// j < v_split, else at v1 + (j - v_split) * v1_stride (the language model's shared prefix, then its own rows).
typedef struct {
    const float *kt;
    size_t kt_stride;
    const float *v0, *v1;
    size_t v_split, v0_stride, v1_stride;
    size_t head_dim;  // a multiple of 16
    float scale;
} mmssr_avx2_head;

/// Floats of `work` one mmssr_avx2_attend call needs.
size_t mmssr_avx2_work_floats(size_t head_dim);

/// kt[c * kt_stride + j0 + r] = k[r * stride + c] for rows r < n and c < d (d a multiple of 8); nothing
/// else of kt is written.
void mmssr_avx2_transpose_keys(const float *k, size_t stride, size_t n, size_t d, float *kt, size_t kt_stride,
                               size_t j0);

/// Zero kt's columns [keys, round_up(keys, AVX2_KEYS)) in each of its d rows.
void mmssr_avx2_pad_keys(float *kt, size_t kt_stride, size_t keys, size_t d);

/// Up to AVX2_TILE query rows: row r (head_dim floats at q[r]) sees keys [0, limit[r]) (limit[r] >= 1) of
/// `head` and writes softmax(scale q k^T) v to out[r].
void mmssr_avx2_attend(const mmssr_avx2_head *head, const float *const *q, const size_t *limit, int nrows,
                       float *const *out, float *work);

#endif
