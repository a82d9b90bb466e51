/* ltemporal.c: Lua bindings for the temporal kernels. */
#include "laux.h"

void leng_open_temporal(lua_State *L) { (void)L; }
