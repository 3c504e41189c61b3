// AVX-512 VNNI kernel: vpdpbusd multiplies unsigned by signed bytes, so activations are stored as
// u8 = q + 128 and the packed weights carry corr[n] = 128 * sum_k w[n][k], subtracted once per output.
//
// Packed weight layout: corr int32[npad] (padded to 64 bytes), then column panels of up to 64 columns,
// each [kp/4][width][4] bytes so one 64-byte load gives 16 columns x 4 consecutive k. Register block:
// 6 rows x 64 columns = 24 zmm accumulators, 4 weight vectors, one broadcast activation.

#include "qgemm_internal.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>

#define VNNI_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))

// The AMX kernel shares this layout and encoding with k padded to whole 64-byte tile rows (kalign 64).
static size_t vnni_kp(int kdim) { return qgemm_round_up((size_t)kdim, 4); }

size_t qgemm_u8_packed_size(int n, int kdim, int kalign) {
    return qgemm_u8_header(n) + qgemm_u8_npad(n) * qgemm_round_up((size_t)kdim, (size_t)kalign);
}

size_t qgemm_vnni_packed_size(int n, int kdim) { return qgemm_u8_packed_size(n, kdim, 4); }

size_t qgemm_vnni_act_row_bytes(int kdim) { return vnni_kp(kdim); }

void qgemm_vnni_pack(const int8_t *w, int n, int kdim, void *dst) { qgemm_u8_pack(w, n, kdim, 4, dst); }

void qgemm_u8_pack(const int8_t *w, int n, int kdim, int kalign, void *dst) {
    size_t kp = qgemm_round_up((size_t)kdim, (size_t)kalign), npad = qgemm_u8_npad(n);
    int32_t *corr = dst;
    int8_t *panels = (int8_t *)dst + qgemm_u8_header(n);
    memset(dst, 0, qgemm_u8_packed_size(n, kdim, kalign));
    for (size_t c = 0; c < npad; c++) {
        size_t n0 = c / QGEMM_VNNI_NR * QGEMM_VNNI_NR;
        size_t width = npad - n0 < QGEMM_VNNI_NR ? npad - n0 : QGEMM_VNNI_NR;
        int8_t *panel = panels + n0 * kp;
        int32_t sum = 0;
        if (c < (size_t)n) {
            for (size_t k = 0; k < (size_t)kdim; k++) {
                int8_t v = w[c * kdim + k];
                panel[(k / 4) * width * 4 + (c - n0) * 4 + k % 4] = v;
                sum += v;
            }
        }
        corr[c] = 128 * sum;
    }
}

// Sixteen inputs (the first `mask` lanes) times their channel scales (see qgemm_scaled).
static inline __attribute__((always_inline)) VNNI_TARGET __m512 vnni_load_scaled(const float *x, const float *s, int k,
                                                                                  __mmask16 mask) {
    const __m512 v = _mm512_maskz_loadu_ps(mask, x + k);
    return s ? _mm512_mul_ps(v, _mm512_maskz_loadu_ps(mask, s + k)) : v;
}

// Four accumulators hide vmaxps latency.
VNNI_TARGET static float vnni_absmax(const float *x, const float *s, int n) {
    __m512 m0 = _mm512_setzero_ps(), m1 = m0, m2 = m0, m3 = m0;
    int k = 0;
    for (; k + 64 <= n; k += 64) {
        m0 = _mm512_max_ps(m0, _mm512_abs_ps(vnni_load_scaled(x, s, k, 0xFFFF)));
        m1 = _mm512_max_ps(m1, _mm512_abs_ps(vnni_load_scaled(x, s, k + 16, 0xFFFF)));
        m2 = _mm512_max_ps(m2, _mm512_abs_ps(vnni_load_scaled(x, s, k + 32, 0xFFFF)));
        m3 = _mm512_max_ps(m3, _mm512_abs_ps(vnni_load_scaled(x, s, k + 48, 0xFFFF)));
    }
    for (; k + 16 <= n; k += 16) m0 = _mm512_max_ps(m0, _mm512_abs_ps(vnni_load_scaled(x, s, k, 0xFFFF)));
    if (k < n) m1 = _mm512_max_ps(m1, _mm512_abs_ps(vnni_load_scaled(x, s, k, (__mmask16)((1u << (n - k)) - 1))));
    return _mm512_reduce_max_ps(_mm512_max_ps(_mm512_max_ps(m0, m1), _mm512_max_ps(m2, m3)));
}

