// AMX kernel (Sapphire Rapids and later): tdpbusd multiplies a 16 x 64 u8 tile by a 64 x 16 s8 tile into 16 x 16
// int32, 16384 products per instruction against vpdpbusd's 64. Same encoding and packed layout as the VNNI
// kernel (u8 = q + 128, column-sum correction), with k padded to whole 64-byte tile rows: a panel's 16-column
// group at k-step t is a B tile, rows 256 bytes apart. Register block: 2 A tiles x 2 B tiles = 32 x 32 outputs
// in 4 accumulator tiles. Accumulators go through a small int32 buffer to the AVX-512 epilogue, which also
// cuts ragged column edges; rows past the last whole tile are left to the VNNI kernel.

#include "qgemm_internal.h"

#if defined(__x86_64__)
#include <immintrin.h>

#include "amx.h"

#define AMX_TARGET __attribute__((target("amx-tile,amx-int8,avx512f,avx512bw,avx512vl,avx512vnni")))

enum { AMX_KSTEP = 64, AMX_TILE_ROWS = 16 };

int qgemm_amx_supported(void) {
    return __builtin_cpu_supports("amx-tile") && __builtin_cpu_supports("amx-int8") &&
           __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni") && amx_tiles_permitted();
}

static size_t amx_kp(int kdim) { return qgemm_round_up((size_t)kdim, AMX_KSTEP); }

size_t qgemm_amx_packed_size(int n, int kdim) { return qgemm_u8_packed_size(n, kdim, AMX_KSTEP); }

void qgemm_amx_pack(const int8_t *w, int n, int kdim, void *dst) { qgemm_u8_pack(w, n, kdim, AMX_KSTEP, dst); }

size_t qgemm_amx_act_row_bytes(int kdim) { return amx_kp(kdim); }

void qgemm_amx_quantize(const float *x, const float *col_scale, int kdim, int m_lo, int m_hi, void *qa, float *a_scale) {
    qgemm_u8_quantize(x, col_scale, kdim, amx_kp(kdim), m_lo, m_hi, qa, a_scale);
}

// acc[r][c] (row stride 32) minus the column correction, to the caller's outputs for rows < rows, columns < cols.
AMX_TARGET static void amx_epilogue(const int32_t *acc, int rows, int cols, int m0, int n0, const int32_t *corr,
                                    const qgemm_epilogue *ep) {
    for (int v = 0; v * 16 < cols; v++) {
        const int col = n0 + v * 16;
        const int left = ep->n - col;
        if (left <= 0) break;
        const __mmask16 mask = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1);
        const __m512i c = _mm512_load_si512((const void *)(corr + col));
        if (ep->out_i32) {
            for (int r = 0; r < rows; r++) {
                const __m512i sum = _mm512_sub_epi32(_mm512_load_si512((const void *)(acc + r * 32 + v * 16)), c);
                _mm512_mask_storeu_epi32(ep->out_i32 + (size_t)(m0 + r) * ep->n + col, mask, sum);
            }
            continue;
        }
        const __m512 ws = _mm512_maskz_loadu_ps(mask, ep->w_scale + col);
        const __m512 bias = ep->bias ? _mm512_maskz_loadu_ps(mask, ep->bias + col) : _mm512_setzero_ps();
        for (int r = 0; r < rows; r++) {
            const __m512i sum = _mm512_sub_epi32(_mm512_load_si512((const void *)(acc + r * 32 + v * 16)), c);
            const __m512 s = _mm512_mul_ps(ws, _mm512_set1_ps(ep->a_scale[m0 + r]));
            _mm512_mask_storeu_ps(ep->out + (size_t)(m0 + r) * ep->n + col, mask,
                                  _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum), s, bias));
        }
    }
}

// Lines pulled into L2 a few per k step so the requests spread over a whole stretch of work instead of
// queueing up in bursts: the fp32 rows the caller quantises next (a contiguous range), and the weight rows
// of the next column block (two lines every `stride` bytes).
typedef struct {
    const char *next, *end;
    size_t lines_per_step;
} amx_prefetch;

typedef struct {
    const char *next;
    size_t stride, rows_left, rows_per_step;
} amx_prefetch_b;

static inline __attribute__((always_inline)) void amx_prefetch_step(amx_prefetch *pf, amx_prefetch_b *pb) {
    for (size_t i = 0; i < pf->lines_per_step && pf->next < pf->end; i++, pf->next += 64) _mm_prefetch(pf->next, _MM_HINT_T1);
    for (size_t i = 0; i < pb->rows_per_step && pb->rows_left; i++, pb->rows_left--, pb->next += pb->stride) {
        _mm_prefetch(pb->next, _MM_HINT_T1);
        _mm_prefetch(pb->next + 64, _MM_HINT_T1);
    }
}

