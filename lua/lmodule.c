/* lmodule.c: entry point of engine.so, the module stock lua5.4 loads with `require "engine"`. */
#include "laux.h"

/* The module table is the same as the `engine` program's global. No engine
 * exists yet: leng_engine() creates one on first use and registers it for
 * destruction when the Lua state closes (pending jobs are cancelled, running
 * ones finish). */
__attribute__((visibility("default"))) int luaopen_engine(lua_State *L);

int luaopen_engine(lua_State *L) { return leng_open(L); }
