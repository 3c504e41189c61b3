#include "CBLAS.h"

// openblas_set_num_threads is declared in cblas.h on Debian but not on every distribution; keep one
// wrapper so Swift has a stable name.
void mmssr_blas_set_threads(int n) { openblas_set_num_threads(n); }
int mmssr_blas_get_threads(void) { return openblas_get_num_threads(); }
