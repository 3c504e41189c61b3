// Linux hands out AMX's 8 KB tile state only on request (ARCH_REQ_XCOMP_PERM for XFEATURE_XTILEDATA);
// the grant is process-wide and idempotent, so both AMX kernels ask here, once.

#include "amx_permission.h"

#if defined(__linux__) && defined(__x86_64__)
#include <sys/syscall.h>
#include <unistd.h>

int amx_tiles_permitted(void) {
    static int permitted = -1;  // racing first calls compute the same value
    int p = __atomic_load_n(&permitted, __ATOMIC_RELAXED);
    if (p < 0) {
        p = syscall(SYS_arch_prctl, 0x1023 /* ARCH_REQ_XCOMP_PERM */, 18 /* XFEATURE_XTILEDATA */) == 0;
        __atomic_store_n(&permitted, p, __ATOMIC_RELAXED);
    }
    return p;
}
#else
int amx_tiles_permitted(void) { return 0; }
#endif
