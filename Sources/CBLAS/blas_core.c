#include "CBLAS.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

// OpenBLAS's DYNAMIC_ARCH build picks its kernels from the CPU model number. CPUs newer than the library (or
// a hypervisor hiding the model) fall back to "Prescott": SSE3 kernels at ~1/6 of the AVX-512 rate; AVX2
// kernels ("Haswell", "Zen") on an AVX-512 CPU run sgemm at half the SkylakeX rate (measured on Zen 5). The
// feature flags tell us what the CPU can really run; OPENBLAS_CORETYPE is OpenBLAS's documented way to
// choose, read once when the library loads, so the caller re-executes with it set.
static int core_is(const char *core, const char *const *names, size_t count) {
    for (size_t i = 0; i < count; i++)
        if (strcasecmp(core, names[i]) == 0) return 1;
    return 0;
}

const char *mmssr_blas_core_above(const char *core) {
    if (!core) return NULL;
#if defined(__x86_64__)
    static const char *const avx512_cores[] = {"skylakex", "cooperlake", "sapphirerapids"};
    static const char *const avx2_cores[] = {"haswell", "zen", "skylakex", "cooperlake", "sapphirerapids"};
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512cd"))
        return core_is(core, avx512_cores, sizeof avx512_cores / sizeof *avx512_cores) ? NULL : "SkylakeX";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return core_is(core, avx2_cores, sizeof avx2_cores / sizeof *avx2_cores) ? NULL : "Haswell";
#endif
    return NULL;
}

const char *mmssr_blas_better_core(void) {
    return getenv("OPENBLAS_CORETYPE") ? NULL : mmssr_blas_core_above(openblas_get_corename());
}

// Our fp32 Linear gives each row the same bits in any batch only if sgemm does not round a row differently
// for its place in the call. OpenBLAS's AVX2 kernels ("Haswell", "Zen") do on Zen 5 (measured: about 1 in 10
// outputs move in the last bit when the rows shift by one); the AVX-512 ones do not. So: compute a small
// product, again with its rows shifted, and compare.
int mmssr_blas_rows_independent(void) {
    enum { M = 64, K = 37, N = 23 };
    float a[M * K], shifted[M * K], b[N * K], c[M * N], c2[M * N];
    uint32_t state = 12345;
    for (int i = 0; i < M * K; i++) a[i] = (float)((state = state * 1664525u + 1013904223u) >> 8) / (float)(1u << 24) - 0.5f;
    for (int i = 0; i < N * K; i++) b[i] = (float)((state = state * 1664525u + 1013904223u) >> 8) / (float)(1u << 24) - 0.5f;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1, a, K, b, K, 0, c, N);
    static const int shifts[] = {1, 3, 16};
    for (size_t s = 0; s < sizeof shifts / sizeof *shifts; s++) {
        const int shift = shifts[s];
        memset(shifted, 0, sizeof shifted);
        memcpy(shifted, a + shift * K, sizeof(float) * (M - shift) * K);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1, shifted, K, b, K, 0, c2, N);
        if (memcmp(c2, c + shift * N, sizeof(float) * (M - shift) * N) != 0) return 0;
    }
    return 1;
}
