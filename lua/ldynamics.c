/* ldynamics.c: Lua bindings for the dynamics kernels. */
#include "laux.h"

void leng_open_dynamics(lua_State *L) { (void)L; }
