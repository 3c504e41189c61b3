// Causal grouped-query attention over a KV cache in two spans (see mmssr_lm.h). A scalar kernel (the
// reference arithmetic, and what non-x86 builds run), an AVX-512F kernel and the AVX2 core of
// attention_avx2.c, both tested against it.

#include "mmssr_lm.h"
#include "attention_avx2.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

// Query rows (row, head pairs of one KV group) per block of the AVX-512 kernel, and keys per step.
#define LA_ROWS 8
#define LA_KEYS 16

static size_t round_up(size_t n, size_t m) { return (n + m - 1) / m * m; }

size_t mmssr_lm_attention_scratch_floats(size_t n_q, size_t group_heads, size_t keys, size_t head_dim) {
    // AVX-512: the group's k^T [head_dim][keys16], one block's accumulators, maxima and sums. AVX2: the same
    // k^T and its core's work. Scalar: one row of scores.
    (void)n_q;
    (void)group_heads;
    const size_t avx512 = head_dim * round_up(keys, LA_KEYS) + LA_ROWS * head_dim + 2 * LA_ROWS + LA_ROWS * LA_KEYS;
    const size_t avx2 = head_dim * round_up(keys, AVX2_KEYS) + mmssr_avx2_work_floats(head_dim);
    const size_t simd = avx512 > avx2 ? avx512 : avx2;
    return simd > keys ? simd : keys;
}

// Key row j of the concatenation (prefix, own): its keys and values for KV head g.
static inline const float *key_row(const mmssr_kv_span *prefix, const mmssr_kv_span *own, size_t j, size_t g,
                                   size_t d, int values) {
    const mmssr_kv_span *span = j < prefix->len ? prefix : own;
    const size_t t = j < prefix->len ? j : j - prefix->len;
    return (values ? span->v : span->k) + t * span->stride + g * d;
}

// Row by row, in the order of the definition: scores, max, exp, sum, then the weighted sum of v.
static void attention_scalar(const float *q, size_t q_stride, size_t n_q, size_t n_heads, size_t n_kv_heads,
                             size_t d, const mmssr_kv_span *prefix, const mmssr_kv_span *own, size_t own_first,
                             float scale, size_t group_lo, size_t group_hi, float *out, size_t out_stride,
                             float *scores) {
    const size_t per_group = n_heads / n_kv_heads;
    for (size_t i = 0; i < n_q; i++) {
        const size_t keys = prefix->len + own_first + i + 1;
        for (size_t h = group_lo * per_group; h < group_hi * per_group; h++) {
            const size_t g = h / per_group;
            const float *qi = q + i * q_stride + h * d;
            float max = -INFINITY;
            for (size_t j = 0; j < keys; j++) {
                const float *kj = key_row(prefix, own, j, g, d, 0);
                float dot = 0.0f;
                for (size_t c = 0; c < d; c++) dot += qi[c] * kj[c];
                scores[j] = scale * dot;
                max = fmaxf(max, scores[j]);
            }
            float sum = 0.0f;
            for (size_t j = 0; j < keys; j++) {
                scores[j] = expf(scores[j] - max);
                sum += scores[j];
            }
            float *oi = out + i * out_stride + h * d;
            for (size_t c = 0; c < d; c++) oi[c] = 0.0f;
            for (size_t j = 0; j < keys; j++) {
                const float *vj = key_row(prefix, own, j, g, d, 1);
                for (size_t c = 0; c < d; c++) oi[c] += scores[j] * vj[c];
            }
            const float inv = 1.0f / sum;
            for (size_t c = 0; c < d; c++) oi[c] *= inv;
        }
    }
}

#if defined(__x86_64__)
#include "avx512_exp.h"

// The group's keys transposed, kt[c][j] (row length keys16, zero past the last key): a q k^T step then
// loads one vector of 16 keys per dimension and multiplies it into all LA_ROWS rows of the block.
AVX512_TARGET static void transpose_keys(const mmssr_kv_span *prefix, const mmssr_kv_span *own, size_t keys,
                                         size_t g, size_t d, float *kt, size_t keys16) {
    for (size_t j = 0; j < keys; j++) {
        const float *kj = key_row(prefix, own, j, g, d, 0);
        for (size_t c = 0; c < d; c++) kt[c * keys16 + j] = kj[c];
    }
    for (size_t c = 0; c < d; c++)
        for (size_t j = keys; j < keys16; j++) kt[c * keys16 + j] = 0.0f;
}

AVX512_INLINE float hmax(__m512 x) { return _mm512_reduce_max_ps(x); }
AVX512_INLINE float hsum(__m512 x) { return _mm512_reduce_add_ps(x); }

