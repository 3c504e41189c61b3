// Linux hands out AMX's 8 KB tile state only on request (ARCH_REQ_XCOMP_PERM for XFEATURE_XTILEDATA);
// the grant is process-wide and idempotent, so both AMX kernels ask here, once.

#include "amx.h"

#include <stdint.h>
#include <string.h>

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

#if defined(__x86_64__)
#include <immintrin.h>

typedef struct {
    uint8_t palette;
    uint8_t start_row;
    uint8_t reserved[14];
    uint16_t colsb[16];
    uint8_t rows[16];
} amx_tile_config;

__attribute__((target("amx-tile"))) void amx_configure_tiles(void) {
    amx_tile_config c;
    memset(&c, 0, sizeof c);
    c.palette = 1;
    for (int t = 0; t < 8; t++) {
        c.colsb[t] = 64;
        c.rows[t] = 16;
    }
    _tile_loadconfig(&c);
}
#else
void amx_configure_tiles(void) {}
#endif
