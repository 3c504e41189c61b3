// Fused attention of one (sequence, head): see mmssr_attention.h. A scalar kernel (the reference, and what
// non-x86 builds run) and an AVX-512F kernel chosen at run time.

#include "mmssr_attention.h"

#include <math.h>
#include <string.h>

// Query rows per block of the AVX-512 kernel: three vectors, and divisible by every P v tile height below.
#define AT_BLOCK 48
// Key rows per q k^T tile.
#define AT_KEYS 8

static size_t round_up(size_t n, size_t m) { return (n + m - 1) / m * m; }

size_t mmssr_attention_scratch_floats(size_t len, size_t head_dim) {
    // AVX-512: k^T [head_dim][keys], v [len][head_dim], the block's q^T [head_dim][AT_BLOCK],
    // scores [keys][AT_BLOCK], 1/sums. The scalar kernel's one row of len scores fits in the scores part.
    const size_t keys = round_up(len, AT_KEYS);
    return head_dim * keys + len * head_dim + head_dim * AT_BLOCK + keys * AT_BLOCK + AT_BLOCK;
}

// Row by row, in the order of the definition: scores, max, exp, sum, then the weighted sum of v.
static void attention_scalar(const float *q, const float *k, const float *v, size_t stride, size_t len, size_t d,
                             float scale, float *out, size_t out_stride, float *scores) {
    for (size_t i = 0; i < len; i++) {
        const float *qi = q + i * stride;
        float max = -INFINITY;
        for (size_t j = 0; j < len; j++) {
            const float *kj = k + j * stride;
            float dot = 0.0f;
            for (size_t c = 0; c < d; c++) dot += qi[c] * kj[c];
            scores[j] = scale * dot;
            max = fmaxf(max, scores[j]);
        }
        float sum = 0.0f;
        for (size_t j = 0; j < len; j++) {
            scores[j] = expf(scores[j] - max);
            sum += scores[j];
        }
        float *oi = out + i * out_stride;
        for (size_t c = 0; c < d; c++) oi[c] = 0.0f;
        // j outer so the inner loop runs along contiguous v and out.
        for (size_t j = 0; j < len; j++) {
            const float *vj = v + j * stride;
            for (size_t c = 0; c < d; c++) oi[c] += scores[j] * vj[c];
        }
        const float inv = 1.0f / sum;
        for (size_t c = 0; c < d; c++) oi[c] *= inv;
    }
}

#if defined(__x86_64__)
#include <immintrin.h>

// Block of AT_BLOCK query rows at a time. Scores are kept transposed, s[key][row], so that
//  - q k^T tiles broadcast k^T entries and load q^T vectors, both at constant offsets from one pointer;
//  - the softmax over keys is a vertical reduction: 16 rows per vector, no horizontal reduce;
//  - P v tiles broadcast s[j][row..row+mr) at constant offsets, next to one another.
// Everything a block touches (k^T, s, the v rows) stays in L1/L2, never a len x len matrix.

#define AVX512_TARGET __attribute__((target("avx512f")))
#define AVX512_INLINE static inline __attribute__((always_inline)) AVX512_TARGET
// The tiles index arrays of vectors in loops with constant trip counts: unrolled fully they are registers,
// otherwise the compiler keeps them on the stack (measured: d=32 ran at half speed, P v from memory).
#define UNROLL _Pragma("GCC unroll 32")

