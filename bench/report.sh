#!/bin/sh
# report.sh: `make bench-report`: turns engine-bench's JSON into SVG plots (gnuplot) and
# regenerates the tables of docs/PERFORMANCE.md between its marker comments.
#
#   bench/report.sh --json FILE [--out DIR] [--doc FILE] [--gnuplot PATH]
#
# The JSON has one result object per line with keys in a fixed order (bench/runner.c
# write_json), which is what lets plain awk read it.
set -eu

json=bench.json
out=bench-report
doc=
gnuplot=${GNUPLOT:-gnuplot}
while [ $# -gt 0 ]; do
  case $1 in
    --json) json=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --doc) doc=$2; shift 2 ;;
    --gnuplot) gnuplot=${2:-gnuplot}; shift 2 ;;
    *) echo "report.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
[ -r "$json" ] || { echo "report.sh: no $json: run 'make bench' (or engine-bench --json $json) first" >&2; exit 2; }
mkdir -p "$out/data"
rm -f "$out"/data/*.dat

# ---------------------------------------------------------------- extraction
# Shared awk helpers: str(line, key) and num(line, key) read one field of a result line.
AWKLIB='
function str(l, k,   m) { if (match(l, "\"" k "\": \"[^\"]*\"")) { m = substr(l, RSTART, RLENGTH); sub("^\"" k "\": \"", "", m); sub("\"$", "", m); return m } return "" }
function num(l, k,   m) { if (match(l, "\"" k "\": [^,}\\]]*")) { m = substr(l, RSTART, RLENGTH); sub("^\"" k "\": ", "", m); return m } return "null" }
function slug(s) { gsub(/[^A-Za-z0-9_.+-]/, "_", s); return s }
function ns(x) { if (x == "null" || x == "") return "-"; x += 0
  if (x < 10) return sprintf("%.2f ns", x); if (x < 1e3) return sprintf("%.1f ns", x)
  if (x < 1e6) return sprintf("%.2f us", x / 1e3); if (x < 1e9) return sprintf("%.2f ms", x / 1e6)
  return sprintf("%.2f s", x / 1e9) }
function rate(x, u) { if (x == "null" || x == "") return "-"; x += 0
  if (x >= 1e9) return sprintf("%.2f G%s/s", x / 1e9, u); if (x >= 1e6) return sprintf("%.2f M%s/s", x / 1e6, u)
  if (x >= 1e3) return sprintf("%.2f k%s/s", x / 1e3, u); return sprintf("%.2f %s/s", x, u) }
'

# Latency CDFs: data/cdf-<case>.<impl>.dat (ns, fraction) and the list of cases.
awk "$AWKLIB"'
/^\{"case": / {
  n = num($0, "lat_n"); if (n == "null" || n + 0 == 0) next
  c = str($0, "case"); i = str($0, "impl")
  f = out "/data/cdf-" slug(c) "." slug(i) ".dat"
  s = $0; sub(/.*"cdf": \[/, "", s); sub(/\]\}.*$/, "", s)
  np = split(s, parts, /\], \[|\[|\]/)
  for (k = 1; k <= np; k++) if (parts[k] ~ /[0-9]/) { split(parts[k], xy, ", "); print xy[1], xy[2] > f }
  close(f)
  if (!(c in seen)) { seen[c] = 1; print c > (out "/data/latency-cases.txt") }
  print c "\t" i "\t" f > (out "/data/cdf-index.txt")
}' out="$out" "$json"

# Scaling curves: data/scale-<series>.<impl>.dat (workers, throughput, efficiency).
awk "$AWKLIB"'
/^\{"case": / {
  s = str($0, "series"); if (s == "" || str($0, "status") != "ok") next
  # A row without a throughput (no work units) has no point to plot.
  t = num($0, "throughput"); if (t == "null" || t == "") next
  i = str($0, "impl"); f = out "/data/scale-" slug(s) "." slug(i) ".dat"
  print num($0, "workers"), t, num($0, "efficiency") > f
  if (!(s in seen)) { seen[s] = 1; print s > (out "/data/scale-series.txt") }
  if (!((s, i) in listed)) { listed[s, i] = 1; print s "\t" i "\t" f > (out "/data/scale-index.txt") }
}' out="$out" "$json"

# Kernel throughput: every non-scheduler row with a throughput.
awk "$AWKLIB"'
/^\{"case": / {
  c = str($0, "case"); if (c ~ /^sched\// || str($0, "status") != "ok") next
  t = num($0, "throughput"); if (t == "null") next
  print c "\t" str($0, "impl") "\t" t "\t" str($0, "work_unit") > (out "/data/kernels.tsv")
}' out="$out" "$json"

# -------------------------------------------------------------------- plots
plots=0
if command -v "$gnuplot" >/dev/null 2>&1; then
  gp=$out/data/plots.gp
  {
    echo 'set terminal svg size 900,520 dynamic enhanced font "sans,11"'
    echo 'set grid; set key bottom right'
    if [ -f "$out/data/latency-cases.txt" ]; then
      while IFS= read -r c; do
        name=$(printf '%s' "$c" | sed 's/[^A-Za-z0-9_.+-]/_/g')
        echo "set output '$out/latency-$name.svg'"
        echo "set title '$c: latency CDF'; set xlabel 'ns (log)'; set ylabel 'fraction'; set logscale x; unset logscale y; set yrange [0:1]"
        printf 'plot '
        awk -F'\t' -v c="$c" '$1 == c { printf "%s\"%s\" using 1:2 with lines lw 2 title \"%s\"", sep, $3, $2; sep = ", " }' "$out/data/cdf-index.txt"
        echo
      done <"$out/data/latency-cases.txt"
    fi
    if [ -f "$out/data/scale-series.txt" ]; then
      while IFS= read -r s; do
        name=$(printf '%s' "$s" | sed 's/[^A-Za-z0-9_.+-]/_/g')
        echo "set output '$out/scaling-$name.svg'"
        echo "set title '$s: throughput vs workers'; set xlabel 'workers'; set ylabel 'tasks/s'; unset logscale x; set logscale y; set autoscale y; set xtics 1"
        printf 'plot '
        awk -F'\t' -v s="$s" '$1 == s { printf "%s\"%s\" using 1:2 with linespoints lw 2 title \"%s\"", sep, $3, $2; sep = ", " }' "$out/data/scale-index.txt"
        echo
      done <"$out/data/scale-series.txt"
    fi
    if [ -f "$out/data/kernels.tsv" ]; then
      echo "set output '$out/kernels.svg'"
      echo "set title 'kernel throughput (work units/s, log)'; unset xlabel; set ylabel 'units/s'; set logscale y; set autoscale y; unset logscale x"
      echo "set style data histograms; set style histogram clustered; set style fill solid 0.8; set xtics rotate by -40 font ',8'; set key top right"
      echo "plot '$out/data/kernels.tsv' using 3:xtic(stringcolumn(1).' '.stringcolumn(2)) notitle"
    fi
  } >"$gp"
  if "$gnuplot" "$gp" 2>"$out/data/gnuplot.log"; then
    plots=$(ls "$out"/*.svg 2>/dev/null | wc -l)
  else
    echo "report.sh: gnuplot failed (see $out/data/gnuplot.log)" >&2
  fi
else
  echo "report.sh: gnuplot not found: tables only (install gnuplot)" >&2
fi

# ------------------------------------------------------------------- tables
tables=$out/tables.md
awk "$AWKLIB"'
NR == 1 && /"env"/ {
  printf "Run: `%s` on %s, git %s (%s), %s.\n\n", (num($0, "quick") == "1" ? "make bench-quick" : "make bench"), str($0, "date"), str($0, "git"), str($0, "tree"), str($0, "tag") == "" ? "default build" : "tag " str($0, "tag")
  printf "| machine | |\n|---|---|\n"
  printf "| CPU | %s |\n| PUs / cores / NUMA | %s / %s / %s |\n| kernel | %s |\n", str($0, "cpu"), num($0, "pus"), num($0, "cores"), num($0, "numa"), str($0, "kernel")
  printf "| compiler | %s, CFLAGS `%s` |\n| clock | TSC %s GHz (tsc=%s), resolution %s ns |\n", str($0, "compiler"), str($0, "cflags"), num($0, "tsc_ghz"), num($0, "tsc"), num($0, "clock_resolution_ns")
  printf "| workers | %s |\n| load average at start | %s |\n| method | seed %s, %s samples per row, ~%s ms each |\n\n", str($0, "workers"), str($0, "loadavg"), num($0, "seed"), num($0, "samples"), num($0, "sample_ms")
  next
}
/^\{"case": / {
  c = str($0, "case"); area = c; sub(/\/.*/, "", area)
  if (!(area in seen)) { seen[area] = 1; areas[++na] = area }
  st = str($0, "status")
  if (st != "ok") row = sprintf("| %s | %s | %s | | | | | | |", c, str($0, "impl"), st)
  else {
    note = ""
    if (num($0, "noisy") == "true") note = "noisy"
    m = $0; sub(/.*"modes": \[/, "", m); sub(/\].*/, "", m); nm = split(m, mv, ", ")
    if (nm >= 2) { note = note (note == "" ? "" : ", ") (nm == 2 ? "bimodal:" : "multimodal:"); for (k = 1; k <= nm; k++) note = note (k > 1 ? " /" : "") " " ns(mv[k]) }
    v = num($0, "value"); if (v != "null") note = note (note == "" ? "" : ", ") sprintf("%.3g %s", v, str($0, "value_unit"))
    e = num($0, "efficiency"); if (e != "null") note = note (note == "" ? "" : ", ") sprintf("efficiency %.0f%%", e * 100)
    r = num($0, "ratio"); rna = str($0, "ratio_na")
    # A ratio below 0.1 keeps two significant digits (x0.00 would hide it);
    # a row with no meaningful ratio says why (runner.c set_ratio).
    if (r != "null") rs = (r + 0 >= 0.1 ? sprintf("x%.2f", r) : sprintf("x%.2g", r))
    else if (rna != "") { rs = "n/a"; note = note (note == "" ? "" : ", ") "ratio " rna }
    else rs = ""
    nt = str($0, "note"); if (nt != "") note = note (note == "" ? "" : "; ") nt
    row = sprintf("| %s | %s | %s | %.1f%% | %s | %s | %s | %s | %s |", c, str($0, "impl"), ns(num($0, "median_ns")),
                  num($0, "cv") * 100, rate(num($0, "throughput"), str($0, "work_unit")), rs,
                  ns(num($0, "p50")), ns(num($0, "p99")), note)
  }
  rows[area] = rows[area] row "\n"
  tk = str($0, "target_kind")
  if (tk != "none" && num($0, "target_met") != "null" && num($0, "base") == "true") {
    met = num($0, "target_met") == "true" ? "met" : "**missed**"
    tv = num($0, "target"); u = str($0, "work_unit")
    if (tk == "p50_max") tt = "p50 <= " ns(tv); else if (tk == "p99_max") tt = "p99 <= " ns(tv)
    else if (tk == "ns_per_op_max") tt = "<= " ns(tv); else if (tk == "rate_per_worker_min") tt = ">= " rate(tv, u) " per worker"
    else if (tk == "efficiency_min") tt = sprintf(">= %.0f%%", tv * 100); else tt = "<= " tv " " str($0, "value_unit")
    if (tk == "p50_max") meas = ns(num($0, "p50")) " p50"; else if (tk == "p99_max") meas = ns(num($0, "p99")) " p99"
    else if (tk == "ns_per_op_max") meas = ns(num($0, "median_ns"))
    else if (tk == "rate_per_worker_min") meas = rate(num($0, "throughput") / (num($0, "workers") > 0 ? num($0, "workers") : 1), str($0, "work_unit")) " per worker"
    else if (tk == "efficiency_min") meas = sprintf("%.0f%%", num($0, "efficiency") * 100)
    else meas = sprintf("%.3g %s", num($0, "value"), str($0, "value_unit"))
    targets = targets sprintf("| %s | %s | %s | %s | %s |\n", c, str($0, "impl"), meas, tt, met)
  }
}
END {
  if (targets != "") printf "### Targets\n\n| case | impl | measured | target | |\n|---|---|---|---|---|\n%s\n", targets
  for (a = 1; a <= na; a++) {
    printf "### %s\n\n| case | impl | median/op | CV | throughput | ratio | p50 | p99 | notes |\n|---|---|---|---|---|---|---|---|---|\n%s\n", areas[a], rows[areas[a]]
  }
}' "$json" >"$tables"

if [ -n "$doc" ]; then
  if grep -q '<!-- bench-tables:begin -->' "$doc" && grep -q '<!-- bench-tables:end -->' "$doc"; then
    awk -v t="$tables" '
      /<!-- bench-tables:begin -->/ { print; while ((getline l < t) > 0) print l; skip = 1; next }
      /<!-- bench-tables:end -->/ { skip = 0 }
      !skip { print }' "$doc" >"$doc.tmp" && mv "$doc.tmp" "$doc"
    echo "report.sh: tables regenerated in $doc"
  else
    echo "report.sh: $doc has no <!-- bench-tables:begin/end --> markers; tables left in $tables" >&2
  fi
fi
echo "report.sh: $plots SVG plots and $tables in $out"
