#!/bin/sh
# require.sh: `require "engine"` from the stock Lua 5.4 interpreter through the built engine.so:
# the module loads, creates its engine on first use, runs jobs, and shuts down cleanly at exit.
# Skips (77) without an interpreter, and in sanitizer builds, whose instrumented module the
# uninstrumented interpreter cannot load.
: "${ENGINE_BUILDDIR:=.}"
: "${ENGINE_SRCDIR:=.}"
if [ -z "$LUA_INTERP" ]; then
  echo "# no Lua 5.4 interpreter configured: skipped"
  exit 77
fi
mod="$ENGINE_BUILDDIR/lua/.libs/engine.so"
if [ ! -f "$mod" ]; then
  echo "# $mod not built"
  exit 99
fi
if ldd "$mod" 2>/dev/null | grep -q -e asan -e tsan -e ubsan; then
  echo "# engine.so is built with sanitizers: skipped"
  exit 77
fi
LUA_CPATH="$ENGINE_BUILDDIR/lua/.libs/?.so"
export LUA_CPATH
# engine.so links the uninstalled libengine; its run path names the install directory.
LD_LIBRARY_PATH="$ENGINE_BUILDDIR/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export LD_LIBRARY_PATH
run() { # bounded, so a shutdown that hangs fails instead of stalling the suite
  if command -v timeout >/dev/null 2>&1; then timeout 60 "$LUA_INTERP" "$@"; else "$LUA_INTERP" "$@"; fi
}
fails=0
n=0
check() {
  n=$((n + 1))
  if [ "$2" -eq 0 ]; then echo "ok $n - $1"; else echo "not ok $n - $1"; fails=$((fails + 1)); fi
}

out=$(run -e '
local engine = require "engine"
assert(type(engine.version) == "string", "version")
assert(engine.workers() >= 1, "workers")
assert(#engine.topology() == engine.workers(), "topology")
local w, run_ns = engine.spin(100000)
assert(w >= 0 and run_ns >= 100000, "spin")
local f = engine.spin_async(100000, { priority = "high" })
assert(select(2, f:wait()) >= 100000, "spin_async")
local s = engine.series({ 1, 2, 3 })
assert(s:sum() == 6, "series")
assert(require("engine") == engine, "same module table")
print("module ok")
' 2>&1)
check "require \"engine\" works in $LUA_INTERP" $?
case $out in *"module ok"*) r=0 ;; *) r=1; echo "# $out" ;; esac
check "the module runs jobs and series" $r

run -e 'local engine = require "engine"; engine.spin_async(0, { delay = 10^10 }); engine.spin_async(50000000)' 2>&1
check "exit with a pending and a running job shuts down cleanly" $?

run -e 'local engine = require "engine"; engine.spin_async(0, { delay = 10^10 }); os.exit(0, true)' 2>&1
check "os.exit(0, true) closes the state and the engine" $?

ENGINE_WORKERS=1 run -e 'local e = require "engine"; assert(e.workers() == 1, e.workers())' 2>&1
check "ENGINE_WORKERS sets the worker count" $?

out=$(run -e 'engine = require "engine"' "$ENGINE_SRCDIR/examples/quickstart.lua" 2>&1)
r=$?
case $out in *"== scheduler stats"*) ;; *) r=1; echo "# $out" ;; esac
check "examples/quickstart.lua runs under $LUA_INTERP" $r

echo "1..$n"
[ "$fails" -eq 0 ]