// 16 values to 16 offset bytes (q + 128), with the scalar kernel's clamp.
static inline __attribute__((always_inline)) VNNI_TARGET __m128i vnni_quantize16(__m512 x, __m512 inv) {
    __m512i v = _mm512_cvtps_epi32(_mm512_mul_ps(x, inv));
    v = _mm512_min_epi32(_mm512_max_epi32(v, _mm512_set1_epi32(-127)), _mm512_set1_epi32(127));
    return _mm_xor_si128(_mm512_cvtepi32_epi8(v), _mm_set1_epi8((char)0x80));
}

VNNI_TARGET void qgemm_vnni_quantize(const float *x, const float *col_scale, int kdim, int m_lo, int m_hi, void *qa, float *a_scale) {
    qgemm_u8_quantize(x, col_scale, kdim, vnni_kp(kdim), m_lo, m_hi, qa, a_scale);
}

// 64 values to 64 offset bytes. Saturating packs narrow four vectors at once (vpmovdb is two uops per 16
// values); they clamp to [-128, 127] and one vpmaxsb makes it the scalar kernel's [-127, 127]. The packs
// interleave 128-bit lanes, so dword j of the packed vector holds four values of vector j % 4, and
// one vpermd puts them back in order.
static inline __attribute__((always_inline)) VNNI_TARGET __m512i vnni_quantize64(__m512 a, __m512 b, __m512 c, __m512 d,
                                                                                 __m512 inv) {
    const __m512i ab = _mm512_packs_epi32(_mm512_cvtps_epi32(_mm512_mul_ps(a, inv)), _mm512_cvtps_epi32(_mm512_mul_ps(b, inv)));
    const __m512i cd = _mm512_packs_epi32(_mm512_cvtps_epi32(_mm512_mul_ps(c, inv)), _mm512_cvtps_epi32(_mm512_mul_ps(d, inv)));
    const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    const __m512i q = _mm512_permutexvar_epi32(order, _mm512_packs_epi16(ab, cd));
    return _mm512_xor_si512(_mm512_max_epi8(q, _mm512_set1_epi8(-127)), _mm512_set1_epi8((char)0x80));
}

VNNI_TARGET void qgemm_u8_quantize(const float *x, const float *col_scale, int kdim, size_t kp, int m_lo, int m_hi,
                                   void *qa, float *a_scale) {
    for (int m = m_lo; m < m_hi; m++) {
        const float *row = x + (size_t)m * kdim;
        uint8_t *q = (uint8_t *)qa + (size_t)m * kp;
        float inv;
        qgemm_row_params(vnni_absmax(row, col_scale, kdim), &inv, &a_scale[m]);
        const __m512 vinv = _mm512_set1_ps(inv);
        int k = 0;
        for (; k + 64 <= kdim; k += 64)
            _mm512_storeu_si512((void *)(q + k), vnni_quantize64(vnni_load_scaled(row, col_scale, k, 0xFFFF),
                                                                 vnni_load_scaled(row, col_scale, k + 16, 0xFFFF),
                                                                 vnni_load_scaled(row, col_scale, k + 32, 0xFFFF),
                                                                 vnni_load_scaled(row, col_scale, k + 48, 0xFFFF), vinv));
        for (; k + 16 <= kdim; k += 16) _mm_storeu_si128((__m128i *)(q + k), vnni_quantize16(vnni_load_scaled(row, col_scale, k, 0xFFFF), vinv));
        if (k < kdim) {
            const __mmask16 mask = (__mmask16)((1u << (kdim - k)) - 1);
            _mm_mask_storeu_epi8(q + k, mask, vnni_quantize16(vnni_load_scaled(row, col_scale, k, mask), vinv));
        }
        for (size_t p = (size_t)kdim; p < kp; p++) q[p] = 0x80;
    }
}

