#ifndef MMSSR_QGEMM_H
#define MMSSR_QGEMM_H

// Int8 GEMM: out[m][n] = (sum_k qa[m][k] * w[n][k]) * a_scale[m] * w_scale[n] + bias[n].
//
// Weights are symmetric int8 per output row (any int8 value). Activations are quantised per row at run
// time to int8 in [-127, 127] with a_scale = max|x| / 127 and q = rint(x * (127 / max|x|)) (fp32, round
// half to even). The integer sum is exact on every kernel: the scalar kernel defines it and the SIMD
// kernels equal it bit for bit. Each kernel wants its own packed weight layout and activation encoding,
// so a buffer packed or quantised for one kernel is only valid with that kernel.

#include <stddef.h>
#include <stdint.h>

typedef enum {
    MMSSR_QK_SCALAR = 0,  // portable C, the reference arithmetic
    MMSSR_QK_AVX2 = 1,    // vpmaddwd on int16-widened operands (exact, no vpmaddubsw saturation)
    MMSSR_QK_VNNI = 2,    // AVX-512 vpdpbusd on u8 (q + 128) x s8, with a packed column-sum correction
    MMSSR_QK_AMX = 3,     // AMX tdpbusd tiles, the VNNI encoding with k padded to 64
} mmssr_qkernel;

/// 1 if this CPU (and this build) can run kernel `k`.
int mmssr_qgemm_supported(int k);

/// The fastest supported kernel.
int mmssr_qgemm_best_kernel(void);

/// Kernel named by `name` ("scalar", "avx2", "vnni", "amx"); -1 if unknown, -2 if known but unsupported here.
int mmssr_qgemm_parse_kernel(const char *name);

/// Columns per packed panel: `mmssr_qgemm_compute` column ranges start on a multiple of this.
int mmssr_qgemm_panel_width(int k);

/// Rows per register block: row ranges that are multiples of this keep every thread on the full block.
int mmssr_qgemm_row_block(int k);

/// Bytes of the packed form of an [n, kdim] weight (64-byte alignment expected for the buffer).
size_t mmssr_qgemm_packed_size(int k, int n, int kdim);

/// Packs row-major int8 weight [n, kdim] into `dst` (mmssr_qgemm_packed_size bytes, 64-byte aligned).
void mmssr_qgemm_pack(int k, const int8_t *w, int n, int kdim, void *dst);

/// Bytes of one quantised activation row for kernel `k` (rows are laid out at this stride).
size_t mmssr_qgemm_act_row_bytes(int k, int kdim);

/// Quantises rows [m_lo, m_hi) of row-major fp32 x[*, kdim] into qa (row stride act_row_bytes) and
/// writes each row's scale to a_scale[m]. If col_scale is not NULL, x[m][k] * col_scale[k] is quantised
/// instead of x[m][k] (SmoothQuant's per-channel division, as a multiplier).
void mmssr_qgemm_quantize(int k, const float *x, const float *col_scale, int kdim, int m_lo, int m_hi, void *qa,
                          float *a_scale);

/// Rows [m_lo, m_hi) x columns [n_lo, n_hi) of the product (n_lo a multiple of the panel width).
/// If out_i32 is non-NULL it receives the exact integer sums (row stride n), else out (row stride n)
/// receives the dequantised fp32 result; bias may be NULL.
void mmssr_qgemm_compute(int k, const void *packed, const void *qa, int n, int kdim,
                         int m_lo, int m_hi, int n_lo, int n_hi,
                         const float *a_scale, const float *w_scale, const float *bias,
                         float *out, int32_t *out_i32);

/// Rows per cache block of mmssr_qgemm_forward: the rows the kernel multiplies in one pass over the weights.
int mmssr_qgemm_cache_rows(int k, int kdim);

/// Quantise-and-multiply for rows [m_lo, m_hi) and all columns, block by block of up to cache_rows rows so
/// each block's quantised rows (kept in a buffer of the calling thread's, reused across calls) are still in
/// cache when multiplied, and the next block's fp32 rows are prefetched while the current one is multiplied.
/// Same results as quantize + compute.
void mmssr_qgemm_forward(int k, const void *packed, const float *x, const float *col_scale, int n, int kdim, int m_lo,
                         int m_hi, const float *w_scale, const float *bias, float *out);

/// Core clock in GHz, from a chain of dependent 1-cycle adds timed against the wall clock.
double mmssr_measure_ghz(void);

/// Measured vpdpbusd zmm instructions retired per cycle at `ghz` (0 if VNNI is unsupported).
double mmssr_measure_vnni_per_cycle(double ghz);

/// Measured ymm vpmaddwd + vpaddd pairs (16 int8-range products accumulated) per cycle at `ghz`: the AVX2
/// kernel's step (0 if AVX2 is unsupported).
double mmssr_measure_avx2_madd_per_cycle(double ghz);

#endif
