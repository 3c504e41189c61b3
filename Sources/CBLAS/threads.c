#include "CBLAS.h"

// openblas_set_num_threads is declared in cblas.h on Debian but not on every distribution; keep one
// wrapper so Swift has a stable name.
void mmssr_blas_set_threads(int n) { openblas_set_num_threads(n); }
int mmssr_blas_get_threads(void) { return openblas_get_num_threads(); }

// Depth of Parallel.serially on this thread: a worker that runs a whole forward of its own keeps every op
// on itself, so its activations stay in its core's caches.
static _Thread_local int serial_depth;
void mmssr_serial_enter(void) { serial_depth++; }
void mmssr_serial_exit(void) { serial_depth--; }
int mmssr_serial_active(void) { return serial_depth > 0; }
