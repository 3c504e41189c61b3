#ifndef MMSSR_AMX_PERMISSION_H
#define MMSSR_AMX_PERMISSION_H

// 1 once this process may use AMX tiles (asks the kernel on first call); 0 where it may not.
int amx_tiles_permitted(void);

#endif
