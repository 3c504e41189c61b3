// Fused attention of one (sequence, head): see mmssr_attention.h. A scalar kernel (the reference, and what
// non-x86 builds run), an AVX-512F kernel and the AVX2 core of attention_avx2.c chosen at run time, and an
// AMX-BF16 kernel for int8 models.

#include "mmssr_attention.h"
#include "amx.h"
#include "attention_avx2.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

// Query rows per block of the AVX-512 kernel: three vectors, and divisible by every P v tile height below.
#define AT_BLOCK 48
// Key rows per q k^T tile.
#define AT_KEYS 8

static size_t round_up(size_t n, size_t m) { return (n + m - 1) / m * m; }

size_t mmssr_attention_scratch_floats(size_t len, size_t head_dim) {
    // fp32 AVX-512: k^T [head_dim][keys16], v [len][head_dim], the block's q^T [head_dim][AT_BLOCK],
    // scores [keys16][AT_BLOCK], 1/sums. keys16: k^T is written 16 keys at a time (whole transposed tiles).
    // The scalar kernel's one row of len scores fits in the scores part.
    const size_t keys = round_up(len, 16), d = head_dim;
    const size_t f32 = d * keys + len * d + d * AT_BLOCK + keys * AT_BLOCK + AT_BLOCK;
    // AMX bf16: k in bf16 pairs, v^T in key pairs padded to 32 keys, q^T pairs, scores, 1/sums, a 16 x 16 tile.
    const size_t amx = keys * d / 2 + d * round_up(len, 32) / 2 + d / 2 * AT_BLOCK + keys * AT_BLOCK + AT_BLOCK + 256;
    // AVX2: k^T [head_dim][keys16] and its core's work.
    const size_t avx2 = d * keys + mmssr_avx2_work_floats(d);
    const size_t most = f32 > amx ? f32 : amx;
    return most > avx2 ? most : avx2;
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

#include "avx512_exp.h"
// The tiles index arrays of vectors in loops with constant trip counts: unrolled fully they are registers,
// otherwise the compiler keeps them on the stack (measured: d=32 ran at half speed, P v from memory).
#define UNROLL _Pragma("GCC unroll 32")

// In the model q, k, v rows are a projection row apart (ViT: 4.6 KB) inside a buffer of many MB that the
// GEMM has just written and mostly evicted: perf showed the packing loads of a head stalling on memory for
// ~20% of the kernel's time. So each call prefetches the next head's rows into L2, a few lines per q k^T
// tile, spread over the call so that the fill buffers never back up.
typedef struct {
    const float *base[3];   // next head's q, k, v (NULL: nothing to prefetch)
    size_t stride, rows, lines, per_tile;  // lines per row; lines per call of prefetch_some
    size_t row, part, line;  // cursor
} prefetcher;

static void prefetcher_init(prefetcher *p, const float *q, const float *k, const float *v, size_t stride,
                            size_t rows, size_t d, size_t tiles) {
    p->base[0] = q, p->base[1] = k, p->base[2] = v;
    p->stride = stride, p->rows = q ? rows : 0, p->lines = (d * sizeof(float) + 63) / 64;
    p->per_tile = tiles ? (3 * p->rows * p->lines + tiles - 1) / tiles : 0;
    p->row = p->part = p->line = 0;
}

static inline void prefetch_some(prefetcher *p) {
    for (size_t n = 0; n < p->per_tile && p->row < p->rows; n++) {
        _mm_prefetch((const char *)(p->base[p->part] + p->row * p->stride) + 64 * p->line, _MM_HINT_T1);
        if (++p->line == p->lines) {
            p->line = 0;
            if (++p->part == 3) p->part = 0, p->row++;
        }
    }
}

// dst[c * dst_stride + r] = src[r * src_stride + c] for a 16 x 16 block of 32-bit values: rows r >= rows are
// zero, columns c >= cols are not stored. Unpacks and lane shuffles (about 64 shuffles for 256 values)
// instead of scalar or scatter stores (a scatter loop was what the compiler made of the naive transpose).
AVX512_INLINE void transpose16(__m512 r[16], float *dst, size_t dst_stride, size_t cols) {
    __m512 t[16], u[16];
    UNROLL
    for (int i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);     // per 128-bit lane: a0 b0 a1 b1
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]); // a2 b2 a3 b3
    }
    // u[4g + x], lane L: rows 4g .. 4g+3 of column 4L + x.
    UNROLL
    for (int g = 0; g < 4; g++) {
        const __m512d t0 = _mm512_castps_pd(t[4 * g]), t1 = _mm512_castps_pd(t[4 * g + 1]);
        const __m512d t2 = _mm512_castps_pd(t[4 * g + 2]), t3 = _mm512_castps_pd(t[4 * g + 3]);
        u[4 * g + 0] = _mm512_castpd_ps(_mm512_unpacklo_pd(t0, t2));
        u[4 * g + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(t0, t2));
        u[4 * g + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(t1, t3));
        u[4 * g + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(t1, t3));
    }
    // Column 4L + x gathers lane L of u[x], u[4 + x], u[8 + x], u[12 + x]: a 4 x 4 transpose of lanes.
    UNROLL
    for (int x = 0; x < 4; x++) {
        const __m512 v0 = _mm512_shuffle_f32x4(u[x], u[4 + x], 0x44), v1 = _mm512_shuffle_f32x4(u[x], u[4 + x], 0xEE);
        const __m512 v2 = _mm512_shuffle_f32x4(u[8 + x], u[12 + x], 0x44), v3 = _mm512_shuffle_f32x4(u[8 + x], u[12 + x], 0xEE);
        const __m512 col[4] = {_mm512_shuffle_f32x4(v0, v2, 0x88), _mm512_shuffle_f32x4(v0, v2, 0xDD),
                               _mm512_shuffle_f32x4(v1, v3, 0x88), _mm512_shuffle_f32x4(v1, v3, 0xDD)};
        UNROLL
        for (int L = 0; L < 4; L++)
            if ((size_t)(4 * L + x) < cols) _mm512_storeu_ps(dst + (size_t)(4 * L + x) * dst_stride, col[L]);
    }
}

