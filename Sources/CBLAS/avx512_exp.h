#ifndef MMSSR_AVX512_EXP_H
#define MMSSR_AVX512_EXP_H

// The AVX-512 exp of the softmax kernels (attention.c, lm_attention.c). x86-64 only.

#include <immintrin.h>

#define AVX512_TARGET __attribute__((target("avx512f")))
#define AVX512_INLINE static inline __attribute__((always_inline)) AVX512_TARGET

// exp(x) for x <= 0 (scores minus their max): 2^k * p(r) as mmssr_expf, with the 2^k applied by vscalefps.
// The clamp keeps -inf or huge negative gaps finite (exp underflows to ~0 there anyway).
AVX512_INLINE __m512 exp512(__m512 x) {
    x = _mm512_max_ps(x, _mm512_set1_ps(-87.3f));
    const __m512 k = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                          _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(k, _mm512_set1_ps(0.693145751953125f), x);
    r = _mm512_fnmadd_ps(k, _mm512_set1_ps(1.428606765330187045e-06f), r);
    __m512 p = _mm512_set1_ps(1.0f / 720.0f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(p, k);
}

#endif
