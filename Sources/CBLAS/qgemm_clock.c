// Machine measurements for `mmssr bench gemm`: the core clock and the achievable vpdpbusd (and AVX2
// vpmaddwd + vpaddd) rates, so GEMM throughput can be stated as a fraction of this machine's peak rather
// than a datasheet number.

#include "mmssr_qgemm.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <time.h>

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

// 20 dependent register adds per iteration: 1-cycle latency on every x86 core, so the chain runs at one
// add per cycle whatever the width of the machine. (Adds of an immediate are no good: Golden Cove folds
// them at rename and runs such a chain several times faster than the clock.) Tries are short so most
// run without being descheduled on a shared machine; the fastest is kept.
static double add_chain_seconds(long iterations) {
    long x = 0, one = 1, n = iterations;
    double t0 = now_seconds();
    __asm__ volatile("1:\n\t"
                     ".rept 20\n\tadd %2, %0\n\t.endr\n\t"
                     "dec %1\n\tjnz 1b\n\t"
                     : "+r"(x), "+r"(n)
                     : "r"(one));
    return now_seconds() - t0;
}

double mmssr_measure_ghz(void) {
    const long iterations = 50000;  // 1 M cycles, well under a scheduler slice
    double best = 1e30;
    for (int i = 0; i < 200; i++) {
        double t = add_chain_seconds(iterations);
        if (t < best) best = t;
    }
    return 20.0 * (double)iterations / best * 1e-9;
}

// 12 independent accumulators cover vpdpbusd's latency (5 cycles) at up to 2 issues per cycle.
__attribute__((target("avx512f,avx512vnni"))) static double vnni_seconds(long iterations, int *sink) {
    __m512i acc[12];
    for (int i = 0; i < 12; i++) acc[i] = _mm512_set1_epi32(i);
    const __m512i a = _mm512_set1_epi8(3), b = _mm512_set1_epi8(-5);
    double t0 = now_seconds();
    for (long it = 0; it < iterations; it++) {
        for (int i = 0; i < 12; i++) acc[i] = _mm512_dpbusd_epi32(acc[i], a, b);
        __asm__ volatile("" : "+v"(acc[0]), "+v"(acc[1]), "+v"(acc[2]), "+v"(acc[3]), "+v"(acc[4]), "+v"(acc[5]),
                         "+v"(acc[6]), "+v"(acc[7]), "+v"(acc[8]), "+v"(acc[9]), "+v"(acc[10]), "+v"(acc[11]));
    }
    double t = now_seconds() - t0;
    __m512i s = acc[0];
    for (int i = 1; i < 12; i++) s = _mm512_add_epi32(s, acc[i]);
    *sink = _mm512_reduce_add_epi32(s);
    return t;
}

double mmssr_measure_vnni_per_cycle(double ghz) {
    if (!mmssr_qgemm_supported(MMSSR_QK_VNNI) || ghz <= 0) return 0;
    const long iterations = 20000;
    double best = 1e30;
    int sink = 0;
    for (int i = 0; i < 200; i++) {
        double t = vnni_seconds(iterations, &sink);
        if (t < best) best = t;
    }
    (void)sink;
    return 12.0 * (double)iterations / best / (ghz * 1e9);
}

// The AVX2 kernel's exact step: vpmaddwd (16 int16 products summed in pairs) then vpaddd into the int32
// accumulator, 12 independent accumulators. In assembly: with constant operands the compiler would compute
// the product once and time only the adds.
__attribute__((target("avx2"))) static double avx2_seconds(long iterations) {
    long n = iterations;
    double t0 = now_seconds();
#define AVX2_STEP(acc) "vpmaddwd %%ymm13, %%ymm12, %%ymm14\n\tvpaddd %%ymm14, " acc ", " acc "\n\t"
    __asm__ volatile("vpxor %%ymm12, %%ymm12, %%ymm12\n\tvpxor %%ymm13, %%ymm13, %%ymm13\n\t"
                     "1:\n\t" AVX2_STEP("%%ymm0") AVX2_STEP("%%ymm1") AVX2_STEP("%%ymm2") AVX2_STEP("%%ymm3")
                     AVX2_STEP("%%ymm4") AVX2_STEP("%%ymm5") AVX2_STEP("%%ymm6") AVX2_STEP("%%ymm7") AVX2_STEP("%%ymm8")
                     AVX2_STEP("%%ymm9") AVX2_STEP("%%ymm10") AVX2_STEP("%%ymm11")
                     "dec %0\n\tjnz 1b\n\tvzeroupper"
                     : "+r"(n)
                     :
                     : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11",
                       "xmm12", "xmm13", "xmm14");
#undef AVX2_STEP
    return now_seconds() - t0;
}

double mmssr_measure_avx2_madd_per_cycle(double ghz) {
    if (!mmssr_qgemm_supported(MMSSR_QK_AVX2) || ghz <= 0) return 0;
    const long iterations = 20000;
    double best = 1e30;
    for (int i = 0; i < 200; i++) {
        double t = avx2_seconds(iterations);
        if (t < best) best = t;
    }
    return 12.0 * (double)iterations / best / (ghz * 1e9);
}
#else
double mmssr_measure_ghz(void) { return 0; }
double mmssr_measure_vnni_per_cycle(double ghz) { (void)ghz; return 0; }
double mmssr_measure_avx2_madd_per_cycle(double ghz) { (void)ghz; return 0; }
#endif
