#ifndef MMSSR_QGEMM_H
#define MMSSR_QGEMM_H
// Placeholder: the int8 GEMM API lands with the quantised kernels.
#endif
