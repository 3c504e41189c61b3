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
#if defined(__x86_64__)
static int core_is(const char *core, const char *const *names, size_t count) {
    for (size_t i = 0; i < count; i++)
        if (strcasecmp(core, names[i]) == 0) return 1;
    return 0;
}
#endif

// Only cores known to be older are lifted: a name we do not know may be newer than our choice.
const char *mmssr_blas_core_above(const char *core) {
    if (!core) return NULL;
#if defined(__x86_64__)
    static const char *const below_avx2[] = {"prescott", "core2",    "penryn",    "dunnington", "nehalem",   "atom",
                                             "opteron",  "opteron_sse3", "barcelona", "bobcat", "sandybridge",
                                             "bulldozer", "piledriver", "steamroller", "excavator", "unknown"};
    static const char *const avx2_level[] = {"haswell", "zen"};
    const int below = core_is(core, below_avx2, sizeof below_avx2 / sizeof *below_avx2);
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512cd"))
        return below || core_is(core, avx2_level, sizeof avx2_level / sizeof *avx2_level) ? "SkylakeX" : NULL;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return below ? "Haswell" : NULL;
#endif
    return NULL;
}

const char *mmssr_blas_better_core(void) {
    return getenv("OPENBLAS_CORETYPE") ? NULL : mmssr_blas_core_above(openblas_get_corename());
}

// mmssr_blas_choose_core marks the variable as ours, so messages blame only a value the user set.
static const char *const chosen_marker = "MMSSR_CHOSE_OPENBLAS_CORETYPE";

void mmssr_blas_choose_core(const char *core) {
    setenv("OPENBLAS_CORETYPE", core, 1);
    setenv(chosen_marker, "1", 1);
}

const char *mmssr_blas_user_core(void) {
    return getenv(chosen_marker) ? NULL : getenv("OPENBLAS_CORETYPE");
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
    // Both weight layouts of Linear: [out, in] (B transposed) and [in, out].
    static const enum CBLAS_TRANSPOSE layouts[] = {CblasTrans, CblasNoTrans};
    static const int shifts[] = {1, 3, 16};
    for (size_t l = 0; l < sizeof layouts / sizeof *layouts; l++) {
        const int ldb = layouts[l] == CblasTrans ? K : N;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, layouts[l], M, N, K, 1, a, K, b, ldb, 0, c, N);
        for (size_t s = 0; s < sizeof shifts / sizeof *shifts; s++) {
            const int shift = shifts[s];
            memset(shifted, 0, sizeof shifted);
            memcpy(shifted, a + shift * K, sizeof(float) * (M - shift) * K);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, layouts[l], M, N, K, 1, shifted, K, b, ldb, 0, c2, N);
            if (memcmp(c2, c + shift * N, sizeof(float) * (M - shift) * N) != 0) return 0;
        }
    }
    return 1;
}
