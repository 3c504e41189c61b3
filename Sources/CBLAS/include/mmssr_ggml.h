#ifndef MMSSR_GGML_H
#define MMSSR_GGML_H

// Dequantisation of ggml's tensor types (llama.cpp's GGUF files) to fp32, with ggml's arithmetic (the values
// equal the `gguf` package's quants.dequantize bit for bit).

#include <stddef.h>
#include <stdint.h>

/// 1 if `type` (a ggml_type number: F32 0, F16 1, Q4_0 2, Q4_1 3, Q5_0 6, Q5_1 7, Q8_0 8, Q4_K 12, Q5_K 13,
/// Q6_K 14, BF16 30) can be dequantised here.
int mmssr_ggml_supported(int type);

/// Dequantises `blocks` whole blocks of `type` at `src` into dst (blocks x the type's block size floats).
/// Returns 0, or -1 if the type is unsupported.
int mmssr_ggml_dequantize(int type, const void *src, size_t blocks, float *dst);

#endif
