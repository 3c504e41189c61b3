// Kernel selection and the public entry points of mmssr_qgemm.h.

#include "mmssr_qgemm.h"
#include "qgemm_internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

int mmssr_qgemm_supported(int k) {
    switch (k) {
    case MMSSR_QK_SCALAR: return 1;
#if defined(__x86_64__)
    case MMSSR_QK_AVX2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case MMSSR_QK_VNNI:
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
    case MMSSR_QK_AMX: return qgemm_amx_supported();
#endif
    default: return 0;
    }
}

int mmssr_qgemm_best_kernel(void) {
    if (mmssr_qgemm_supported(MMSSR_QK_AMX)) return MMSSR_QK_AMX;
    if (mmssr_qgemm_supported(MMSSR_QK_VNNI)) return MMSSR_QK_VNNI;
    if (mmssr_qgemm_supported(MMSSR_QK_AVX2)) return MMSSR_QK_AVX2;
    return MMSSR_QK_SCALAR;
}

int mmssr_qgemm_parse_kernel(const char *name) {
    static const char *const names[] = {"scalar", "avx2", "vnni", "amx"};
    for (int k = 0; k < 4; k++)
        if (strcmp(name, names[k]) == 0) return mmssr_qgemm_supported(k) ? k : -2;
    return -1;
}

int mmssr_qgemm_panel_width(int k) {
#if defined(__x86_64__)
    if (k == MMSSR_QK_AVX2) return QGEMM_AVX2_NR;
    if (k == MMSSR_QK_VNNI || k == MMSSR_QK_AMX) return QGEMM_VNNI_NR;
#endif
    (void)k;
    return 1;
}

int mmssr_qgemm_row_block(int k) {
#if defined(__x86_64__)
    if (k == MMSSR_QK_AVX2) return QGEMM_AVX2_MR;
    if (k == MMSSR_QK_VNNI) return QGEMM_VNNI_MR;
    if (k == MMSSR_QK_AMX) return QGEMM_AMX_MR;
#endif
    (void)k;
    return 1;
}

size_t mmssr_qgemm_packed_size(int k, int n, int kdim) {
#if defined(__x86_64__)
    if (k == MMSSR_QK_AVX2) return qgemm_avx2_packed_size(n, kdim);
    if (k == MMSSR_QK_VNNI) return qgemm_vnni_packed_size(n, kdim);
    if (k == MMSSR_QK_AMX) return qgemm_amx_packed_size(n, kdim);
#endif
    (void)k;
    return qgemm_scalar_packed_size(n, kdim);
}

void mmssr_qgemm_pack(int k, const int8_t *w, int n, int kdim, void *dst) {
    (void)k;
#if defined(__x86_64__)
    if (k == MMSSR_QK_AVX2) { qgemm_avx2_pack(w, n, kdim, dst); return; }
    if (k == MMSSR_QK_VNNI) { qgemm_vnni_pack(w, n, kdim, dst); return; }
    if (k == MMSSR_QK_AMX) { qgemm_amx_pack(w, n, kdim, dst); return; }
#endif
    qgemm_scalar_pack(w, n, kdim, dst);
}

size_t mmssr_qgemm_act_row_bytes(int k, int kdim) {
#if defined(__x86_64__)
    if (k == MMSSR_QK_AVX2) return qgemm_avx2_act_row_bytes(kdim);
    if (k == MMSSR_QK_VNNI) return qgemm_vnni_act_row_bytes(kdim);
    if (k == MMSSR_QK_AMX) return qgemm_amx_act_row_bytes(kdim);
#endif
    (void)k;
    return qgemm_scalar_act_row_bytes(kdim);
}

void mmssr_qgemm_quantize(int k, const float *x, const float *col_scale, int kdim, int m_lo, int m_hi, void *qa,
                          float *a_scale) {
    (void)k;
#if defined(__x86_64__)
    if (k == MMSSR_QK_AVX2) { qgemm_avx2_quantize(x, col_scale, kdim, m_lo, m_hi, qa, a_scale); return; }
    if (k == MMSSR_QK_VNNI) { qgemm_vnni_quantize(x, col_scale, kdim, m_lo, m_hi, qa, a_scale); return; }
    if (k == MMSSR_QK_AMX) { qgemm_amx_quantize(x, col_scale, kdim, m_lo, m_hi, qa, a_scale); return; }
#endif
    qgemm_scalar_quantize(x, col_scale, kdim, m_lo, m_hi, qa, a_scale);
}

