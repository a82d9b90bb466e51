/* lattractor.c: Lua bindings for the attractor kernels. */
#include "laux.h"

void leng_open_attractor(lua_State *L) { (void)L; }
