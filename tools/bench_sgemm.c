// mmssr_sgemm (Sources/CBLAS/sgemm.c) against OpenBLAS cblas_sgemm on one thread, on the shapes fp32 Linear
// runs. Build and run: tools/bench_sgemm.sh [kernel]
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "mmssr_sgemm.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

int main(int argc, char **argv) {
    // An optional argument forces a kernel (0 scalar, 1 AVX2, 2 AVX-512).
    const int kernel = argc > 1 ? atoi(argv[1]) : mmssr_sgemm_best();
    openblas_set_num_threads(1);
    static const int shapes[][3] = {{2, 1536, 384}, {8, 1536, 384}, {32, 1536, 384}, {128, 1536, 384}, {256, 1536, 384},
                                    {8, 384, 1536}, {128, 384, 1536}, {8, 768, 78}, {256, 768, 78}};
    printf("OpenBLAS %s; mmssr_sgemm kernel %d; GFLOP/s, median of 7, thread CPU time\n", openblas_get_corename(), kernel);
    printf("    M     K     N   sgemm  mmssr  ratio\n");
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        const int m = shapes[s][0], k = shapes[s][1], n = shapes[s][2];
        float *x = malloc(sizeof(float) * m * k), *w = malloc(sizeof(float) * n * k), *y = malloc(sizeof(float) * m * n);
        float *packed = malloc(sizeof(float) * mmssr_sgemm_packed_count(n, k));
        for (int i = 0; i < m * k; i++) x[i] = (float)(rand() % 1000) / 1000 - 0.5f;
        for (int i = 0; i < n * k; i++) w[i] = (float)(rand() % 1000) / 1000 - 0.5f;
        mmssr_sgemm_pack(w, 1, n, k, packed);
        const double flop = 2.0 * m * n * k;
        const int reps = (int)(2e8 / flop) + 1;
        double best[2];
        for (int which = 0; which < 2; which++) {
            double t[7];
            for (int r = 0; r < 7; r++) {
                const double t0 = now();
                for (int i = 0; i < reps; i++) {
                    if (which == 0) cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1, x, k, w, k, 0, y, n);
                    else mmssr_sgemm(kernel, x, m, k, k, packed, n, 0, (size_t)-1, NULL, y, n);
                }
                t[r] = now() - t0;
            }
            for (int a = 0; a < 7; a++)
                for (int b = a + 1; b < 7; b++)
                    if (t[b] < t[a]) { double v = t[a]; t[a] = t[b]; t[b] = v; }
            best[which] = flop * reps / t[3] / 1e9;
        }
        printf("%5d %5d %5d %7.1f %6.1f %6.2f\n", m, k, n, best[0], best[1], best[1] / best[0]);
        free(x); free(w); free(y); free(packed);
    }
    return 0;
}
