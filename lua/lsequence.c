/* lsequence.c: Lua bindings for the sequence kernels. */
#include "laux.h"

void leng_open_sequence(lua_State *L) { (void)L; }
