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

#endif
