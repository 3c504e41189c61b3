#include "CBLAS.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

// OpenBLAS's DYNAMIC_ARCH build picks its kernels from the CPU model number. CPUs newer than the library
// (or a hypervisor hiding the model) fall back to "Prescott": SSE3 kernels at ~1/6 of the AVX-512 rate.
// The feature flags tell us what the CPU can really run; OPENBLAS_CORETYPE is OpenBLAS's documented way
// to choose, read once when the library loads, so the caller re-executes with it set.
const char *mmssr_blas_better_core(void) {
    if (getenv("OPENBLAS_CORETYPE")) return NULL;
    const char *core = openblas_get_corename();
    if (!core) return NULL;
    static const char *const fallbacks[] = {"prescott", "core2", "penryn", "dunnington", "nehalem", "atom", "unknown"};
    int fell_back = 0;
    for (size_t i = 0; i < sizeof fallbacks / sizeof *fallbacks; i++) fell_back |= strcasecmp(core, fallbacks[i]) == 0;
    if (!fell_back) return NULL;
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512cd"))
        return "SkylakeX";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
#endif
    return NULL;
}
