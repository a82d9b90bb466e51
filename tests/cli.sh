#!/bin/sh
# cli.sh: the `engine` program's command line: options, exit statuses, messages, and `arg`.
# Run by `make check` with $ENGINE set; exits 1 when any check fails.
ENGINE=${ENGINE:-./engine}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/engine-cli.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
fails=0
n=0

check() { # check NAME COND...: runs COND, reports ok/not ok
  name=$1
  shift
  n=$((n + 1))
  if "$@"; then
    echo "ok $n - $name"
  else
    echo "not ok $n - $name"
    fails=$((fails + 1))
  fi
}

# run ARGS...: runs the engine, capturing stdout, stderr and the exit status
run() {
  "$ENGINE" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
  rc=$?
}
status_is() { [ "$rc" -eq "$1" ] || { echo "# exit status $rc, want $1"; sed 's/^/# stderr: /' "$tmp/err"; return 1; }; }
out_has() { grep -q -- "$1" "$tmp/out" || { echo "# stdout lacks '$1'"; sed 's/^/# stdout: /' "$tmp/out"; return 1; }; }
err_has() { grep -q -- "$1" "$tmp/err" || { echo "# stderr lacks '$1'"; sed 's/^/# stderr: /' "$tmp/err"; return 1; }; }
err_lines() { [ "$(wc -l <"$tmp/err")" -eq "$1" ] || { echo "# stderr has $(wc -l <"$tmp/err") lines, want $1"; return 1; }; }

run --version
check "--version exits 0" status_is 0
check "--version prints the version" out_has "^engine [0-9][0-9]*\.[0-9][0-9]*\.[0-9][0-9]*"
run -v
check "-v is --version" out_has "^engine "

run --help
check "--help exits 0" status_is 0
check "--help prints usage on stdout" out_has "^usage: engine"
check "--help lists --workers" out_has "--workers"

run -e 'print(1 + 1)'
check "-e runs code" out_has "^2$"
check "-e exits 0" status_is 0
run -e 'x = 20' -e 'print(x + 1)'
check "-e runs in order, sharing globals" out_has "^21$"

echo 'print("from stdin", ...)' | "$ENGINE" - a b >"$tmp/out" 2>"$tmp/err"
rc=$?
check "- runs stdin with its arguments" out_has "^from stdin	a	b$"
check "- exits 0" status_is 0

run "$tmp/no-such-script.lua"
check "missing script exits 2" status_is 2
check "missing script message names the file" err_has "no-such-script.lua"
check "missing script message is one line" err_lines 1

mkdir "$tmp/dir.lua"
run "$tmp/dir.lua"
check "unreadable script (a directory) exits 2" status_is 2
check "unreadable script message names it" err_has "dir.lua"

cat >"$tmp/fail.lua" <<'LUA'
local function inner() error("deliberate failure") end
local function outer() inner() end
outer()
LUA
run "$tmp/fail.lua"
check "Lua error exits 1" status_is 1
check "Lua error message on stderr" err_has "fail.lua:1: deliberate failure"
check "Lua error has a traceback" err_has "stack traceback:"
check "traceback names the calling function" err_has "in.*outer"

run -e 'error({})'
check "non-string error object exits 1" status_is 1
check "non-string error object is described" err_has "error object is a table value"

printf 'local x = = 1\n' >"$tmp/syntax.lua"
run "$tmp/syntax.lua"
check "syntax error exits 1" status_is 1
check "syntax error names the file and line" err_has "syntax.lua:1:"

run --bogus
check "unknown option exits 2" status_is 2
check "unknown option is named" err_has "unrecognized option '--bogus'"
check "unknown option prints usage" err_has "^usage: engine"
run -w 0 -e 'print(1)'
check "-w 0 exits 2" status_is 2
run -w
check "-w without a count exits 2" status_is 2
run --workers=abc
check "--workers=abc exits 2" status_is 2
run -e
check "-e without code exits 2" status_is 2

run -w 2 -e 'print(engine.workers())'
check "-w 2 starts two workers" out_has "^2$"
run --workers 1 -e 'print(engine.workers())'
check "--workers 1 starts one worker" out_has "^1$"
run --workers=3 --no-pin -e 'local n = 0 for _, p in ipairs(engine.topology()) do if not p.pinned then n = n + 1 end end print(engine.workers(), n)'
check "--workers=3 --no-pin: three unpinned workers" out_has "^3	3$"

run -w 2 --topology
check "--topology exits 0" status_is 0
check "--topology prints a header" out_has "^worker"
check "--topology prints one row per worker" [ "$(grep -c '^[0-9]' "$tmp/out")" -eq 2 ]

cat >"$tmp/args.lua" <<'LUA'
print(#arg, arg[-2], arg[-1], arg[0], arg[1], arg[2], select("#", ...), ...)
LUA
run -w 1 "$tmp/args.lua" a "b c"
check "arg as lua sets it: options negative, script 0, arguments positive" \
  out_has "^2	-w	1	$tmp/args.lua	a	b c	2	a	b c$"
run "$tmp/args.lua"
check "arg without script arguments" out_has "^0	nil	.*engine	$tmp/args.lua	nil	nil	0$"
run -e 'print(arg[0] == arg[-2], arg[-1], arg[1])'
check "with -e and no script, the options are arg[1..] (as lua does)" out_has "^false	nil	-e$"
run -e 'io.write(tostring(arg[0]:match("engine$") ~= nil))'
check "with -e only, arg[0] is the program" out_has "^true"
run -- "$tmp/args.lua" x
check "-- ends the options" out_has "^1	[^	]*engine	--	$tmp/args.lua	x"

run -l t=string -e 'print(t.rep("ab", 2))'
check "-l g=mod requires mod into global g" out_has "^abab$"
ENGINE_WORKERS=1 "$ENGINE" -e 'print(engine.workers())' >"$tmp/out" 2>"$tmp/err" </dev/null
check "ENGINE_WORKERS sets the worker count" out_has "^1$"
ENGINE_WORKERS=1 "$ENGINE" -w 2 -e 'print(engine.workers())' >"$tmp/out" 2>"$tmp/err" </dev/null
check "-w overrides ENGINE_WORKERS" out_has "^2$"

run -e 'assert(require("engine") == engine) print("same")'
check "require 'engine' returns the global module" out_has "^same$"
run -e 'os.exit(3)'
check "os.exit(3) exits 3" status_is 3
run -e 'engine.spin_async(0, {delay = 10^10}); os.exit(true)'
check "os.exit(true) with a pending job exits 0" status_is 0
run -e 'local f = engine.spin_async(200000000); error("stop")'
check "an error while a job runs exits 1" status_is 1

if [ "$fails" -ne 0 ]; then
  echo "# $fails of $n checks failed"
  exit 1
fi
echo "# all $n checks passed"
exit 0
