/* lltl.c: Lua bindings for the ltl kernels. */
#include "laux.h"

void leng_open_ltl(lua_State *L) { (void)L; }
