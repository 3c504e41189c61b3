#ifndef MMSSR_CBLAS_H
#define MMSSR_CBLAS_H

// OpenBLAS (Debian's libopenblas-dev) for fp32 GEMM.
#include <cblas.h>

// Our quantised kernels.
#include "mmssr_qgemm.h"
#include "mmssr_ops.h"
#include "mmssr_attention.h"

void mmssr_blas_set_threads(int n);
int mmssr_blas_get_threads(void);

// This thread runs Parallel's work inline while inside Parallel.serially (nestable).
void mmssr_serial_enter(void);
void mmssr_serial_exit(void);
int mmssr_serial_active(void);

// The OPENBLAS_CORETYPE this CPU's features call for when OpenBLAS fell back to its generic kernels,
// else NULL (also when OPENBLAS_CORETYPE is already set: the user's choice stands).
const char *mmssr_blas_better_core(void);

#endif