static void compute(int k, const void *packed, const void *qa, int kdim, int m_lo, int m_hi, int n_lo, int n_hi,
                    const qgemm_epilogue *ep) {
    (void)k;
#if defined(__x86_64__)
    if (k == MMSSR_QK_AVX2) { qgemm_avx2_compute(packed, qa, kdim, m_lo, m_hi, n_lo, n_hi, ep); return; }
    if (k == MMSSR_QK_VNNI) { qgemm_vnni_compute(packed, qa, kdim, m_lo, m_hi, n_lo, n_hi, ep); return; }
    if (k == MMSSR_QK_AMX) { qgemm_amx_compute(packed, qa, kdim, m_lo, m_hi, n_lo, n_hi, ep); return; }
#endif
    qgemm_scalar_compute(packed, qa, kdim, m_lo, m_hi, n_lo, n_hi, ep);
}

void mmssr_qgemm_compute(int k, const void *packed, const void *qa, int n, int kdim, int m_lo, int m_hi, int n_lo,
                         int n_hi, const float *a_scale, const float *w_scale, const float *bias, float *out,
                         int32_t *out_i32) {
    const qgemm_epilogue ep = {n, a_scale, w_scale, bias, out, out_i32, NULL, 0};
    compute(k, packed, qa, kdim, m_lo, m_hi, n_lo, n_hi, &ep);
}

int mmssr_qgemm_cache_rows(int k, int kdim) {
#if defined(__x86_64__)
    if (k == MMSSR_QK_VNNI) return QGEMM_VNNI_MC;
    if (k == MMSSR_QK_AMX) return qgemm_amx_pass_rows(kdim);
#endif
    (void)k;
    (void)kdim;
    return 48;
}

// Each thread's quantised rows live in a buffer of its own, kept across calls: a fresh buffer's pages were
// faulted in and zeroed on every call (about a tenth of a one-image product's samples in a profile), and
// the stack holds too few rows of a wide input for the weights to be read once per many rows.
typedef struct {
    void *bytes;
    size_t size;
} qa_buffer;

static pthread_key_t qa_key;
static pthread_once_t qa_key_once = PTHREAD_ONCE_INIT;

static void qa_buffer_free(void *p) {
    free(((qa_buffer *)p)->bytes);
    free(p);
}

static void qa_key_make(void) {
    if (pthread_key_create(&qa_key, qa_buffer_free) != 0) abort();
}

static void *thread_qa_buffer(size_t size) {
    pthread_once(&qa_key_once, qa_key_make);
    qa_buffer *b = pthread_getspecific(qa_key);
    if (!b) {
        b = calloc(1, sizeof *b);
        if (!b || pthread_setspecific(qa_key, b) != 0) abort();
    }
    if (b->size < size) {
        free(b->bytes);
        b->size = qgemm_round_up(size, 64);
        b->bytes = aligned_alloc(64, b->size);
        if (!b->bytes) abort();
    }
    return b->bytes;
}

// Quantised rows a thread keeps at most (a block of rows is quantised whole before its product).
enum { QA_BUFFER_BYTES = 8 << 20 };

void mmssr_qgemm_forward(int k, const void *packed, const float *x, const float *col_scale, int n, int kdim, int m_lo,
                         int m_hi, const float *w_scale, const float *bias, float *out) {
    if (m_lo >= m_hi) return;
    const size_t row_bytes = mmssr_qgemm_act_row_bytes(k, kdim);
    const int step = mmssr_qgemm_row_block(k);
    int block = mmssr_qgemm_cache_rows(k, kdim);
    if ((size_t)block * row_bytes > QA_BUFFER_BYTES) block = (int)(QA_BUFFER_BYTES / row_bytes) / step * step;
    if (block < step) block = step;
    if (block > m_hi - m_lo) block = m_hi - m_lo;
    uint8_t *qa = thread_qa_buffer((size_t)block * row_bytes);
    float a_scale[block];
    for (int m = m_lo; m < m_hi; m += block) {
        const int hi = m_hi - m < block ? m_hi : m + block;
        const int next = m_hi - hi < block ? m_hi - hi : block;
        const qgemm_epilogue ep = {n, a_scale, w_scale, bias, out + (size_t)m * n, NULL, x + (size_t)hi * kdim, next};
        mmssr_qgemm_quantize(k, x + (size_t)m * kdim, col_scale, kdim, 0, hi - m, qa, a_scale);
        compute(k, packed, qa, kdim, 0, hi - m, 0, n, &ep);
    }
}