// One block of up to LA_ROWS query rows (rows[r] points at the row's query vector, limit[r] = keys it sees)
// against keys [0, max(limit)) in steps of 16 with an online softmax; outputs normalised into dst[r].
AVX512_TARGET static void attend_block(const float *const *rows, const size_t *limit, int nrows,
                                       const mmssr_kv_span *prefix, const mmssr_kv_span *own, size_t g, size_t d,
                                       float scale, const float *kt, size_t keys16, float *const *dst,
                                       float *acc, float *p) {
    float m[LA_ROWS], l[LA_ROWS];
    size_t end = 0;
    for (int r = 0; r < nrows; r++) {
        m[r] = -INFINITY;
        l[r] = 0.0f;
        end = limit[r] > end ? limit[r] : end;
        memset(acc + r * d, 0, d * sizeof(float));
    }
    const size_t nv = d / 16;
    for (size_t j0 = 0; j0 < end; j0 += LA_KEYS) {
        __m512 s[LA_ROWS];
        for (int r = 0; r < LA_ROWS; r++) s[r] = _mm512_setzero_ps();
        const float *ktj = kt + j0;
        for (size_t c = 0; c < d; c++) {
            const __m512 kv = _mm512_loadu_ps(ktj + c * keys16);
            _Pragma("GCC unroll 8")
            for (int r = 0; r < LA_ROWS; r++)
                if (r < nrows) s[r] = _mm512_fmadd_ps(_mm512_set1_ps(rows[r][c]), kv, s[r]);
        }
        const size_t nkeys = end - j0 < LA_KEYS ? end - j0 : LA_KEYS;
        for (int r = 0; r < nrows; r++) {
            if (j0 >= limit[r]) {
                memset(p + r * LA_KEYS, 0, LA_KEYS * sizeof(float));
                continue;
            }
            const size_t visible = limit[r] - j0 < LA_KEYS ? limit[r] - j0 : LA_KEYS;
            const __mmask16 mask = (__mmask16)((1u << visible) - 1u);
            const __m512 x = _mm512_mask_mov_ps(_mm512_set1_ps(-INFINITY), mask, _mm512_mul_ps(s[r], _mm512_set1_ps(scale)));
            const float mnew = fmaxf(m[r], hmax(x));
            const __m512 e = _mm512_maskz_mov_ps(mask, exp512(_mm512_sub_ps(x, _mm512_set1_ps(mnew))));
            const float corr = m[r] == -INFINITY ? 0.0f : expf(m[r] - mnew);
            l[r] = l[r] * corr + hsum(e);
            m[r] = mnew;
            _mm512_storeu_ps(p + r * LA_KEYS, e);
            if (corr != 1.0f) {
                const __m512 cv = _mm512_set1_ps(corr);
                for (size_t u = 0; u < nv; u++)
                    _mm512_storeu_ps(acc + r * d + 16 * u, _mm512_mul_ps(cv, _mm512_loadu_ps(acc + r * d + 16 * u)));
            }
        }
        // acc[r] += sum_j p[r][j] v_j: each v row is loaded once per step and used for every row.
        for (size_t u = 0; u < nv; u++) {
            __m512 a[LA_ROWS];
            for (int r = 0; r < LA_ROWS; r++) a[r] = r < nrows ? _mm512_loadu_ps(acc + r * d + 16 * u) : _mm512_setzero_ps();
            for (size_t jj = 0; jj < nkeys; jj++) {
                const __m512 vv = _mm512_loadu_ps(key_row(prefix, own, j0 + jj, g, d, 1) + 16 * u);
                _Pragma("GCC unroll 8")
                for (int r = 0; r < LA_ROWS; r++)
                    if (r < nrows) a[r] = _mm512_fmadd_ps(_mm512_set1_ps(p[r * LA_KEYS + jj]), vv, a[r]);
            }
            for (int r = 0; r < nrows; r++) _mm512_storeu_ps(acc + r * d + 16 * u, a[r]);
        }
    }
    for (int r = 0; r < nrows; r++) {
        const __m512 inv = _mm512_set1_ps(1.0f / l[r]);
        for (size_t u = 0; u < nv; u++)
            _mm512_storeu_ps(dst[r] + 16 * u, _mm512_mul_ps(inv, _mm512_loadu_ps(acc + r * d + 16 * u)));
    }
}

AVX512_TARGET static void attention_avx512(const float *q, size_t q_stride, size_t n_q, size_t n_heads,
                                           size_t n_kv_heads, size_t d, const mmssr_kv_span *prefix,
                                           const mmssr_kv_span *own, size_t own_first, float scale,
                                           size_t group_lo, size_t group_hi, float *out, size_t out_stride,
                                           float *scratch) {
    const size_t per_group = n_heads / n_kv_heads;
    const size_t keys = prefix->len + own_first + n_q;
    const size_t keys16 = round_up(keys, LA_KEYS);
    float *kt = scratch, *acc = kt + d * keys16, *p = acc + LA_ROWS * d;
    for (size_t g = group_lo; g < group_hi; g++) {
        transpose_keys(prefix, own, keys, g, d, kt, keys16);
        // Rows ordered (query row, head): a block's rows then see nearly the same number of keys.
        const size_t total = n_q * per_group;
        for (size_t b = 0; b < total; b += LA_ROWS) {
            const float *rows[LA_ROWS];
            float *dst[LA_ROWS];
            size_t limit[LA_ROWS];
            const int nrows = (int)(total - b < LA_ROWS ? total - b : LA_ROWS);
            for (int r = 0; r < nrows; r++) {
                const size_t i = (b + r) / per_group, h = g * per_group + (b + r) % per_group;
                rows[r] = q + i * q_stride + h * d;
                dst[r] = out + i * out_stride + h * d;
                limit[r] = prefix->len + own_first + i + 1;
            }
            attend_block(rows, limit, nrows, prefix, own, g, d, scale, kt, keys16, dst, acc, p);
        }
    }
}

