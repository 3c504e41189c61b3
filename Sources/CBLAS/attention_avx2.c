// The AVX2 + FMA attention core (see attention_avx2.h): what CPUs without AVX-512 (Zen 3, most desktops)
// run, tested against the scalar kernels of attention.c and lm_attention.c.

#include "attention_avx2.h"

#if defined(__x86_64__)
#include "avx2_exp.h"

#include <math.h>
#include <string.h>

// Tiles index arrays of registers in loops with constant trip counts: fully unrolled they stay registers.
#define UNROLL _Pragma("GCC unroll 16")

size_t mmssr_avx2_work_floats(size_t head_dim) { return AVX2_ROWS * AVX2_KEYS + AVX2_TILE * head_dim; }

// The 8 x 8 transpose of r[0..8) in place (unpacks, then 64- and 128-bit shuffles).
AVX2_INLINE void transpose8(__m256 r[8]) {
    __m256 t[8], u[8];
    UNROLL
    for (int i = 0; i < 4; i++) {
        t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    UNROLL
    for (int g = 0; g < 2; g++) {
        u[4 * g + 0] = _mm256_shuffle_ps(t[4 * g], t[4 * g + 2], 0x44);
        u[4 * g + 1] = _mm256_shuffle_ps(t[4 * g], t[4 * g + 2], 0xEE);
        u[4 * g + 2] = _mm256_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0x44);
        u[4 * g + 3] = _mm256_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0xEE);
    }
    UNROLL
    for (int i = 0; i < 4; i++) {
        r[i] = _mm256_permute2f128_ps(u[i], u[4 + i], 0x20);
        r[4 + i] = _mm256_permute2f128_ps(u[i], u[4 + i], 0x31);
    }
}