// exp(x) for x <= 0 (scores minus their max): 2^k * p(r) as mmssr_expf, with the 2^k applied by vscalefps.
// The clamp keeps -inf or huge negative gaps finite (exp underflows to ~0 there anyway).
AVX512_INLINE __m512 exp512(__m512 x) {
    x = _mm512_max_ps(x, _mm512_set1_ps(-87.3f));
    const __m512 k = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                          _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(k, _mm512_set1_ps(0.693145751953125f), x);
    r = _mm512_fnmadd_ps(k, _mm512_set1_ps(1.428606765330187045e-06f), r);
    __m512 p = _mm512_set1_ps(1.0f / 720.0f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(p, k);
}

// s[j0 + m][0 .. 16 nv) = scale * k_{j0+m} . q_row for m < AT_KEYS: 8 x nv accumulators over head_dim.
AVX512_INLINE void qk_tile(const float *kt, size_t keys, const float *qt, size_t d, size_t j0, int nv, float scale,
                           float *s) {
    __m512 acc[AT_KEYS][3];
    UNROLL
    for (int m = 0; m < AT_KEYS; m++)
        UNROLL
        for (int u = 0; u < 3; u++) acc[m][u] = _mm512_setzero_ps();
    for (size_t c = 0; c < d; c++) {
        const float *kc = kt + c * keys + j0;
        __m512 b[3];
        UNROLL
        for (int u = 0; u < nv; u++) b[u] = _mm512_loadu_ps(qt + c * AT_BLOCK + 16 * u);
        UNROLL
        for (int m = 0; m < AT_KEYS; m++) {
            const __m512 a = _mm512_set1_ps(kc[m]);
            UNROLL
            for (int u = 0; u < nv; u++) acc[m][u] = _mm512_fmadd_ps(a, b[u], acc[m][u]);
        }
    }
    const __m512 vs = _mm512_set1_ps(scale);
    UNROLL
    for (int m = 0; m < AT_KEYS; m++)
        UNROLL
        for (int u = 0; u < nv; u++) _mm512_storeu_ps(s + (j0 + m) * AT_BLOCK + 16 * u, _mm512_mul_ps(acc[m][u], vs));
}

// Softmax over keys of each of the block's 16 nv rows: s becomes exp(s - max), inv gets 1 / sum.
AVX512_INLINE void softmax_columns(float *s, size_t len, int nv, float *inv) {
    __m512 mx[3], sum[3];
    UNROLL
    for (int u = 0; u < nv; u++) mx[u] = _mm512_set1_ps(-INFINITY), sum[u] = _mm512_setzero_ps();
    for (size_t j = 0; j < len; j++)
        UNROLL
        for (int u = 0; u < nv; u++) mx[u] = _mm512_max_ps(mx[u], _mm512_loadu_ps(s + j * AT_BLOCK + 16 * u));
    for (size_t j = 0; j < len; j++)
        UNROLL
        for (int u = 0; u < nv; u++) {
            const __m512 e = exp512(_mm512_sub_ps(_mm512_loadu_ps(s + j * AT_BLOCK + 16 * u), mx[u]));
            _mm512_storeu_ps(s + j * AT_BLOCK + 16 * u, e);
            sum[u] = _mm512_add_ps(sum[u], e);
        }
    UNROLL
    for (int u = 0; u < nv; u++) _mm512_storeu_ps(inv + 16 * u, _mm512_div_ps(_mm512_set1_ps(1.0f), sum[u]));
}

// out rows r0 .. r0+mr (those below `rows`), columns 16 nvd from v: mr x nvd accumulators (24 in all) over keys.
AVX512_INLINE void pv_tile(const float *s, const float *inv, size_t r0, int mr, size_t rows, const float *v,
                           size_t stride, size_t len, int nvd, float *out, size_t out_stride) {
    __m512 acc[24];
    UNROLL
    for (int a = 0; a < mr * nvd; a++) acc[a] = _mm512_setzero_ps();
    for (size_t j = 0; j < len; j++) {
        const float *vj = v + j * stride;
        const float *pj = s + j * AT_BLOCK + r0;
        __m512 b[4];
        UNROLL
        for (int u = 0; u < nvd; u++) b[u] = _mm512_loadu_ps(vj + 16 * u);
        UNROLL
        for (int m = 0; m < mr; m++) {
            const __m512 a = _mm512_set1_ps(pj[m]);
            UNROLL
            for (int u = 0; u < nvd; u++) acc[m * nvd + u] = _mm512_fmadd_ps(a, b[u], acc[m * nvd + u]);
        }
    }
    UNROLL
    for (int m = 0; m < mr; m++) {
        if (r0 + (size_t)m >= rows) break;
        const __m512 w = _mm512_set1_ps(inv[r0 + m]);
        UNROLL
        for (int u = 0; u < nvd; u++)
            _mm512_storeu_ps(out + (r0 + m) * out_stride + 16 * u, _mm512_mul_ps(acc[m * nvd + u], w));
    }
}

// The tile loops with nv / nvd as compile-time constants, so the accumulator arrays live in registers.
AVX512_INLINE void qk_block(const float *kt, size_t keys, const float *qt, size_t d, int nv, float scale, float *s) {
    for (size_t j0 = 0; j0 < keys; j0 += AT_KEYS) qk_tile(kt, keys, qt, d, j0, nv, scale, s);
}

AVX512_INLINE void pv_block(const float *s, const float *inv, int mr, size_t rows, const float *v, size_t stride,
                            size_t len, int nvd, float *out, size_t out_stride) {
    for (size_t r0 = 0; r0 < rows; r0 += (size_t)mr) pv_tile(s, inv, r0, mr, rows, v, stride, len, nvd, out, out_stride);
}

AVX512_TARGET static void attention_avx512(const float *q, const float *k, const float *v, size_t stride, size_t len,
                                           size_t d, float scale, float *out, size_t out_stride, float *scratch) {
    const size_t keys = round_up(len, AT_KEYS);
    float *kt = scratch, *vp = kt + d * keys, *qt = vp + len * d, *s = qt + d * AT_BLOCK, *inv = s + keys * AT_BLOCK;
    // k^T once per (sequence, head), zero-padded to whole tiles of keys.
    for (size_t j = 0; j < keys; j++)
        for (size_t c = 0; c < d; c++) kt[c * keys + j] = j < len ? k[j * stride + c] : 0.0f;
    // v packed once: every P v tile streams all of v, and in the projection its rows are a page apart
    // (ViT: 4.6 KB), which costs a TLB miss per row; packed, 257 x 64 floats span 17 pages.
    for (size_t j = 0; j < len; j++) memcpy(vp + j * d, v + j * stride, d * sizeof(float));
    for (size_t i0 = 0; i0 < len; i0 += AT_BLOCK) {
        const size_t rows = len - i0 < AT_BLOCK ? len - i0 : AT_BLOCK;
        const int nv = (int)((rows + 15) / 16);
        // The block's q^T; rows past the sequence are zero (their scores are computed, never used).
        for (size_t c = 0; c < d; c++)
            for (size_t r = 0; r < (size_t)nv * 16; r++) qt[c * AT_BLOCK + r] = r < rows ? q[(i0 + r) * stride + c] : 0.0f;
        switch (nv) {
        case 1: qk_block(kt, keys, qt, d, 1, scale, s); softmax_columns(s, len, 1, inv); break;
        case 2: qk_block(kt, keys, qt, d, 2, scale, s); softmax_columns(s, len, 2, inv); break;
        default: qk_block(kt, keys, qt, d, 3, scale, s); softmax_columns(s, len, 3, inv); break;
        }
        // The last P v tile may read past the block's rows up to its height: keep those weights defined.
        if (nv < 3)
            for (size_t j = 0; j < len; j++) memset(s + j * AT_BLOCK + nv * 16, 0, (AT_BLOCK - (size_t)nv * 16) * sizeof(float));
        // Head columns 64 at a time; tile heights keep 24 accumulators and divide AT_BLOCK.
        for (size_t d0 = 0; d0 < d; d0 += 64) {
            const float *vd = vp + d0;
            float *od = out + i0 * out_stride + d0;
            switch ((d - d0) / 16) {
            case 1: pv_block(s, inv, 24, rows, vd, d, len, 1, od, out_stride); break;
            case 2: pv_block(s, inv, 12, rows, vd, d, len, 2, od, out_stride); break;
            case 3: pv_block(s, inv, 8, rows, vd, d, len, 3, od, out_stride); break;
            default: pv_block(s, inv, 6, rows, vd, d, len, 4, od, out_stride); break;
            }
        }
    }
}
#endif

int mmssr_attention_supported(int kernel) {
    switch (kernel) {
    case MMSSR_AK_SCALAR: return 1;
#if defined(__x86_64__)
    case MMSSR_AK_AVX512: return __builtin_cpu_supports("avx512f");
#endif
    default: return 0;
    }
}

int mmssr_attention_best_kernel(void) {
    return mmssr_attention_supported(MMSSR_AK_AVX512) ? MMSSR_AK_AVX512 : MMSSR_AK_SCALAR;
}

void mmssr_attention_head(int kernel, const float *q, const float *k, const float *v, size_t stride, size_t len,
                          size_t head_dim, float scale, float *out, size_t out_stride, float *scratch) {
    if (len == 0) return;
#if defined(__x86_64__)
    if (kernel == MMSSR_AK_AVX512 && head_dim % 16 == 0) {
        attention_avx512(q, k, v, stride, len, head_dim, scale, out, out_stride, scratch);
        return;
    }
#endif
    (void)kernel;
    attention_scalar(q, k, v, stride, len, head_dim, scale, out, out_stride, scratch);
}
