/* lengine.c: the engine module table and its core functions. */
#include "laux.h"
int leng_open(lua_State *L) { lua_newtable(L); return 1; }