// Lanes [0, n) set, for masked loads, stores and blends.
AVX2_INLINE __m256i lanes_below(size_t n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

AVX2_TARGET void mmssr_avx2_transpose_keys(const float *k, size_t stride, size_t n, size_t d, float *kt,
                                           size_t kt_stride, size_t j0) {
    for (size_t r0 = 0; r0 < n; r0 += 8) {
        const size_t rows = n - r0 < 8 ? n - r0 : 8;
        const __m256i keep = lanes_below(rows);
        for (size_t c0 = 0; c0 < d; c0 += 8) {
            __m256 r[8];
            UNROLL
            for (int i = 0; i < 8; i++)
                r[i] = (size_t)i < rows ? _mm256_loadu_ps(k + (r0 + (size_t)i) * stride + c0) : _mm256_setzero_ps();
            transpose8(r);
            float *dst = kt + c0 * kt_stride + j0 + r0;
            UNROLL
            for (int c = 0; c < 8; c++) {
                if (rows == 8) _mm256_storeu_ps(dst + (size_t)c * kt_stride, r[c]);
                else _mm256_maskstore_ps(dst + (size_t)c * kt_stride, keep, r[c]);
            }
        }
    }
}

void mmssr_avx2_pad_keys(float *kt, size_t kt_stride, size_t keys, size_t d) {
    const size_t end = (keys + AVX2_KEYS - 1) / AVX2_KEYS * AVX2_KEYS;
    for (size_t c = 0; c < d; c++) memset(kt + c * kt_stride + keys, 0, (end - keys) * sizeof(float));
}

AVX2_INLINE float hmax8(__m256 x) {
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(x), _mm256_extractf128_ps(x, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    return _mm_cvtss_f32(m);
}

AVX2_INLINE float hsum8(__m256 x) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(x), _mm256_extractf128_ps(x, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

AVX2_INLINE const float *value_row(const mmssr_avx2_head *h, size_t j) {
    return j < h->v_split ? h->v0 + j * h->v0_stride : h->v1 + (j - h->v_split) * h->v1_stride;
}

// One block's running softmax state: its rows' queries (rows past nrows repeat row 0 and get zero weights,
// so the tiles always run AVX2_ROWS rows without branches), key limits, maxima, sums and accumulators.
typedef struct {
    const float *q[AVX2_ROWS];
    size_t limit[AVX2_ROWS];
    int nrows;
    size_t end;  // max limit
    float m[AVX2_ROWS], l[AVX2_ROWS];
    float *acc;  // AVX2_ROWS x head_dim
} row_block;

// Keys [j0, j0 + 16) of one block: q k^T, the online softmax update (weights into p), then acc += p v.
AVX2_INLINE void attend_step(const mmssr_avx2_head *h, row_block *b, size_t j0, float *p) {
    const size_t d = h->head_dim, kts = h->kt_stride;
    float *acc = b->acc;
    __m256 s[AVX2_ROWS][2];
    UNROLL
    for (int r = 0; r < AVX2_ROWS; r++) s[r][0] = s[r][1] = _mm256_setzero_ps();
    const float *kc = h->kt + j0;
    for (size_t c = 0; c < d; c++, kc += kts) {
        const __m256 k0 = _mm256_loadu_ps(kc), k1 = _mm256_loadu_ps(kc + 8);
        UNROLL
        for (int r = 0; r < AVX2_ROWS; r++) {
            const __m256 a = _mm256_broadcast_ss(b->q[r] + c);
            s[r][0] = _mm256_fmadd_ps(a, k0, s[r][0]);
            s[r][1] = _mm256_fmadd_ps(a, k1, s[r][1]);
        }
    }
    const __m256 scale = _mm256_set1_ps(h->scale), minus_inf = _mm256_set1_ps(-INFINITY);
    UNROLL
    for (int r = 0; r < AVX2_ROWS; r++) {
        if (r >= b->nrows || j0 >= b->limit[r]) {
            _mm256_storeu_ps(p + r * AVX2_KEYS, _mm256_setzero_ps());
            _mm256_storeu_ps(p + r * AVX2_KEYS + 8, _mm256_setzero_ps());
            continue;
        }
        const size_t visible = b->limit[r] - j0 < AVX2_KEYS ? b->limit[r] - j0 : AVX2_KEYS;
        const __m256 keep0 = _mm256_castsi256_ps(lanes_below(visible));
        const __m256 keep1 = _mm256_castsi256_ps(lanes_below(visible > 8 ? visible - 8 : 0));
        const __m256 x0 = _mm256_blendv_ps(minus_inf, _mm256_mul_ps(s[r][0], scale), keep0);
        const __m256 x1 = _mm256_blendv_ps(minus_inf, _mm256_mul_ps(s[r][1], scale), keep1);
        // The reference max moves only when a score exceeds it by more than AVX2_LAZY_MAX: weights stay
        // below e^AVX2_LAZY_MAX (no overflow in fp32 sums), and most steps skip the rescale of acc and l.
        const float step_max = hmax8(_mm256_max_ps(x0, x1));
        if (step_max > b->m[r] + AVX2_LAZY_MAX) {
            // exp256, not libm's expf: a call here would spill the live score registers.
            const float corr = b->m[r] == -INFINITY ? 0.0f : _mm256_cvtss_f32(exp256(_mm256_set1_ps(b->m[r] - step_max)));
            b->m[r] = step_max;
            b->l[r] *= corr;
            const __m256 cv = _mm256_set1_ps(corr);
            for (size_t u = 0; u < d; u += 8)
                _mm256_storeu_ps(acc + r * d + u, _mm256_mul_ps(cv, _mm256_loadu_ps(acc + r * d + u)));
        }
        const __m256 mv = _mm256_set1_ps(b->m[r]);
        const __m256 e0 = _mm256_and_ps(exp256(_mm256_sub_ps(x0, mv)), keep0);
        const __m256 e1 = _mm256_and_ps(exp256(_mm256_sub_ps(x1, mv)), keep1);
        b->l[r] += hsum8(_mm256_add_ps(e0, e1));
        _mm256_storeu_ps(p + r * AVX2_KEYS, e0);
        _mm256_storeu_ps(p + r * AVX2_KEYS + 8, e1);
    }
    // acc[r] += sum_j p[r][j] v_j, 16 columns at a time: each v row loaded once for all rows.
    const size_t nkeys = b->end - j0 < AVX2_KEYS ? b->end - j0 : AVX2_KEYS;
    const float *vrow[AVX2_KEYS];
    for (size_t jj = 0; jj < nkeys; jj++) vrow[jj] = value_row(h, j0 + jj);
    for (size_t u = 0; u < d; u += 16) {
        __m256 a[AVX2_ROWS][2];
        UNROLL
        for (int r = 0; r < AVX2_ROWS; r++) {
            a[r][0] = _mm256_loadu_ps(acc + r * d + u);
            a[r][1] = _mm256_loadu_ps(acc + r * d + u + 8);
        }
        for (size_t jj = 0; jj < nkeys; jj++) {
            const float *vj = vrow[jj] + u;
            const __m256 v0 = _mm256_loadu_ps(vj), v1 = _mm256_loadu_ps(vj + 8);
            UNROLL
            for (int r = 0; r < AVX2_ROWS; r++) {
                const __m256 w = _mm256_broadcast_ss(p + r * AVX2_KEYS + jj);
                a[r][0] = _mm256_fmadd_ps(w, v0, a[r][0]);
                a[r][1] = _mm256_fmadd_ps(w, v1, a[r][1]);
            }
        }
        UNROLL
        for (int r = 0; r < AVX2_ROWS; r++) {
            _mm256_storeu_ps(acc + r * d + u, a[r][0]);
            _mm256_storeu_ps(acc + r * d + u + 8, a[r][1]);
        }
    }
}

// The tile's blocks take the keys AVX2_CHUNK at a time, each block in turn, so a chunk's k^T and v rows
// (2 x 16 KB at head_dim 128) stay in L1 for all eight blocks. Measured on Zen 3 (1050 keys, head_dim 128):
// all keys block by block 52 ms, chunks of 128 keys 53, of 64 43, of 32 40, of 16 53.
AVX2_TARGET void mmssr_avx2_attend(const mmssr_avx2_head *h, const float *const *q, const size_t *limit, int nrows,
                                   float *const *out, float *work) {
    const size_t d = h->head_dim;
    const int nblocks = (nrows + AVX2_ROWS - 1) / AVX2_ROWS;
    float *p = work;
    row_block blocks[AVX2_TILE / AVX2_ROWS];
    size_t end = 0;
    for (int bi = 0; bi < nblocks; bi++) {
        row_block *b = &blocks[bi];
        b->nrows = nrows - bi * AVX2_ROWS < AVX2_ROWS ? nrows - bi * AVX2_ROWS : AVX2_ROWS;
        b->end = 0;
        b->acc = work + AVX2_ROWS * AVX2_KEYS + (size_t)bi * AVX2_ROWS * d;
        memset(b->acc, 0, AVX2_ROWS * d * sizeof(float));
        for (int r = 0; r < AVX2_ROWS; r++) {
            const int row = bi * AVX2_ROWS + (r < b->nrows ? r : 0);
            b->q[r] = q[row];
            b->limit[r] = limit[row];
            b->m[r] = -INFINITY;
            b->l[r] = 0.0f;
            if (r < b->nrows && limit[row] > b->end) b->end = limit[row];
        }
        if (b->end > end) end = b->end;
    }
    for (size_t c0 = 0; c0 < end; c0 += AVX2_CHUNK)
        for (int bi = 0; bi < nblocks; bi++) {
            row_block *b = &blocks[bi];
            const size_t stop = c0 + AVX2_CHUNK < b->end ? c0 + AVX2_CHUNK : b->end;
            for (size_t j0 = c0; j0 < stop; j0 += AVX2_KEYS) attend_step(h, b, j0, p);
        }
    for (int bi = 0; bi < nblocks; bi++) {
        const row_block *b = &blocks[bi];
        for (int r = 0; r < b->nrows; r++) {
            const __m256 inv = _mm256_set1_ps(1.0f / b->l[r]);
            for (size_t u = 0; u < d; u += 8)
                _mm256_storeu_ps(out[bi * AVX2_ROWS + r] + u, _mm256_mul_ps(inv, _mm256_loadu_ps(b->acc + r * d + u)));
        }
    }
}
#endif