static inline __attribute__((always_inline)) VNNI_TARGET void vnni_block(
    const int mr, const int nv, const uint8_t *a, size_t kp, const int8_t *panel, int width, int m0, int n0,
    const int32_t *corr, const qgemm_epilogue *ep, const char *pf_from, const char *pf_to) {
    // The sums start at -corr, which is the u8 encoding's correction applied once.
    __m512i acc[QGEMM_VNNI_MR][4];
    for (int v = 0; v < nv; v++) {
        const __m512i start = _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_load_si512((const void *)(corr + n0 + v * 16)));
        for (int r = 0; r < mr; r++) acc[r][v] = start;
    }
    // The output lines may be cold (a fresh activation buffer): ask for them now so their read-for-ownership
    // overlaps the k loop instead of stalling the stores at the end.
    for (int r = 0; r < mr; r++)
        for (int v = 0; v < nv; v++) {
            const size_t o = (size_t)(m0 + r) * ep->n + n0 + v * 16;
            if (ep->out_i32) __builtin_prefetch(ep->out_i32 + o, 1, 3);
            else __builtin_prefetch(ep->out + o, 1, 3);
        }
    // Two lines per k group while there are lines to fetch: more than the 1.5 lines of six fp32 rows per
    // group, so a slice always fits. Rows r and r + 3 are addressed from two pointers and one stride
    // (base + index * {1, 2}), which keeps the loop in registers (six row pointers do not fit).
    const size_t groups = kp / 4, b_step = (size_t)width * 4;
    const size_t pf_groups = pf_to > pf_from ? (size_t)(pf_to - pf_from + 127) / 128 : 0;
    const char *pf = pf_from;
    const uint8_t *a0 = a, *a3 = a + (mr > 3 ? 3 : 0) * kp;  // a block of 3 rows or fewer has no row 3
    const int8_t *b = panel;
    for (size_t g = 0; g < groups; g++, a0 += 4, a3 += 4, b += b_step) {
        if (g < pf_groups) {
            _mm_prefetch(pf, _MM_HINT_T1);
            _mm_prefetch(pf + 64, _MM_HINT_T1);
            pf += 128;
        }
        __asm__("" : "+r"(a0), "+r"(a3));  // or the compiler derives six row pointers again
        __m512i bv[4];
        for (int v = 0; v < nv; v++) bv[v] = _mm512_load_si512((const void *)(b + v * 64));
        for (int r = 0; r < mr; r++) {
            int32_t quad;
            memcpy(&quad, (r < 3 ? a0 : a3) + (size_t)(r % 3) * kp, 4);
            const __m512i av = _mm512_set1_epi32(quad);
            for (int v = 0; v < nv; v++) acc[r][v] = _mm512_dpbusd_epi32(acc[r][v], av, bv[v]);
        }
    }
    for (int v = 0; v < nv; v++) {
        const int col = n0 + v * 16;
        const int left = ep->n - col;
        const __mmask16 mask = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1);
        if (ep->out_i32) {
            for (int r = 0; r < mr; r++) _mm512_mask_storeu_epi32(ep->out_i32 + (size_t)(m0 + r) * ep->n + col, mask, acc[r][v]);
            continue;
        }
        const __m512 ws = _mm512_maskz_loadu_ps(mask, ep->w_scale + col);
        const __m512 bias = ep->bias ? _mm512_maskz_loadu_ps(mask, ep->bias + col) : _mm512_setzero_ps();
        for (int r = 0; r < mr; r++) {
            const __m512 s = _mm512_mul_ps(ws, _mm512_set1_ps(ep->a_scale[m0 + r]));
            _mm512_mask_storeu_ps(ep->out + (size_t)(m0 + r) * ep->n + col, mask,
                                  _mm512_fmadd_ps(_mm512_cvtepi32_ps(acc[r][v]), s, bias));
        }
    }
}

// One out-of-line function per block shape: the k loop then has the register file to itself. Inlined into
// the compute loop nest its row pointers spilled: 78% of the peak on a single 6 x 64 block against 87% now
// (on the encoder shapes, where other costs dominate, about 1%).
typedef void (*vnni_block_fn)(const uint8_t *a, size_t kp, const int8_t *panel, int width, int m0, int n0,
                              const int32_t *corr, const qgemm_epilogue *ep, const char *pf_from, const char *pf_to);