// Per KV group: its keys transposed once (prefix, then own rows), then tiles of AVX2_TILE (row, head) pairs,
// ordered as in attention_avx512 so a block's rows see nearly the same number of keys.
static void attention_avx2(const float *q, size_t q_stride, size_t n_q, size_t n_heads, size_t n_kv_heads, size_t d,
                           const mmssr_kv_span *prefix, const mmssr_kv_span *own, size_t own_first, float scale,
                           size_t group_lo, size_t group_hi, float *out, size_t out_stride, float *scratch) {
    const size_t per_group = n_heads / n_kv_heads;
    const size_t keys = prefix->len + own_first + n_q;
    const size_t keys16 = round_up(keys, AVX2_KEYS);
    float *kt = scratch, *work = kt + d * keys16;
    for (size_t g = group_lo; g < group_hi; g++) {
        if (prefix->len) mmssr_avx2_transpose_keys(prefix->k + g * d, prefix->stride, prefix->len, d, kt, keys16, 0);
        mmssr_avx2_transpose_keys(own->k + g * d, own->stride, own_first + n_q, d, kt, keys16, prefix->len);
        mmssr_avx2_pad_keys(kt, keys16, keys, d);
        const mmssr_avx2_head head = {kt, keys16, prefix->len ? prefix->v + g * d : NULL, own->v + g * d, prefix->len,
                                      prefix->stride, own->stride, d, scale};
        const size_t total = n_q * per_group;
        for (size_t b = 0; b < total; b += AVX2_TILE) {
            const float *rows[AVX2_TILE];
            float *dst[AVX2_TILE];
            size_t limit[AVX2_TILE];
            const int nrows = (int)(total - b < AVX2_TILE ? total - b : AVX2_TILE);
            for (int r = 0; r < nrows; r++) {
                const size_t i = (b + r) / per_group, h = g * per_group + (b + r) % per_group;
                rows[r] = q + i * q_stride + h * d;
                dst[r] = out + i * out_stride + h * d;
                limit[r] = prefix->len + own_first + i + 1;
            }
            mmssr_avx2_attend(&head, rows, limit, nrows, dst, work);
        }
    }
}
#endif

int mmssr_lm_attention_supported(int kernel) {
    switch (kernel) {
    case MMSSR_LK_SCALAR: return 1;
#if defined(__x86_64__)
    case MMSSR_LK_AVX512: return __builtin_cpu_supports("avx512f");
    case MMSSR_LK_AVX2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
    default: return 0;
    }
}

int mmssr_lm_attention_best_kernel(void) {
    if (mmssr_lm_attention_supported(MMSSR_LK_AVX512)) return MMSSR_LK_AVX512;
    return mmssr_lm_attention_supported(MMSSR_LK_AVX2) ? MMSSR_LK_AVX2 : MMSSR_LK_SCALAR;
}

void mmssr_causal_attention(int kernel, const float *q, size_t q_stride, size_t n_q, size_t n_heads,
                            size_t n_kv_heads, size_t head_dim, mmssr_kv_span prefix, mmssr_kv_span own,
                            size_t own_first, float scale, size_t group_lo, size_t group_hi, float *out,
                            size_t out_stride, float *scratch) {
    if (n_q == 0 || n_kv_heads == 0 || n_heads % n_kv_heads != 0) return;
#if defined(__x86_64__)
    // The SIMD kernels run head dims of whole 16-float vectors; others take the scalar kernel.
    if (kernel == MMSSR_LK_AVX512 && head_dim % 16 == 0 && mmssr_lm_attention_supported(MMSSR_LK_AVX512)) {
        attention_avx512(q, q_stride, n_q, n_heads, n_kv_heads, head_dim, &prefix, &own, own_first, scale, group_lo,
                         group_hi, out, out_stride, scratch);
        return;
    }
    if (kernel == MMSSR_LK_AVX2 && head_dim % 16 == 0 && mmssr_lm_attention_supported(MMSSR_LK_AVX2)) {
        attention_avx2(q, q_stride, n_q, n_heads, n_kv_heads, head_dim, &prefix, &own, own_first, scale, group_lo,
                       group_hi, out, out_stride, scratch);
        return;
    }
#endif
    (void)kernel;
    attention_scalar(q, q_stride, n_q, n_heads, n_kv_heads, head_dim, &prefix, &own, own_first, scale, group_lo,
                     group_hi, out, out_stride, scratch);
}