// One block of up to 32 rows (the 16 at a0, and the 16 at a1 when two_a) by 16 or 32 columns (b, and b + 64
// bytes when two_b) over the k range [0, klen) of a and b. The accumulators start at zero, or at the int32
// partial sums at `from` (row stride `from_stride` bytes), and end at `to`; tile numbers are immediates, so
// each shape is its own instantiation.
static inline __attribute__((always_inline)) AMX_TARGET void amx_block(const int two_a, const int two_b,
                                                                       const uint8_t *a0, const uint8_t *a1,
                                                                       size_t kp, size_t klen, const int8_t *b,
                                                                       size_t b_stride, const int32_t *from,
                                                                       size_t from_stride, int32_t *to,
                                                                       size_t to_stride, amx_prefetch *pf,
                                                                       amx_prefetch_b *pb) {
    const size_t from_down = from_stride / 4 * 16, to_down = to_stride / 4 * 16;
    if (from) {
        _tile_loadd(0, from, from_stride);
        if (two_b) _tile_loadd(1, from + 16, from_stride);
        if (two_a) _tile_loadd(2, from + from_down, from_stride);
        if (two_a && two_b) _tile_loadd(3, from + from_down + 16, from_stride);
    } else {
        _tile_zero(0);
        if (two_b) _tile_zero(1);
        if (two_a) _tile_zero(2);
        if (two_a && two_b) _tile_zero(3);
    }
    for (size_t k = 0; k < klen; k += AMX_KSTEP) {
        amx_prefetch_step(pf, pb);
        const int8_t *bk = b + (k / 4) * b_stride;
        _tile_loadd(4, a0 + k, kp);
        _tile_loadd(6, bk, b_stride);
        _tile_dpbusd(0, 4, 6);
        if (two_b) {
            _tile_loadd(7, bk + 64, b_stride);
            _tile_dpbusd(1, 4, 7);
        }
        if (two_a) {
            _tile_loadd(5, a1 + k, kp);
            _tile_dpbusd(2, 5, 6);
            if (two_b) _tile_dpbusd(3, 5, 7);
        }
    }
    _tile_stored(0, to, to_stride);
    if (two_b) _tile_stored(1, to + 16, to_stride);
    if (two_a) _tile_stored(2, to + to_down, to_stride);
    if (two_a && two_b) _tile_stored(3, to + to_down + 16, to_stride);
}

// The block's shape picks its instantiation of amx_block.
static inline __attribute__((always_inline)) AMX_TARGET void amx_block_any(int rows, int cols, const uint8_t *a0,
                                                                           size_t kp, size_t klen, const int8_t *b,
                                                                           size_t b_stride, const int32_t *from,
                                                                           size_t from_stride, int32_t *to,
                                                                           size_t to_stride, amx_prefetch *pf,
                                                                           amx_prefetch_b *pb) {
    const uint8_t *a1 = a0 + 16 * kp;
    if (rows > 16 && cols > 16) amx_block(1, 1, a0, a1, kp, klen, b, b_stride, from, from_stride, to, to_stride, pf, pb);
    else if (rows > 16) amx_block(1, 0, a0, a1, kp, klen, b, b_stride, from, from_stride, to, to_stride, pf, pb);
    else if (cols > 16) amx_block(0, 1, a0, a1, kp, klen, b, b_stride, from, from_stride, to, to_stride, pf, pb);
    else amx_block(0, 0, a0, a1, kp, klen, b, b_stride, from, from_stride, to, to_stride, pf, pb);
}

// Cache blocking for many rows. A pass of up to AMX_A_BYTES of quantised rows (mc rows x kc of k) stays in L2
// while the weights stream past it once, 32 columns at a time; each 32-column slice of weights (kc/4 rows of
// 128 bytes, at most 128 KB) stays in L2 while every 32-row tile of the pass goes over it. With whole rows of
// a 7B layer's k (3584, or 18944 for ffn_down) only a few dozen rows fit, and every few dozen rows streamed
// the whole weight from memory again (42% of the VNNI peak in the 7B prefill). Between k blocks the int32
// partial sums wait in the output itself (the same bytes the fp32 results go to, so no buffer); integer
// sums are exact in any order, so the blocking changes no result. Measured on one core (256 rows, 7B shapes):
// kc 4096 ran 1.2-1.6x kc 1024, whose slices stay in L1 but whose partial sums go through memory more often;
// k sub-blocks with the partial sums of one slice in L1/L2 instead gained nothing measurable.
#ifndef AMX_KC
#define AMX_KC 4096
#endif
#ifndef AMX_A_BYTES
#define AMX_A_BYTES (1536 * 1024)
#endif

// k per block: kp cut into equal whole tile steps of at most AMX_KC.
static size_t amx_kc(size_t kp) {
    const size_t k_blocks = (kp + AMX_KC - 1) / AMX_KC;
    return qgemm_round_up((kp + k_blocks - 1) / k_blocks, AMX_KSTEP);
}

int qgemm_amx_pass_rows(int kdim) {
    const int mc = (int)(AMX_A_BYTES / amx_kc(amx_kp(kdim))) / 32 * 32;
    return mc < 32 ? 32 : mc;
}

