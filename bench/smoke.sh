#!/bin/sh
# smoke.sh: `make check` runs every benchmark case once (one iteration, no timing assertions).
exec "${ENGINE_BUILDDIR:-.}/bench/engine-bench" --smoke --no-env
