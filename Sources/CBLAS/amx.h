#ifndef MMSSR_AMX_H
#define MMSSR_AMX_H

// AMX support shared by the int8 GEMM and the attention kernel.

// 1 once this process may use AMX tiles (asks the kernel on first call); 0 where it may not.
int amx_tiles_permitted(void);

// Loads palette 1 with all eight tiles at 16 rows x 64 bytes, the one shape both kernels use.
void amx_configure_tiles(void);

#endif
