/* lmodule.c: entry point of engine.so for stock lua5.4 (`require "engine"`). */
#include "laux.h"

__attribute__((visibility("default"))) int luaopen_engine(lua_State *L);

int luaopen_engine(lua_State *L) { return leng_open(L); }
