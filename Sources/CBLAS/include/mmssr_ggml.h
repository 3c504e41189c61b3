#ifndef MMSSR_GGML_H
#define MMSSR_GGML_H

// Dequantisation of ggml tensor types (as llama.cpp writes them) to fp32, bit-equal to ggml's reference C
// (and to the `gguf` package's numpy): every product and sum is one fp32 operation, in ggml's order, never
// fused. A run of whole blocks at a time, so a caller converts any row range of a matrix (rows of a ggml
// matrix are whole blocks) and can split a tensor across threads without holding it twice.

#include <stddef.h>

enum {
    MMSSR_DK_SCALAR = 0,  // portable C, the reference arithmetic
    MMSSR_DK_AVX512 = 1,  // AVX-512 F/BW/VL + F16C
};

// ggml_type ids of the types decoded here (the values of GGUF's tensor type field).
enum {
    MMSSR_GGML_F32 = 0, MMSSR_GGML_F16 = 1, MMSSR_GGML_Q4_0 = 2, MMSSR_GGML_Q4_1 = 3,
    MMSSR_GGML_Q5_0 = 6, MMSSR_GGML_Q5_1 = 7, MMSSR_GGML_Q8_0 = 8,
    MMSSR_GGML_Q2_K = 10, MMSSR_GGML_Q3_K = 11, MMSSR_GGML_Q4_K = 12, MMSSR_GGML_Q5_K = 13, MMSSR_GGML_Q6_K = 14,
    MMSSR_GGML_I8 = 24, MMSSR_GGML_BF16 = 30,
};

/// 1 if this CPU (and this build) can run dequantisation kernel `kernel`.
int mmssr_ggml_dequant_supported(int kernel);

/// The fastest supported dequantisation kernel.
int mmssr_ggml_dequant_best_kernel(void);

/// 1 if `type` is a ggml type decoded here.
int mmssr_ggml_type_supported(int type);

/// Decodes `n` values of ggml type `type` from `src` (the first byte of a block) into dst[0, n).
/// Returns 0, or -1 when the type is not decoded here, the kernel is unsupported, or n is not a whole
/// number of the type's blocks (nothing is written then).
int mmssr_ggml_dequantize(int kernel, int type, const void *src, float *dst, size_t n);

#endif
