// mmssr's int8 GEMM beside oneDNN's dnnl_gemm_u8s8s32 (Debian's libdnnl) on the `mmssr bench gemm` shapes,
// in one run: a well-tuned vendor library as the yardstick for "fraction of peak". Built and run by
// tools/bench_vs_onednn.sh. Both sides get the same int8 operands; every round runs each product once
// (so a slow spell on a shared host falls on all alike); 1-thread figures use thread CPU time, figures on
// more threads wall time. What each side does per call:
//   oneDNN  u8 A x s8 B^T -> int32 C: packs both operands on every call, no dequantisation.
//   mmssr   prepacked weights, int8 rows -> fp32 with both scales and the bias ('kernel'), and the same
//           from fp32 rows including their per-row quantisation ('+q', what QuantizedLinear.forward does).
#include "mmssr_qgemm.h"

#include <dnnl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { ROUNDS = 21 };

static double seconds(int cpu) {
    struct timespec t;
    clock_gettime(cpu ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int by_value(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct {
    int kernel, m_lo, m_hi, n, k, with_quantisation;
    const void *packed, *x_q;
    const float *x, *w_scale, *bias;
    float *a_scale, *out;
} mmssr_part;

static void *mmssr_run(void *arg) {
    const mmssr_part *p = arg;
    if (p->with_quantisation)
        mmssr_qgemm_forward(p->kernel, p->packed, p->x, NULL, p->n, p->k, p->m_lo, p->m_hi, p->w_scale, p->bias,
                            p->out);
    else
        mmssr_qgemm_compute(p->kernel, p->packed, p->x_q, p->n, p->k, p->m_lo, p->m_hi, 0, p->n, p->a_scale,
                            p->w_scale, p->bias, p->out, NULL);
    return NULL;
}

// One mmssr product on `threads` threads, rows split on register-block boundaries as QuantizedLinear does.
static void mmssr_product(mmssr_part base, int m, int threads) {
    pthread_t t[8];
    mmssr_part parts[8];
    const int block = mmssr_qgemm_row_block(base.kernel), blocks = (m + block - 1) / block;
    for (int i = 0; i < threads; i++) {
        parts[i] = base;
        parts[i].m_lo = blocks * i / threads * block;
        parts[i].m_hi = blocks * (i + 1) / threads * block;
        if (parts[i].m_hi > m) parts[i].m_hi = m;
        if (i > 0) pthread_create(&t[i], NULL, mmssr_run, &parts[i]);
    }
    mmssr_run(&parts[0]);
    for (int i = 1; i < threads; i++) pthread_join(t[i], NULL);
}

int main(int argc, char **argv) {
    const int threads = argc > 1 ? atoi(argv[1]) : 1;
    if (threads < 1 || threads > 8) {
        fprintf(stderr, "usage: %s THREADS (1-8; set OMP_NUM_THREADS to the same for oneDNN)\n", argv[0]);
        return 2;
    }
    const int kernel = mmssr_qgemm_best_kernel();
    const double ghz = mmssr_measure_ghz(), peak = mmssr_measure_vnni_per_cycle(ghz) * 128 * ghz * threads;
    static const char *const names[] = {"scalar", "avx2", "vnni", "amx"};
    printf("%d thread(s); mmssr kernel %s; VNNI peak %.0f GOP/s (%.2f GHz, measured as bench gemm does)\n", threads,
           names[kernel], peak, ghz);
    printf("GOP/s median [best] of %d rounds, and %% of that peak\n", ROUNDS);
    printf("    M     K     N | oneDNN u8s8s32        | mmssr kernel          | mmssr +q              | kernel/oneDNN\n");
    static const int shapes[][3] = {{2056, 384, 1152}, {2056, 384, 384}, {2056, 384, 1536}, {2056, 1536, 384},
                                    {4096, 384, 384},  {4096, 384, 1536}, {4096, 1536, 384}};
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        const int m = shapes[s][0], k = shapes[s][1], n = shapes[s][2];
        float *x = malloc(sizeof(float) * m * k), *w_scale = malloc(sizeof(float) * n), *bias = malloc(sizeof(float) * n);
        float *out = aligned_alloc(64, sizeof(float) * m * n), *a_scale = malloc(sizeof(float) * m);
        int8_t *w = malloc((size_t)n * k);
        int32_t *c = aligned_alloc(64, sizeof(int32_t) * m * n), c_offset = 0;
        uint64_t state = 0x9E3779B97F4A7C15ull * (s + 1);
        for (size_t i = 0; i < (size_t)m * k; i++) {
            state = state * 6364136223846793005ull + 1442695040888963407ull;
            x[i] = (float)((int64_t)(state >> 40) % 2000) / 400.0f;
        }
        for (size_t i = 0; i < (size_t)n * k; i++) w[i] = (int8_t)(i * 2654435761u >> 24);
        for (int i = 0; i < n; i++) w_scale[i] = 0.01f, bias[i] = (float)i / n;
        void *packed = aligned_alloc(64, (mmssr_qgemm_packed_size(kernel, n, k) + 63) / 64 * 64);
        void *qa_fixed = aligned_alloc(64, (mmssr_qgemm_act_row_bytes(kernel, k) * m + 63) / 64 * 64);
        mmssr_qgemm_pack(kernel, w, n, k, packed);
        mmssr_qgemm_quantize(kernel, x, NULL, k, 0, m, qa_fixed, a_scale);
        // oneDNN multiplies the same integers: mmssr's u8 rows are q + 128 for the VNNI and AMX kernels,
        // and oneDNN takes u8 A as is (the offset only shifts the sums; the work is identical).
        const uint8_t *a_u8 = qa_fixed;
        const int stride = (int)mmssr_qgemm_act_row_bytes(kernel, k);
        mmssr_part base = {kernel, 0, m, n, k, 0, packed, qa_fixed, x, w_scale, bias, a_scale, out};
        double runs[3][ROUNDS];
        for (int r = -1; r < ROUNDS; r++) {
            double t0 = seconds(threads == 1);
            if (dnnl_gemm_u8s8s32('N', 'T', 'F', m, n, k, 1.0f, a_u8, stride, 0, w, k, 0, 0.0f, c, n, &c_offset) != dnnl_success) {
                fprintf(stderr, "dnnl_gemm_u8s8s32 failed on %dx%dx%d\n", m, k, n);
                return 1;
            }
            double t1 = seconds(threads == 1);
            base.with_quantisation = 0;
            mmssr_product(base, m, threads);
            double t2 = seconds(threads == 1);
            base.with_quantisation = 1;
            mmssr_product(base, m, threads);
            double t3 = seconds(threads == 1);
            if (r >= 0) runs[0][r] = t1 - t0, runs[1][r] = t2 - t1, runs[2][r] = t3 - t2;
        }
        const double ops = 2.0 * m * n * k * 1e-9;
        printf("%5d %5d %5d", m, k, n);
        double median[3];
        for (int i = 0; i < 3; i++) {
            qsort(runs[i], ROUNDS, sizeof(double), by_value);
            median[i] = runs[i][ROUNDS / 2];
            printf(" | %5.0f [%5.0f] ", ops / median[i], ops / runs[i][0]);
            if (peak > 0) printf("%4.0f%%", 100 * ops / median[i] / peak);
            else printf("    -");
        }
        printf(" | %.2fx\n", median[0] / median[1]);
        free(x), free(w_scale), free(bias), free(out), free(a_scale), free(w), free(c), free(packed), free(qa_fixed);
    }
    return 0;
}
