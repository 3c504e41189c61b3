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

// One block of up to 32 rows (the 16 at a0, and the 16 at a1 when two_a) by 16 or 32 columns (b, and b + 64
// bytes when two_b) over all k; tile numbers are immediates, so each shape is its own instantiation.
// Lines of the rows the caller quantises next, pulled into L2 a few per k step so the requests spread over
// the whole product instead of queueing up in bursts.
typedef struct {
    const char *next, *end;
    size_t lines_per_step;
} amx_prefetch;

static inline __attribute__((always_inline)) void amx_prefetch_step(amx_prefetch *pf) {
    for (size_t i = 0; i < pf->lines_per_step && pf->next < pf->end; i++, pf->next += 64) _mm_prefetch(pf->next, _MM_HINT_T1);
}

static inline __attribute__((always_inline)) AMX_TARGET void amx_block(const int two_a, const int two_b,
                                                                       const uint8_t *a0, const uint8_t *a1,
                                                                       size_t kp, const int8_t *b, size_t b_stride,
                                                                       int32_t *acc, amx_prefetch *pf) {
    _tile_zero(0);
    if (two_b) _tile_zero(1);
    if (two_a) _tile_zero(2);
    if (two_a && two_b) _tile_zero(3);
    for (size_t k = 0; k < kp; k += AMX_KSTEP) {
        amx_prefetch_step(pf);
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
    _tile_stored(0, acc, 128);
    if (two_b) _tile_stored(1, acc + 16, 128);
    if (two_a) _tile_stored(2, acc + 16 * 32, 128);
    if (two_a && two_b) _tile_stored(3, acc + 16 * 32 + 16, 128);
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
    int32_t acc[32 * 32] __attribute__((aligned(64)));
    // The fp32 rows the caller quantises next come into L2 while this product runs, so quantising them does
    // not wait on memory (they were written long ago, by the previous op).
    const size_t next_bytes = ep->next_x ? (size_t)ep->next_rows * (size_t)kdim * sizeof(float) : 0;
    const size_t steps = (size_t)(n_hi - n_lo + 31) / 32 * (size_t)((m_hi - m_lo + 31) / 32) * (kp / AMX_KSTEP);
    amx_prefetch pf = {(const char *)ep->next_x, (const char *)ep->next_x + next_bytes, (next_bytes / 64 + steps - 1) / steps};
    amx_configure_tiles();  // tiles 0-3 accumulate, 4-5 hold A, 6-7 hold B
    for (int mc = m_lo; mc < m_hi; mc += QGEMM_AMX_MC) {
        const int mc_hi = m_hi - mc < QGEMM_AMX_MC ? m_hi : mc + QGEMM_AMX_MC;
        for (int n0 = n_lo; n0 < n_hi; n0 += 32) {
            const int p0 = n0 / QGEMM_VNNI_NR * QGEMM_VNNI_NR;
            const int width = npad - p0 < QGEMM_VNNI_NR ? npad - p0 : QGEMM_VNNI_NR;
            const int8_t *b = panels + (size_t)p0 * kp + (size_t)(n0 - p0) * 4;
            const size_t b_stride = (size_t)width * 4;
            const int cols = n_hi - n0 < 32 ? n_hi - n0 : 32;
            for (int m = mc; m < mc_hi; m += 32) {
                const int rows = mc_hi - m < 32 ? mc_hi - m : 32;
                const uint8_t *a0 = (const uint8_t *)qa + (size_t)m * kp, *a1 = a0 + 16 * kp;
                const int two_a = rows > 16, two_b = cols > 16;
                if (two_a && two_b) amx_block(1, 1, a0, a1, kp, b, b_stride, acc, &pf);
                else if (two_a) amx_block(1, 0, a0, a1, kp, b, b_stride, acc, &pf);
                else if (two_b) amx_block(0, 1, a0, a1, kp, b, b_stride, acc, &pf);
                else amx_block(0, 0, a0, a1, kp, b, b_stride, acc, &pf);
                amx_epilogue(acc, rows, cols, m, n0, corr, ep);
            }
        }
    }
    _tile_release();
}
#endif
