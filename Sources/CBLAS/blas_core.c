#include "CBLAS.h"

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
