#!/bin/sh
# Builds examples/embed.c against a staged `make install` of this tree, the way
# a user would with pkg-config, and runs it.
set -eu
: "${ENGINE_BUILDDIR:?}" "${ENGINE_SRCDIR:?}"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT INT TERM

make -s -C "$ENGINE_BUILDDIR" install DESTDIR="$stage" >"$stage.install.log" 2>&1 || {
  cat "$stage.install.log"; rm -f "$stage.install.log"; exit 1; }
rm -f "$stage.install.log"

pcdir=$(dirname "$(find "$stage" -name engine.pc | head -n 1)")
[ -f "$pcdir/engine.pc" ] || { echo "engine.pc was not installed"; exit 1; }
[ -f "$(find "$stage" -name engine.h | head -n 1)" ] || { echo "engine.h was not installed"; exit 1; }
[ -n "$(find "$stage" -path '*lua/5.4/engine.so')" ] || { echo "engine.so not installed under lua/5.4"; exit 1; }

# PKG_CONFIG_SYSROOT_DIR makes the .pc file's -I and -L point into the stage.
export PKG_CONFIG_PATH="$pcdir" PKG_CONFIG_SYSROOT_DIR="$stage"
flags=$(pkg-config --cflags --libs engine)
libdir=$(dirname "$pcdir") # the staged libdir: engine.pc sits in <libdir>/pkgconfig
${CC:-cc} ${CFLAGS:-} "$ENGINE_SRCDIR/examples/embed.c" -o "$stage/embed" $flags ${LDFLAGS:-}
LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$stage/embed" >"$stage/out.txt"
cat "$stage/out.txt"
[ -s "$stage/out.txt" ] || { echo "embed printed nothing"; exit 1; }

# The EXAMPLE section of the man page is a program too: extract it (groff's
# \e is a backslash), build it the same way and check what it prints.
sed -n '/^\.SH EXAMPLE/,/^\.SH/p' "$ENGINE_SRCDIR/docs/libengine.3" |
  sed -n '/^\.EX/,/^\.EE/p' | sed -e '/^\.EX/d' -e '/^\.EE/d' -e 's/\\e/\\/g' >"$stage/man_example.c"
[ -s "$stage/man_example.c" ] || { echo "libengine.3 has no EXAMPLE program"; exit 1; }
${CC:-cc} ${CFLAGS:-} "$stage/man_example.c" -o "$stage/man_example" $flags ${LDFLAGS:-}
got=$(LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$stage/man_example")
echo "$got"
[ "$got" = "12 * 12 = 144" ] || { echo "libengine.3 EXAMPLE printed '$got', expected '12 * 12 = 144'"; exit 1; }
