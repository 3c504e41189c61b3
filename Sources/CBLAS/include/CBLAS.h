#ifndef MMSSR_CBLAS_H
#define MMSSR_CBLAS_H

// OpenBLAS (Debian's libopenblas-dev) for fp32 GEMM.
#include <cblas.h>

// Our quantised kernels.
#include "mmssr_qgemm.h"
#include "mmssr_ops.h"
#include "mmssr_attention.h"
#include "mmssr_lm.h"
#include "mmssr_ggml.h"

void mmssr_blas_set_threads(int n);
int mmssr_blas_get_threads(void);

// This thread runs Parallel's work inline while inside Parallel.serially (nestable).
void mmssr_serial_enter(void);
void mmssr_serial_exit(void);
int mmssr_serial_active(void);

// The OPENBLAS_CORETYPE this CPU's features call for if OpenBLAS kernels named `core` are for an older
// instruction set (generic SSE3, or AVX2 on an AVX-512 CPU), else NULL.
const char *mmssr_blas_core_above(const char *core);

// 1 if OpenBLAS's sgemm gives a row the same bits wherever it sits among the rows of a call (what makes fp32
// Linear batch-independent), 0 if the running kernels round rows by position.
int mmssr_blas_rows_independent(void);

// mmssr_blas_core_above(the running core), or NULL (also when OPENBLAS_CORETYPE is already set: the user's choice stands).
const char *mmssr_blas_better_core(void);

// Sets OPENBLAS_CORETYPE to `core` for a re-executed mmssr, marked as mmssr's choice.
void mmssr_blas_choose_core(const char *core);

// OPENBLAS_CORETYPE if the user set it (not mmssr_blas_choose_core), else NULL.
const char *mmssr_blas_user_core(void);

#endif
