#ifndef MMSSR_SGEMM_H
#define MMSSR_SGEMM_H
#include <stddef.h>

// fp32 product y = x W + bias whose every output is computed the same way wherever its row sits in the
// call, whatever the call's size and whichever kernel runs: y[i][j] = (fma chain over k = 0, 1, ..., K-1
// of x[i][k] * W[k][j], starting from 0) + bias[j]. Every kernel (AVX-512, AVX2, scalar) runs exactly that
// chain with fused multiply-adds, so they agree bit for bit, and sharded, batched and single runs score alike.

// Kernels; MMSSR_SG_AUTO picks the widest the CPU runs.
enum { MMSSR_SG_AUTO = -1, MMSSR_SG_SCALAR = 0, MMSSR_SG_AVX2 = 1, MMSSR_SG_AVX512 = 2 };

// Columns per packed panel.
enum { MMSSR_SG_PANEL = 16 };

// 1 if this CPU runs `kernel`.
int mmssr_sgemm_available(int kernel);

// The widest kernel this CPU runs.
int mmssr_sgemm_best(void);

// Floats a packed W of n outputs and k inputs takes: panels of MMSSR_SG_PANEL columns, zero-padded.
size_t mmssr_sgemm_packed_count(size_t n, size_t k);

// Packs W, given as [n][k] (out_in = 1, PyTorch's layout) or [k][n] (out_in = 0), into `packed`.
void mmssr_sgemm_pack(const float *w, int out_in, size_t n, size_t k, float *packed);

// y[m][ldy] columns [panel_begin * PANEL, min(n, panel_end * PANEL)) of the rows of x[m][ldx] times the
// packed W (k inputs, n outputs), plus bias (may be NULL). Disjoint panel or row ranges may run in parallel.
void mmssr_sgemm(int kernel, const float *x, size_t m, size_t ldx, size_t k, const float *packed, size_t n,
                 size_t panel_begin, size_t panel_end, const float *bias, float *y, size_t ldy);

#endif
