#!/bin/sh
# ab.sh: `make bench-ab A=ref B=ref`: builds two versions of bench/engine-bench and
# runs them in interleaved, seeded, balanced A/B and B/A rounds, then reports the
# paired delta (B/A - 1) of every row. B empty means the working tree.
#
#   bench/ab.sh --src DIR [--a REF] [--b REF] [--rounds N] [--seed N] [--out DIR]
#               [--keep] [-- RUNNER ARGS...]      (default runner args: --quick)
set -eu

src=.
a=main
b=
rounds=6
seed=1
out=
keep=0
while [ $# -gt 0 ]; do
  case $1 in
    --src) src=$2; shift 2 ;;
    --a) a=$2; shift 2 ;;
    --b) b=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    --) shift; break ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] || set -- --quick
src=$(cd "$src" && pwd)
case $rounds in ''|*[!0-9]*) echo "ab.sh: --rounds must be a number" >&2; exit 2 ;; esac
[ "$rounds" -ge 2 ] || { echo "ab.sh: at least 2 rounds (one A/B, one B/A)" >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/engine-ab.XXXXXX")
out=${out:-$PWD/bench-ab}
mkdir -p "$out"
worktrees=""
cleanup() {
  for w in $worktrees; do git -C "$src" worktree remove --force "$w" >/dev/null 2>&1 || true; done
  [ "$keep" = 1 ] || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

jobs=${AB_JOBS:-2}

# build NAME REF: a worktree of REF (or the working tree when REF is empty),
# bootstrapped and configured out of tree, only the runner built.
build() {
  name=$1 ref=$2
  if [ -n "$ref" ]; then
    rev=$(git -C "$src" rev-parse --verify "$ref^{commit}") || { echo "ab.sh: unknown ref '$ref'" >&2; exit 2; }
    git -C "$src" worktree add --detach "$tmp/$name-src" "$rev" >/dev/null 2>&1 ||
      { echo "ab.sh: git worktree add failed for '$ref'" >&2; exit 2; }
    worktrees="$worktrees $tmp/$name-src"
    s=$tmp/$name-src
    label="$ref ($(git -C "$src" rev-parse --short=12 "$rev"))"
    [ -f "$s/bench/runner.c" ] || { echo "ab.sh: $label has no bench runner (bench/runner.c)" >&2; exit 2; }
    (cd "$s" && ./autogen.sh >"$tmp/$name-autogen.log" 2>&1) ||
      { echo "ab.sh: autogen failed for $ref (see $tmp/$name-autogen.log)" >&2; keep=1; exit 1; }
  else
    s=$src
    label="working tree ($(git -C "$src" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)+changes)"
    [ -f "$s/bench/runner.c" ] || { echo "ab.sh: $label has no bench runner (bench/runner.c)" >&2; exit 2; }
  fi
  mkdir -p "$tmp/$name-build"
  (cd "$tmp/$name-build" && "$s/configure" -q >"$tmp/$name-configure.log" 2>&1 &&
    make -j"$jobs" bench/engine-bench >"$tmp/$name-make.log" 2>&1) ||
    { echo "ab.sh: build of $label failed (logs in $tmp)" >&2; keep=1; exit 1; }
  echo "$name = $label"
}

echo "building A and B in $tmp"
build a "$a"
build b "$b"
bin_a=$tmp/a-build/bench/engine-bench
bin_b=$tmp/b-build/bench/engine-bench

# A balanced order: half the rounds A first, half B first, shuffled with the seed.
order=$(awk -v n="$rounds" -v seed="$seed" 'BEGIN {
  srand(seed)
  for (i = 0; i < n; i++) o[i] = (i < int(n / 2)) ? "AB" : "BA"
  for (i = n - 1; i > 0; i--) { j = int(rand() * (i + 1)); t = o[i]; o[i] = o[j]; o[j] = t }
  for (i = 0; i < n; i++) printf "%s ", o[i]
}')
echo "rounds: $order(seed $seed; runner args: $*)"

: >"$out/a.tsv"
: >"$out/b.tsv"
r=0
for pair in $order; do
  # Both sides of a round use the same seed, hence the same case order.
  rs=$((seed + r))
  for side in $(echo "$pair" | sed 's/./& /g'); do
    if [ "$side" = A ]; then bin=$bin_a; f=$out/a.tsv; else bin=$bin_b; f=$out/b.tsv; fi
    "$bin" --no-env --seed "$rs" --tsv "$tmp/round.tsv" "$@" >"$tmp/round-$r-$side.log" 2>&1 ||
      { echo "ab.sh: round $r side $side failed (see $tmp/round-$r-$side.log)" >&2; keep=1; exit 1; }
    awk -v r="$r" '{ print r "\t" $0 }' "$tmp/round.tsv" >>"$f"
  done
  r=$((r + 1))
  echo "  round $r/$rounds done ($pair)"
done

echo
echo "B/A - 1 per row (negative: B faster), p10..p90 of the per-round deltas, rounds B won"
"$bin_b" --paired "$out/a.tsv" "$out/b.tsv" --json "$out/ab.json"
echo
echo "paired rounds: $out/a.tsv $out/b.tsv; summary: $out/ab.json"