AMX_TARGET void qgemm_amx_compute(const void *packed, const void *qa, int kdim, int m_lo, int m_hi, int n_lo,
                                  int n_hi, const qgemm_epilogue *ep) {
    const size_t kp = amx_kp(kdim);
    const int npad = (int)qgemm_u8_npad(ep->n);
    const int32_t *corr = packed;
    const int8_t *panels = (const int8_t *)packed + qgemm_u8_header(ep->n);
    if (n_hi > npad) n_hi = npad;
    if (m_lo >= m_hi || n_lo >= n_hi) return;
    // A tile always reads 16 rows. The last (m_hi - m_lo) % 16 rows go to the VNNI kernel, which reads this
    // packed layout and these activation rows as its own when told k is the padded kp (the padding weighs 0).
    const int tail_rows = (m_hi - m_lo) % AMX_TILE_ROWS;
    if (tail_rows) qgemm_vnni_compute(packed, qa, (int)kp, m_hi - tail_rows, m_hi, n_lo, n_hi, ep);
    m_hi -= tail_rows;
    if (m_lo >= m_hi) return;
    const size_t kc = amx_kc(kp);
    const int mc = qgemm_amx_pass_rows(kdim);
    int32_t acc[32 * 32] __attribute__((aligned(64)));
    int32_t *sums = ep->out_i32 ? ep->out_i32 : (int32_t *)(void *)ep->out;  // the partial sums' home
    const size_t sums_stride = (size_t)ep->n * sizeof(int32_t);
    // The fp32 rows the caller quantises next come into L2 while this product runs, so quantising them does
    // not wait on memory (they were written long ago, by the previous op).
    const size_t next_bytes = ep->next_x ? (size_t)ep->next_rows * (size_t)kdim * sizeof(float) : 0;
    const size_t steps = (size_t)(n_hi - n_lo + 31) / 32 * (size_t)((m_hi - m_lo + 31) / 32) * (kp / AMX_KSTEP);
    amx_prefetch pf = {(const char *)ep->next_x, (const char *)ep->next_x + next_bytes, (next_bytes / 64 + steps - 1) / steps};
    amx_configure_tiles();  // tiles 0-3 accumulate, 4-5 hold A, 6-7 hold B
    for (size_t k0 = 0; k0 < kp; k0 += kc) {
        const size_t klen = kp - k0 < kc ? kp - k0 : kc;
        const int first = k0 == 0, last = k0 + klen == kp;
        for (int mc0 = m_lo; mc0 < m_hi; mc0 += mc) {
            const int mc_hi = m_hi - mc0 < mc ? m_hi : mc0 + mc;
            const size_t tiles = (size_t)(mc_hi - mc0 + 31) / 32 * (klen / AMX_KSTEP);
            for (int n0 = n_lo; n0 < n_hi; n0 += 32) {
                const int p0 = n0 / QGEMM_VNNI_NR * QGEMM_VNNI_NR;
                const int width = npad - p0 < QGEMM_VNNI_NR ? npad - p0 : QGEMM_VNNI_NR;
                const size_t b_stride = (size_t)width * 4;
                const int8_t *b = panels + (size_t)p0 * kp + (size_t)(n0 - p0) * 4 + k0 / 4 * b_stride;
                const int cols = n_hi - n0 < 32 ? n_hi - n0 : 32;
                // A ragged last block (fewer than 32 columns of this call) has no room of its own for partial
                // sums in the output: it takes all of k at once, in the last k block.
                const int ragged = n0 + 32 > ep->n || n0 + 32 > n_hi;
                if (ragged && !last) continue;
                amx_prefetch_b pb = {0};
                const int n1 = n0 + 32;
                if (n1 + 32 <= ep->n && n1 + 32 <= n_hi) {
                    const int q0 = n1 / QGEMM_VNNI_NR * QGEMM_VNNI_NR;
                    const int next_width = npad - q0 < QGEMM_VNNI_NR ? npad - q0 : QGEMM_VNNI_NR;
                    pb.stride = (size_t)next_width * 4;
                    pb.next = (const char *)(panels + (size_t)q0 * kp + (size_t)(n1 - q0) * 4 + k0 / 4 * pb.stride);
                    pb.rows_left = klen / 4;
                    pb.rows_per_step = (pb.rows_left + tiles - 1) / tiles;
                }
                for (int m = mc0; m < mc_hi; m += 32) {
                    const int rows = mc_hi - m < 32 ? mc_hi - m : 32;
                    const uint8_t *a = (const uint8_t *)qa + (size_t)m * kp;
                    int32_t *home = sums + (size_t)m * ep->n + n0;
                    if (ragged) {
                        amx_block_any(rows, cols, a, kp, kp, b - k0 / 4 * b_stride, b_stride, NULL, 0, acc, 128, &pf, &pb);
                    } else {
                        amx_block_any(rows, cols, a + k0, kp, klen, b, b_stride, first ? NULL : home, sums_stride,
                                      last ? acc : home, last ? 128 : sums_stride, &pf, &pb);
                    }
                    if (last) amx_epilogue(acc, rows, cols, m, n0, corr, ep);
                }
            }
        }
    }
    _tile_release();
}
#endif