#define VNNI_BLOCK_FN(MR, NV)                                                                                          \
    __attribute__((noinline)) VNNI_TARGET static void vnni_block_##MR##x##NV(                                          \
        const uint8_t *a, size_t kp, const int8_t *panel, int width, int m0, int n0, const int32_t *corr,              \
        const qgemm_epilogue *ep, const char *pf_from, const char *pf_to) {                                            \
        vnni_block(MR, NV, a, kp, panel, width, m0, n0, corr, ep, pf_from, pf_to);                                     \
    }
#define VNNI_BLOCK_FNS(MR) VNNI_BLOCK_FN(MR, 1) VNNI_BLOCK_FN(MR, 2) VNNI_BLOCK_FN(MR, 3) VNNI_BLOCK_FN(MR, 4)
VNNI_BLOCK_FNS(1) VNNI_BLOCK_FNS(2) VNNI_BLOCK_FNS(3) VNNI_BLOCK_FNS(4) VNNI_BLOCK_FNS(5) VNNI_BLOCK_FNS(6)
#define VNNI_BLOCK_ROW(MR) {vnni_block_##MR##x1, vnni_block_##MR##x2, vnni_block_##MR##x3, vnni_block_##MR##x4}
static const vnni_block_fn vnni_blocks[QGEMM_VNNI_MR][4] = {VNNI_BLOCK_ROW(1), VNNI_BLOCK_ROW(2), VNNI_BLOCK_ROW(3),
                                                            VNNI_BLOCK_ROW(4), VNNI_BLOCK_ROW(5), VNNI_BLOCK_ROW(6)};

VNNI_TARGET void qgemm_vnni_compute(const void *packed, const void *qa, int kdim, int m_lo, int m_hi, int n_lo,
                                    int n_hi, const qgemm_epilogue *ep) {
    const size_t kp = vnni_kp(kdim);
    const int npad = (int)qgemm_u8_npad(ep->n);
    const int32_t *corr = packed;
    const int8_t *panels = (const int8_t *)packed + qgemm_u8_header(ep->n);
    if (n_hi > npad) n_hi = npad;
    // A block of QGEMM_VNNI_MC rows stays in L2 while every weight panel passes over it.
    for (int mc = m_lo; mc < m_hi; mc += QGEMM_VNNI_MC) {
        const int mc_hi = m_hi - mc < QGEMM_VNNI_MC ? m_hi : mc + QGEMM_VNNI_MC;
        for (int n0 = n_lo; n0 < n_hi; n0 += QGEMM_VNNI_NR) {
            const int width = npad - n0 < QGEMM_VNNI_NR ? npad - n0 : QGEMM_VNNI_NR;
            const int8_t *panel = panels + (size_t)n0 * kp;
            for (int m = mc; m < mc_hi; m += QGEMM_VNNI_MR) {
                const int mr = mc_hi - m < QGEMM_VNNI_MR ? mc_hi - m : QGEMM_VNNI_MR;
                const uint8_t *a = (const uint8_t *)qa + (size_t)m * kp;
                // Each panel pulls in its share of the next rows, so the prefetches spread over the block.
                const char *pf_from = NULL, *pf_to = NULL;
                const int r = m - m_lo, pf_rows = ep->next_rows - r < mr ? ep->next_rows - r : mr;
                if (ep->next_x && pf_rows > 0) {
                    const size_t bytes = (size_t)pf_rows * kdim * sizeof(float);
                    const size_t p = (size_t)(n0 - n_lo) / QGEMM_VNNI_NR, np = (size_t)(n_hi - n_lo + QGEMM_VNNI_NR - 1) / QGEMM_VNNI_NR;
                    pf_from = (const char *)(ep->next_x + (size_t)r * kdim) + qgemm_round_up(bytes * p / np, 64);
                    pf_to = (const char *)(ep->next_x + (size_t)r * kdim) + bytes * (p + 1) / np;
                }
                vnni_blocks[mr - 1][width / 16 - 1](a, kp, panel, width, m, n0, corr, ep, pf_from, pf_to);
            }
        }
    }
}
#endif