// dst[c * dst_stride + r] = src[r * stride + c] for r < n (rows n .. 16 of dst zero), c < d (d % 16 == 0).
AVX512_INLINE void pack_transposed(const float *src, size_t stride, size_t n, size_t d, float *dst, size_t dst_stride) {
    for (size_t c0 = 0; c0 < d; c0 += 16) {
        __m512 r[16];
        UNROLL
        for (int i = 0; i < 16; i++) r[i] = (size_t)i < n ? _mm512_loadu_ps(src + i * stride + c0) : _mm512_setzero_ps();
        transpose16(r, dst + c0 * dst_stride, dst_stride, 16);
    }
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

// Row maxima over the keys of the block's 16 nv rows.
AVX512_INLINE void column_max(const float *s, size_t len, int nv, __m512 mx[3]) {
    UNROLL
    for (int u = 0; u < nv; u++) mx[u] = _mm512_set1_ps(-INFINITY);
    for (size_t j = 0; j < len; j++)
        UNROLL
        for (int u = 0; u < nv; u++) mx[u] = _mm512_max_ps(mx[u], _mm512_loadu_ps(s + j * AT_BLOCK + 16 * u));
}

// Softmax over keys of each of the block's 16 nv rows: s becomes exp(s - max), inv gets 1 / sum.
AVX512_INLINE void softmax_columns(float *s, size_t len, int nv, float *inv) {
    __m512 mx[3], sum[3];
    column_max(s, len, nv, mx);
    UNROLL
    for (int u = 0; u < nv; u++) sum[u] = _mm512_setzero_ps();
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
AVX512_INLINE void qk_block(const float *kt, size_t keys, size_t kt_stride, const float *qt, size_t d, int nv,
                            float scale, float *s, prefetcher *pf) {
    for (size_t j0 = 0; j0 < keys; j0 += AT_KEYS) {
        prefetch_some(pf);
        qk_tile(kt, kt_stride, qt, d, j0, nv, scale, s);
    }
}

AVX512_INLINE void pv_block(const float *s, const float *inv, int mr, size_t rows, const float *v, size_t stride,
                            size_t len, int nvd, float *out, size_t out_stride) {
    for (size_t r0 = 0; r0 < rows; r0 += (size_t)mr) pv_tile(s, inv, r0, mr, rows, v, stride, len, nvd, out, out_stride);
}

AVX512_TARGET static void attention_avx512(const float *q, const float *k, const float *v, size_t stride, size_t len,
                                           size_t d, float scale, float *out, size_t out_stride, float *scratch,
                                           prefetcher *pf) {
    const size_t keys = round_up(len, AT_KEYS), kts = round_up(len, 16);
    float *kt = scratch, *vp = kt + d * kts, *qt = vp + len * d, *s = qt + d * AT_BLOCK, *inv = s + kts * AT_BLOCK;
    // k^T once per (sequence, head), zero-padded to whole tiles of keys.
    for (size_t j0 = 0; j0 < len; j0 += 16) pack_transposed(k + j0 * stride, stride, len - j0, d, kt + j0, kts);
    // v packed once: every P v tile streams all of v, and in the projection its rows are a page apart
    // (ViT: 4.6 KB), which costs a TLB miss per row; packed, 257 x 64 floats span 17 pages.
    for (size_t j = 0; j < len; j++) memcpy(vp + j * d, v + j * stride, d * sizeof(float));
    for (size_t i0 = 0; i0 < len; i0 += AT_BLOCK) {
        const size_t rows = len - i0 < AT_BLOCK ? len - i0 : AT_BLOCK;
        const int nv = (int)((rows + 15) / 16);
        // The block's q^T; rows past the sequence are zero (their scores are computed, never used).
        for (int u = 0; u < nv; u++)
            pack_transposed(q + (i0 + 16 * (size_t)u) * stride, stride, rows - 16 * (size_t)u, d, qt + 16 * u, AT_BLOCK);
        switch (nv) {
        case 1: qk_block(kt, keys, kts, qt, d, 1, scale, s, pf); softmax_columns(s, len, 1, inv); break;
        case 2: qk_block(kt, keys, kts, qt, d, 2, scale, s, pf); softmax_columns(s, len, 2, inv); break;
        default: qk_block(kt, keys, kts, qt, d, 3, scale, s, pf); softmax_columns(s, len, 3, inv); break;
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

// ---- bf16 on AMX (int8 models only) ----
//
// q k^T and P v on AMX tiles (tdpbf16ps: a 16 x 16 fp32 tile += 16 x 32 bf16 times 32 x 16 bf16, ~1.2
// TFLOP/s measured on this machine against ~0.1 for the fp32 FMA kernel), softmax in fp32 on AVX-512.
// q, k, v and the softmax weights are rounded to bf16 (8 significant bits): used only when the caller asks
// (int8 models), never as the "best" kernel. (AVX512-BF16's vdpbf16ps was tried first: on this CPU it ran
// at ~1.2 G instructions/s, slower than the fp32 FMAs it would replace.)
// The score layout stays s[key][row]: s^T = k q^T has k rows as the A operand (k row-major, as given) and
// q^T as the B operand, whose "VNNI" layout (rows of pairs (x[c], x[c+1]) per column) is the pair-transposed
// q. out^T = v^T P^T likewise takes v^T row-major as A and the softmax weights as B in pairs of keys, which
// the softmax writes directly; out^T tiles are transposed back on the way out.

#define AMX_TARGET __attribute__((target("avx512f,avx512bw,avx512bf16,amx-tile,amx-bf16")))
#define AMX_INLINE static inline __attribute__((always_inline)) AMX_TARGET

// 16-bit index that interleaves the two halves of a 32 x bf16 vector: (lo_i, hi_i) becomes 32-bit unit i.
AMX_INLINE __m512i interleave_index(void) {
    return _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8,
                            23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
}

// Units (x[r][c], x[r][c+1]) * scale of rows r < n (rows n .. 16 zero), transposed: dst[(c / 2) * dst_stride + r].
// cvtne2ps_pbh packs 32 floats of a row so that 32-bit unit i holds columns c0 + 2i, c0 + 2i + 1.
AMX_INLINE void pack_pairs_transposed(const float *src, size_t stride, size_t n, size_t d, float scale, float *dst,
                                      size_t dst_stride) {
    const __m512 vs = _mm512_set1_ps(scale);
    for (size_t c0 = 0; c0 < d; c0 += 32) {
        __m512 r[16];
        UNROLL
        for (int i = 0; i < 16; i++) {
            if ((size_t)i < n) {
                const __m512 lo = _mm512_mul_ps(_mm512_loadu_ps(src + i * stride + c0), vs);
                const __m512 hi = _mm512_mul_ps(_mm512_loadu_ps(src + i * stride + c0 + 16), vs);
                r[i] = (__m512)_mm512_cvtne2ps_pbh(hi, lo);
            } else {
                r[i] = _mm512_setzero_ps();
            }
        }
        transpose16(r, dst + c0 / 2 * dst_stride, dst_stride, 16);
    }
}

// As softmax_columns, but the weights of keys (2p, 2p+1) go to s row p as bf16 units (in place: row p is
// written after rows 2p and 2p+1 are read), and rows len/2 .. pad_pairs are zero (the P v tiles read whole
// tiles of 32 keys; the scratch there may hold anything, NaN included). A missing key 2p+1 (odd len) gets
// weight 0. The sums are of the rounded weights, which P v multiplies.
AMX_INLINE void softmax_columns_bf16(float *s, size_t len, size_t pad_pairs, int nv, float *inv) {
    __m512 mx[3], sum[3];
    column_max(s, len, nv, mx);
    UNROLL
    for (int u = 0; u < nv; u++) sum[u] = _mm512_setzero_ps();
    const __m512i idx = interleave_index(), high = _mm512_set1_epi32((int)0xFFFF0000u);
    for (size_t j = 0; j < len; j += 2) {
        UNROLL
        for (int u = 0; u < nv; u++) {
            const __m512 e0 = exp512(_mm512_sub_ps(_mm512_loadu_ps(s + j * AT_BLOCK + 16 * u), mx[u]));
            const __m512 e1 = j + 1 < len ? exp512(_mm512_sub_ps(_mm512_loadu_ps(s + (j + 1) * AT_BLOCK + 16 * u), mx[u]))
                                          : _mm512_setzero_ps();
            const __m512i w = _mm512_permutexvar_epi16(idx, (__m512i)_mm512_cvtne2ps_pbh(e1, e0));
            _mm512_storeu_si512(s + j / 2 * AT_BLOCK + 16 * u, w);
            // A bf16 is the top half of its fp32: key 2p's half shifted up, key 2p+1's masked.
            sum[u] = _mm512_add_ps(sum[u], _mm512_castsi512_ps(_mm512_slli_epi32(w, 16)));
            sum[u] = _mm512_add_ps(sum[u], _mm512_castsi512_ps(_mm512_and_si512(w, high)));
        }
    }
    for (size_t p = (len + 1) / 2; p < pad_pairs; p++) memset(s + p * AT_BLOCK, 0, AT_BLOCK * sizeof(float));
    UNROLL
    for (int u = 0; u < nv; u++) _mm512_storeu_ps(inv + 16 * u, _mm512_div_ps(_mm512_set1_ps(1.0f), sum[u]));
}

// ct accumulator tiles of 16 head columns each: d = 32 ct.
#define AMX_PV(ct)                                                                                          \
    for (int n = 0; n < nv; n++) {                                                                        \
        _tile_zero(0); _tile_zero(1);                                                                     \
        if (ct > 2) { _tile_zero(2); _tile_zero(3); }                                                     \
        for (size_t kk = 0; kk < vts / 32; kk++) {                                                        \
            _tile_loadd(4, s + kk * 16 * AT_BLOCK + 16 * n, AT_BLOCK * sizeof(float));                    \
            _tile_loadd(5, vt + 0 * 16 * vtu + kk * 16, vtu * sizeof(float)); _tile_dpbf16ps(0, 5, 4);    \
            _tile_loadd(5, vt + 1 * 16 * vtu + kk * 16, vtu * sizeof(float)); _tile_dpbf16ps(1, 5, 4);    \
            if (ct > 2) {                                                                                 \
                _tile_loadd(5, vt + 2 * 16 * vtu + kk * 16, vtu * sizeof(float)); _tile_dpbf16ps(2, 5, 4); \
                _tile_loadd(5, vt + 3 * 16 * vtu + kk * 16, vtu * sizeof(float)); _tile_dpbf16ps(3, 5, 4); \
            }                                                                                             \
        }                                                                                                 \
        _tile_stored(0, tmp + 0 * 256, 64); _tile_stored(1, tmp + 1 * 256, 64);                           \
        if (ct > 2) { _tile_stored(2, tmp + 2 * 256, 64); _tile_stored(3, tmp + 3 * 256, 64); }           \
        const size_t r0 = 16 * (size_t)n, cols = rows - r0 < 16 ? rows - r0 : 16;                         \
        const __m512 w = _mm512_loadu_ps(inv + r0);                                                       \
        for (int m = 0; m < ct; m++) {                                                                    \
            __m512 r[16];                                                                                 \
            UNROLL                                                                                        \
            for (int c = 0; c < 16; c++) r[c] = _mm512_mul_ps(_mm512_loadu_ps(tmp + m * 256 + c * 16), w); \
            transpose16(r, out + (i0 + r0) * out_stride + 16 * m, out_stride, cols);                      \
        }                                                                                                 \
    }

// Frees the thread's tile state (and the XSAVE area it would otherwise keep live).
AMX_TARGET static void amx_release(void) { _tile_release(); }

AMX_TARGET static void attention_amx_bf16(const float *q, const float *k, const float *v, size_t stride, size_t len,
                                          size_t d, float scale, float *out, size_t out_stride, float *scratch,
                                          prefetcher *pf) {
    // kb: k row-major in bf16, kts rows of d. vt: v^T in units of key pairs, d rows of vtu units.
    const size_t kts = round_up(len, 16), vts = round_up(len, 32), vtu = vts / 2;
    float *kb = scratch, *vt = kb + kts * d / 2, *qt = vt + d * vtu, *s = qt + d / 2 * AT_BLOCK,
          *inv = s + kts * AT_BLOCK, *tmp = inv + AT_BLOCK;
    const __m512i idx = interleave_index();
    for (size_t j = 0; j < kts; j++)
        for (size_t c0 = 0; c0 < d; c0 += 32) {
            const __m512 lo = j < len ? _mm512_loadu_ps(k + j * stride + c0) : _mm512_setzero_ps();
            const __m512 hi = j < len ? _mm512_loadu_ps(k + j * stride + c0 + 16) : _mm512_setzero_ps();
            _mm512_storeu_ps(kb + j * d / 2 + c0 / 2, (__m512)_mm512_cvtne2ps_pbh(hi, lo));
        }
    // v^T: 16 key pairs x 16 columns of (v[2p][c], v[2p+1][c]) units at a time, transposed; pairs past the
    // sequence are zero up to whole tiles.
    for (size_t p0 = 0; p0 < vtu; p0 += 16)
        for (size_t c0 = 0; c0 < d; c0 += 16) {
            __m512 r[16];
            UNROLL
            for (int i = 0; i < 16; i++) {
                const size_t j = 2 * (p0 + (size_t)i);
                const __m512 lo = j < len ? _mm512_loadu_ps(v + j * stride + c0) : _mm512_setzero_ps();
                const __m512 hi = j + 1 < len ? _mm512_loadu_ps(v + (j + 1) * stride + c0) : _mm512_setzero_ps();
                r[i] = (__m512)_mm512_permutexvar_epi16(idx, (__m512i)_mm512_cvtne2ps_pbh(hi, lo));
            }
            transpose16(r, vt + c0 * vtu + p0, vtu, 16);
        }
    for (size_t i0 = 0; i0 < len; i0 += AT_BLOCK) {
        const size_t rows = len - i0 < AT_BLOCK ? len - i0 : AT_BLOCK;
        const int nv = (int)((rows + 15) / 16);
        // scale folded into q (exact for the power-of-two scales of head dims 16, 64, ...).
        for (int u = 0; u < nv; u++)
            pack_pairs_transposed(q + (i0 + 16 * (size_t)u) * stride, stride, rows - 16 * (size_t)u, d, scale,
                                  qt + 16 * u, AT_BLOCK);
        // s^T tiles: 16 keys x 16 rows, K = 32 head columns per step.
        for (size_t j0 = 0; j0 < kts; j0 += 16) {
            prefetch_some(pf);
            _tile_zero(0); _tile_zero(1); _tile_zero(2);
            for (size_t c0 = 0; c0 < d; c0 += 32) {
                _tile_loadd(5, kb + j0 * d / 2 + c0 / 2, d * 2);
                _tile_loadd(4, qt + c0 / 2 * AT_BLOCK, AT_BLOCK * sizeof(float)); _tile_dpbf16ps(0, 5, 4);
                if (nv > 1) { _tile_loadd(4, qt + c0 / 2 * AT_BLOCK + 16, AT_BLOCK * sizeof(float)); _tile_dpbf16ps(1, 5, 4); }
                if (nv > 2) { _tile_loadd(4, qt + c0 / 2 * AT_BLOCK + 32, AT_BLOCK * sizeof(float)); _tile_dpbf16ps(2, 5, 4); }
            }
            _tile_stored(0, s + j0 * AT_BLOCK, AT_BLOCK * sizeof(float));
            if (nv > 1) _tile_stored(1, s + j0 * AT_BLOCK + 16, AT_BLOCK * sizeof(float));
            if (nv > 2) _tile_stored(2, s + j0 * AT_BLOCK + 32, AT_BLOCK * sizeof(float));
        }
        switch (nv) {
        case 1: softmax_columns_bf16(s, len, vtu, 1, inv); break;
        case 2: softmax_columns_bf16(s, len, vtu, 2, inv); break;
        default: softmax_columns_bf16(s, len, vtu, 3, inv); break;
        }
        if (d == 64) { AMX_PV(4) } else { AMX_PV(2) }
    }
}
#endif

#if defined(__x86_64__)
// k^T once per (sequence, head), then the rows AVX2_TILE at a time, every row seeing all len keys.
static void attention_avx2(const float *q, const float *k, const float *v, size_t stride, size_t len, size_t d,
                           float scale, float *out, size_t out_stride, float *scratch) {
    const size_t keys16 = round_up(len, AVX2_KEYS);
    float *kt = scratch, *work = kt + d * keys16;
    mmssr_avx2_transpose_keys(k, stride, len, d, kt, keys16, 0);
    mmssr_avx2_pad_keys(kt, keys16, len, d);
    const mmssr_avx2_head head = {kt, keys16, v, NULL, len, stride, 0, d, scale};
    for (size_t i0 = 0; i0 < len; i0 += AVX2_TILE) {
        const float *rows[AVX2_TILE];
        float *dst[AVX2_TILE];
        size_t limit[AVX2_TILE];
        const int nrows = (int)(len - i0 < AVX2_TILE ? len - i0 : AVX2_TILE);
        for (int r = 0; r < nrows; r++) {
            rows[r] = q + (i0 + (size_t)r) * stride;
            dst[r] = out + (i0 + (size_t)r) * out_stride;
            limit[r] = len;
        }
        mmssr_avx2_attend(&head, rows, limit, nrows, dst, work);
    }
}

// AMX needs the CPU features and the kernel's permission to use the tile state.
static int amx_usable(void) {
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512bf16") && __builtin_cpu_supports("amx-tile") &&
           __builtin_cpu_supports("amx-bf16") && amx_tiles_permitted();
}
#endif

int mmssr_attention_supported(int kernel) {
    switch (kernel) {
    case MMSSR_AK_SCALAR: return 1;
#if defined(__x86_64__)
    case MMSSR_AK_AVX512: return __builtin_cpu_supports("avx512f");
    case MMSSR_AK_AMX_BF16: return amx_usable();
    case MMSSR_AK_AVX2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
    default: return 0;
    }
}

int mmssr_attention_best_kernel(void) {
    if (mmssr_attention_supported(MMSSR_AK_AVX512)) return MMSSR_AK_AVX512;
    return mmssr_attention_supported(MMSSR_AK_AVX2) ? MMSSR_AK_AVX2 : MMSSR_AK_SCALAR;
}

void mmssr_attention_heads(int kernel, const mmssr_attention_task *tasks, size_t count, size_t stride,
                           size_t head_dim, float scale, size_t out_stride, float *scratch) {
#if defined(__x86_64__)
    // AMX runs head dims 32 and 64 (whole 32-column K steps, at most 4 accumulator tiles); others the fp32 kernel.
    if (kernel == MMSSR_AK_AMX_BF16) {
        if ((head_dim == 32 || head_dim == 64) && amx_usable()) {
            amx_configure_tiles();  // per thread; tiles 0-3 accumulate, 4 holds B, 5 holds A
            for (size_t t = 0; t < count; t++) {
                const mmssr_attention_task *a = &tasks[t], *next = t + 1 < count ? &tasks[t + 1] : NULL;
                if (a->len == 0) continue;
                prefetcher pf;
                prefetcher_init(&pf, next ? next->q : NULL, next ? next->k : NULL, next ? next->v : NULL, stride,
                                next ? next->len : 0, head_dim, (a->len + AT_BLOCK - 1) / AT_BLOCK * round_up(a->len, 16) / 16);
                attention_amx_bf16(a->q, a->k, a->v, stride, a->len, head_dim, scale, a->out, out_stride, scratch, &pf);
            }
            amx_release();
            return;
        }
        kernel = MMSSR_AK_AVX512;
    }
#endif
    for (size_t t = 0; t < count; t++) {
        const mmssr_attention_task *a = &tasks[t], *next = t + 1 < count ? &tasks[t + 1] : NULL;
        if (a->len == 0) continue;
#if defined(__x86_64__)
        if (kernel == MMSSR_AK_AVX512 && head_dim % 16 == 0) {
            // Prefetch lines are spread over the q k^T tiles this call runs.
            const size_t tiles = (a->len + AT_BLOCK - 1) / AT_BLOCK * (round_up(a->len, AT_KEYS) / AT_KEYS);
            prefetcher pf;
            prefetcher_init(&pf, next ? next->q : NULL, next ? next->k : NULL, next ? next->v : NULL, stride,
                            next ? next->len : 0, head_dim, tiles);
            attention_avx512(a->q, a->k, a->v, stride, a->len, head_dim, scale, a->out, out_stride, scratch, &pf);
            continue;
        }
        if (kernel == MMSSR_AK_AVX2 && head_dim % 16 == 0 && mmssr_attention_supported(MMSSR_AK_AVX2)) {
            attention_avx2(a->q, a->k, a->v, stride, a->len, head_dim, scale, a->out, out_stride, scratch);
            continue;
        }
#endif
        (void)kernel, (void)next;  // only the SIMD kernels (x86-64) use them
        attention_scalar(a->q, a->k, a->v, stride, a->len, head_dim, scale, a->out, out_stride, scratch);
    }
}

void mmssr_attention_head(int kernel, const float *q, const float *k, const float *v, size_t stride, size_t len,
                          size_t head_dim, float scale, float *out, size_t out_stride, float *scratch) {
    const mmssr_attention_task task = {q, k, v, out, len};
    mmssr_attention_heads(kernel, &task, 1, stride, head_dim, scale, out_stride, scratch);
}
