/* runner.c: engine-bench's main: options, environment block, calibration, sampling, tables, JSON. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "bench.h"
#include "stats.h"
#include "monotonic.h"

/* Areas whose case file is not linked in resolve to NULL and are skipped. */
#pragma weak bench_cases_temporal
#pragma weak bench_cases_sequence
#pragma weak bench_cases_dynamics
#pragma weak bench_cases_attractor
#pragma weak bench_cases_ltl

#ifndef BENCH_SRCDIR
#define BENCH_SRCDIR "."
#endif
#ifndef BENCH_CFLAGS
#define BENCH_CFLAGS "?"
#endif

#define LAT_CAP ((size_t)1 << 20)
#define CDF_POINTS 200
#define NOISY_CV 0.10

typedef struct options {
  int quick, smoke, list, no_env;
  unsigned samples;
  double sample_ms;
  uint64_t seed;
  const char *json, *tsv, *tag;
  regex_t filter, impl;
  int has_filter, has_impl;
} options;

typedef struct result {
  const bench_case *c;
  const bench_impl *im;
  const char *status; /* NULL: measured; else why not */
  uint64_t iters;
  double *samples; /* ns per iteration */
  size_t nsamples;
  bench_summary sum;
  double value; /* median of impl->value over samples, NAN when none */
  uint64_t *lat;
  size_t nlat;
  double p50, p90, p99, p999, lmax;
  double modes[4];
  size_t nmodes;
  double ratio;      /* this impl's figure over the engine's (NAN: none) */
  const char *ratio_na; /* why there is no ratio although both rows were measured */
  double efficiency; /* scaling rows: vs the same impl's 1-worker row */
  double smoke_ms;   /* --smoke: wall time of the whole measurement */
  void *st;          /* while measuring: the impl's state */
  double *vals;      /* while measuring: impl->value per sample */
  size_t nvals;
} result;

static options opt;
static result *results;
static size_t nresults, cap_results;
static unsigned machine_cores = 1;

/* splitmix64 (Steele, Lea & Flood 2014): seeds the shuffles reproducibly. */
static uint64_t rng_state;
static uint64_t rng_next(void) {
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

static void shuffle(size_t *a, size_t n) {
  for (size_t i = n; i > 1; i--) {
    size_t j = (size_t)(rng_next() % i);
    size_t t = a[i - 1];
    a[i - 1] = a[j];
    a[j] = t;
  }
}

/* ------------------------------------------------------------ environment */

static void read_line_of(const char *cmd, char *buf, size_t n) {
  buf[0] = 0;
  FILE *p = popen(cmd, "r");
  if (!p) return;
  if (!fgets(buf, (int)n, p)) buf[0] = 0;
  pclose(p);
  buf[strcspn(buf, "\n")] = 0;
}

static void cpu_model(char *buf, size_t n) {
  snprintf(buf, n, "unknown");
  FILE *f = fopen("/proc/cpuinfo", "r");
  if (!f) return;
  char line[512];
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, "model name", 10) == 0) {
      char *c = strchr(line, ':');
      if (c) {
        c++;
        while (*c == ' ') c++;
        c[strcspn(c, "\n")] = 0;
        snprintf(buf, n, "%s", c);
      }
      break;
    }
  }
  fclose(f);
}

typedef struct env {
  char cpu[256], kernel[256], git[64], dirty[8], compiler[256], date[64], load[64];
  long online;
  unsigned pus, cores, numa;
  eng_clock_info clk;
  char topo[512];
} env;

static env E;

static void gather_env(void) {
  cpu_model(E.cpu, sizeof E.cpu);
  E.online = sysconf(_SC_NPROCESSORS_ONLN);
  struct utsname u;
  if (uname(&u) == 0) snprintf(E.kernel, sizeof E.kernel, "%s %s %s", u.sysname, u.release, u.machine);
  read_line_of("git -C '" BENCH_SRCDIR "' rev-parse --short=12 HEAD 2>/dev/null", E.git, sizeof E.git);
  if (!E.git[0]) snprintf(E.git, sizeof E.git, "unknown");
  char d[256];
  read_line_of("git -C '" BENCH_SRCDIR "' status --porcelain --untracked-files=no 2>/dev/null | head -1", d,
               sizeof d);
  snprintf(E.dirty, sizeof E.dirty, "%s", d[0] ? "dirty" : "clean");
#ifdef __VERSION__
#if defined(__clang__)
  snprintf(E.compiler, sizeof E.compiler, "clang %s", __VERSION__);
#else
  snprintf(E.compiler, sizeof E.compiler, "gcc %s", __VERSION__);
#endif
#endif
  time_t t = time(NULL);
  strftime(E.date, sizeof E.date, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
  /* Other processes are the first suspect of a noisy run: record the load. */
  FILE *la = fopen("/proc/loadavg", "r");
  if (!la || !fgets(E.load, sizeof E.load, la)) snprintf(E.load, sizeof E.load, "unknown");
  if (la) fclose(la);
  E.load[strcspn(E.load, "\n")] = 0;
  eng_clock_get_info(&E.clk);
  if (eng_machine_info(&E.pus, &E.cores, &E.numa) != 0) E.pus = E.cores = E.numa = 0;
  machine_cores = E.cores ? E.cores : (E.online > 0 ? (unsigned)E.online : 1);
  /* Where the default engine puts its workers. */
  eng_engine *e = NULL;
  eng_config cfg;
  eng_config_init(&cfg);
  cfg.spin_ns = 0;
  snprintf(E.topo, sizeof E.topo, "unavailable");
  if (eng_engine_create(&e, &cfg) == 0) {
    eng_placement pl[64];
    unsigned cnt = 0;
    if (eng_topology(e, pl, 64, &cnt) == 0) {
      size_t off = 0;
      E.topo[0] = 0;
      for (unsigned i = 0; i < cnt && i < 64 && off < sizeof E.topo - 64; i++)
        off += (size_t)snprintf(E.topo + off, sizeof E.topo - off, "%sw%u:pu%d/core%d/numa%d%s",
                                i ? " " : "", pl[i].worker, pl[i].pu, pl[i].core, pl[i].numa_node,
                                pl[i].pinned ? "" : "(unpinned)");
    }
    eng_engine_destroy(e, ENG_DRAIN_CANCEL, NULL);
  }
}

static void print_env(void) {
  printf("engine-bench %s  (%s)\n", eng_version(), E.date);
  printf("  cpu:       %s\n", E.cpu);
  printf("  machine:   %u PUs, %u cores, %u NUMA nodes (hwloc); %ld online\n", E.pus, E.cores, E.numa,
         E.online);
  printf("  workers:   %s\n", E.topo);
  printf("  kernel:    %s\n", E.kernel);
  printf("  compiler:  %s  CFLAGS: %s\n", E.compiler, BENCH_CFLAGS);
  printf("  source:    git %s (%s)\n", E.git, E.dirty);
  printf("  load:      %s (1/5/15 min, runnable/total, last pid)\n", E.load);
  const char *wp = getenv("OMP_WAIT_POLICY");
  if (wp) printf("  OpenMP:    OMP_WAIT_POLICY=%s\n", wp);
  if (E.clk.tsc)
    printf("  clock:     TSC %.4f GHz, resolution %llu ns\n", E.clk.tsc_ghz,
           (unsigned long long)E.clk.resolution_ns);
  else
    printf("  clock:     clock_gettime, resolution %llu ns\n", (unsigned long long)E.clk.resolution_ns);
  printf("  method:    seed %llu, %u samples/impl of ~%.0f ms after warm-up, shuffled case order%s\n",
         (unsigned long long)opt.seed, opt.samples, opt.sample_ms,
         opt.quick ? " (quick)" : opt.smoke ? " (smoke: one iteration, no timing)" : "");
  printf("  columns:   median per iteration, min, max, CV, median of means, throughput, ratio to\n"
         "             the first implementation (x2.00: takes twice as long); CV > 10%% is noisy\n\n");
}

/* ---------------------------------------------------------------- cases */

typedef const bench_case *(*area_fn)(size_t *);

static const bench_case **cases;
static size_t ncases;

static void add_area(area_fn f) {
  if (!f) return;
  size_t n = 0;
  const bench_case *list = f(&n);
  if (!list) return;
  cases = realloc(cases, (ncases + n) * sizeof *cases);
  if (!cases) {
    perror("engine-bench");
    exit(1);
  }
  for (size_t i = 0; i < n; i++) cases[ncases++] = &list[i];
}

static int case_selected(const bench_case *c) {
  if (opt.has_filter && regexec(&opt.filter, c->name, 0, NULL, 0) != 0) return 0;
  if ((opt.quick || opt.smoke) && c->slow) return 0;
  return 1;
}

static int impl_selected(const bench_impl *im) {
  return !opt.has_impl || regexec(&opt.impl, im->name, 0, NULL, 0) == 0;
}

/* ------------------------------------------------------------- measuring */

static double run_once(const bench_impl *im, void *st, uint64_t iters) {
  uint64_t t0 = mono_ns();
  im->run(st, iters);
  uint64_t t1 = mono_ns();
  if (im->timed_ns) return (double)im->timed_ns(st);
  return (double)(t1 - t0);
}

static int lat_cmp(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

/* Sets up r's impl and calibrates it; r->status says why not. */
static void measure_begin(const bench_case *c, const bench_impl *im, result *r) {
  void *st = im->setup(c->param);
  if (!st) {
    r->status = "setup failed";
    return;
  }
  r->st = st;
  uint64_t cap = c->max_iters ? c->max_iters : UINT64_MAX;
  uint64_t iters = 1;
  double target = opt.sample_ms * 1e6;
  if (!opt.smoke && cap == 1) {
    /* One iteration per sample is all the row allows (a 200 ms window, a
     * whole timer set): the cold run is the warm-up, nothing to calibrate. */
    run_once(im, st, 1);
  } else if (!opt.smoke) {
    /* Calibration doubles as warm-up: grow iters until a sample lasts at
     * least half the target, then one more warm-up sample at the final size. */
    run_once(im, st, 1); /* cold: first touches, thread start-up */
    for (int k = 0; k < 40; k++) {
      double t = run_once(im, st, iters);
      /* A short run that came out long is either genuinely slow per
       * iteration or dominated by a fixed cost (a wake-up, a preemption).
       * Doubling tells them apart: a fixed cost does not double. */
      if (t >= target * 0.5 && iters < 64 && iters < cap) {
        double t2 = run_once(im, st, 2 * iters);
        if (t2 < 1.5 * t) {
          iters = 2 * iters > cap ? cap : 4 * iters > cap ? cap : 4 * iters;
          continue;
        }
      }
      if (t >= target * 0.5 || iters >= cap) break;
      double grow = t > 0 ? target / t * 1.1 : 100;
      if (grow > 100) grow = 100;
      if (grow < 2) grow = 2;
      uint64_t next = (uint64_t)((double)iters * grow);
      iters = next > cap ? cap : next;
    }
    uint64_t floor_iters = opt.quick ? c->min_iters / 10 : c->min_iters;
    if (iters < floor_iters) iters = floor_iters;
    run_once(im, st, iters);
  }
  r->iters = iters;
  r->samples = calloc(opt.samples, sizeof *r->samples);
  r->vals = calloc(opt.samples, sizeof *r->vals);
  if (im->latencies) r->lat = malloc(LAT_CAP * sizeof *r->lat);
}

static void measure_sample(const bench_case *c, const bench_impl *im, result *r) {
  double t = run_once(im, r->st, r->iters);
  r->samples[r->nsamples++] = t / (double)r->iters;
  if (im->value && c->value_unit) r->vals[r->nvals++] = im->value(r->st);
  if (r->lat && r->nlat < LAT_CAP) r->nlat += im->latencies(r->st, r->lat + r->nlat, LAT_CAP - r->nlat);
}

static void measure_end(const bench_impl *im, result *r) {
  im->teardown(r->st);
  r->st = NULL;
  bench_summarize(r->samples, r->nsamples, &r->sum);
  r->value = r->nvals ? bench_median(r->vals, r->nvals) : NAN;
  free(r->vals);
  r->vals = NULL;
  if (r->nlat) {
    qsort(r->lat, r->nlat, sizeof *r->lat, lat_cmp);
    r->p50 = bench_percentile_u64(r->lat, r->nlat, 50);
    r->p90 = bench_percentile_u64(r->lat, r->nlat, 90);
    r->p99 = bench_percentile_u64(r->lat, r->nlat, 99);
    r->p999 = bench_percentile_u64(r->lat, r->nlat, 99.9);
    r->lmax = (double)r->lat[r->nlat - 1];
    r->nmodes = bench_modes(r->lat, r->nlat, 20, 0.05, r->modes, 4);
  }
}

/* The figure a row is judged by: latency p50 when it has latencies, else ns/op. */
static double figure(const result *r) { return r->nlat ? r->p50 : r->sum.median; }

/* The smallest figure a ratio may divide by or into: a latency p50 at or
 * below the clock's resolution is a count of zero readings, not a duration,
 * and a ratio to it would print as x0.00 or x inf. */
static double figure_floor(const result *r) {
  if (!r->nlat) return 0;
  double res = (double)E.clk.resolution_ns;
  return res > 1 ? res : 1;
}

/* Sets r->ratio to r's figure over base's, or leaves it NAN with the reason. */
static void set_ratio(result *r, const result *base) {
  r->ratio = NAN;
  r->ratio_na = NULL;
  if (!base || r == base || r->status) return;
  if (!!r->nlat != !!base->nlat) {
    r->ratio_na = "n/a (one row has latencies, the other not)";
    return;
  }
  switch (bench_ratio(figure(r), figure_floor(r), figure(base), figure_floor(base), &r->ratio)) {
  case BENCH_RATIO_NO_FIGURE: r->ratio_na = "n/a (no figure)"; break;
  case BENCH_RATIO_BASE_DEGENERATE:
    r->ratio_na = base->nlat ? "n/a (base p50 at clock resolution)" : "n/a (base figure is 0)";
    break;
  case BENCH_RATIO_DEGENERATE: r->ratio_na = r->nlat ? "n/a (p50 at clock resolution)" : "n/a (figure is 0)"; break;
  default: break;
  }
}

static void fmt_ratio(char *b, size_t n, double x) {
  /* Two decimals hide a 1000x difference as x0.00: small ratios keep 2 digits. */
  if (x >= 0.1) snprintf(b, n, "x%.2f", x);
  else snprintf(b, n, "x%.2g", x);
}

static double throughput(const result *r) {
  return (r->c->work > 0 && r->sum.median > 0) ? r->c->work * 1e9 / r->sum.median : NAN;
}

/* --------------------------------------------------------------- output */

static void fmt_ns(char *b, size_t n, double ns) {
  if (!isfinite(ns)) snprintf(b, n, "-");
  else if (ns < 10) snprintf(b, n, "%.2f ns", ns);
  else if (ns < 1e3) snprintf(b, n, "%.1f ns", ns);
  else if (ns < 1e6) snprintf(b, n, "%.2f us", ns / 1e3);
  else if (ns < 1e9) snprintf(b, n, "%.2f ms", ns / 1e6);
  else snprintf(b, n, "%.2f s", ns / 1e9);
}

static void fmt_rate(char *b, size_t n, double x, const char *unit) {
  if (!isfinite(x)) { b[0] = 0; return; }
  if (x >= 1e9) snprintf(b, n, "%.2f G%s/s", x / 1e9, unit);
  else if (x >= 1e6) snprintf(b, n, "%.2f M%s/s", x / 1e6, unit);
  else if (x >= 1e3) snprintf(b, n, "%.2f k%s/s", x / 1e3, unit);
  else snprintf(b, n, "%.2f %s/s", x, unit);
}

static const char *target_text(const bench_case *c, char *b, size_t n) {
  char v[32];
  switch (c->target_kind) {
  case BENCH_TARGET_NS_PER_OP_MAX: fmt_ns(v, sizeof v, c->target); snprintf(b, n, "target <= %s/%s", v, c->op); break;
  case BENCH_TARGET_P50_MAX: fmt_ns(v, sizeof v, c->target); snprintf(b, n, "target p50 <= %s", v); break;
  case BENCH_TARGET_P99_MAX: fmt_ns(v, sizeof v, c->target); snprintf(b, n, "target p99 <= %s", v); break;
  case BENCH_TARGET_RATE_PER_WORKER_MIN:
    fmt_rate(v, sizeof v, c->target, c->work_unit ? c->work_unit : "op");
    snprintf(b, n, "target >= %s per worker", v);
    break;
  case BENCH_TARGET_EFFICIENCY_MIN: snprintf(b, n, "target efficiency >= %.0f%%", c->target * 100); break;
  case BENCH_TARGET_VALUE_MAX: snprintf(b, n, "target <= %g %s", c->target, c->value_unit ? c->value_unit : ""); break;
  default: b[0] = 0;
  }
  return b;
}

/* 1 met, 0 missed, -1 not applicable or not yet known (efficiency: later). */
static int target_met(const result *r) {
  const bench_case *c = r->c;
  if (r->status) return -1;
  switch (c->target_kind) {
  case BENCH_TARGET_NS_PER_OP_MAX: return r->sum.median <= c->target;
  case BENCH_TARGET_P50_MAX: return r->nlat ? r->p50 <= c->target : -1;
  case BENCH_TARGET_P99_MAX: return r->nlat ? r->p99 <= c->target : -1;
  case BENCH_TARGET_RATE_PER_WORKER_MIN: {
    double w = c->workers ? c->workers : 1;
    return throughput(r) / w >= c->target;
  }
  case BENCH_TARGET_EFFICIENCY_MIN: return isfinite(r->efficiency) ? r->efficiency >= c->target : -1;
  case BENCH_TARGET_VALUE_MAX: return isfinite(r->value) ? r->value <= c->target : -1;
  default: return -1;
  }
}

static void print_case_header(const bench_case *c) {
  char t[96];
  target_text(c, t, sizeof t);
  printf("%s  [per %s%s%s]%s%s\n", c->name, c->op ? c->op : "iteration", c->work > 0 ? ", " : "",
         c->work > 0 ? c->work_unit : "", t[0] ? "   " : "", t);
}

static void print_result(const result *r) {
  const bench_impl *im = r->im;
  if (r->status) {
    printf("  %-10s %s\n", im->name, r->status);
    if (im->note && !im->missing) printf("  %-10s note: %s\n", "", im->note);
    return;
  }
  if (opt.smoke) {
    printf("  %-10s ok (1 iteration, set-up to teardown %.1f ms)\n", im->name, r->smoke_ms);
    return;
  }
  char med[32], mn[32], mx[32], mom[32], rate[48] = "", ratio[32] = "", val[48] = "";
  fmt_ns(med, sizeof med, r->sum.median);
  fmt_ns(mn, sizeof mn, r->sum.min);
  fmt_ns(mx, sizeof mx, r->sum.max);
  fmt_ns(mom, sizeof mom, r->sum.median_of_means);
  fmt_rate(rate, sizeof rate, throughput(r), r->c->work_unit ? r->c->work_unit : "op");
  if (isfinite(r->ratio)) fmt_ratio(ratio, sizeof ratio, r->ratio);
  else if (r->ratio_na) snprintf(ratio, sizeof ratio, "n/a");
  if (isfinite(r->value)) snprintf(val, sizeof val, "%.3g %s", r->value, r->c->value_unit ? r->c->value_unit : "");
  printf("  %-10s %10s  min %-9s max %-9s cv %5.1f%%  mom %-9s %-14s %-6s %s%s\n", im->name, med, mn, mx,
         r->sum.cv * 100, mom, rate, ratio, val, r->sum.cv > NOISY_CV ? " noisy" : "");
  if (r->nlat) {
    char a[32], b[32], c[32], d[32], e[32];
    fmt_ns(a, sizeof a, r->p50);
    fmt_ns(b, sizeof b, r->p90);
    fmt_ns(c, sizeof c, r->p99);
    fmt_ns(d, sizeof d, r->p999);
    fmt_ns(e, sizeof e, r->lmax);
    printf("  %-10s latency n=%zu p50 %s p90 %s p99 %s p99.9 %s max %s", "", r->nlat, a, b, c, d, e);
    if (r->nmodes >= 2) {
      static const char *names[] = {"", "", "bimodal", "trimodal", "multimodal"};
      printf("  %s:", names[r->nmodes < 5 ? r->nmodes : 4]);
      for (size_t i = 0; i < r->nmodes; i++) {
        fmt_ns(a, sizeof a, r->modes[i]);
        printf("%s %s", i ? " /" : "", a);
      }
    }
    printf("\n");
  }
  if (r->ratio_na) printf("  %-10s ratio %s\n", "", r->ratio_na);
  if (im->note) printf("  %-10s note: %s\n", "", im->note);
}

static void json_str(FILE *f, const char *s) {
  fputc('"', f);
  for (; s && *s; s++) {
    if (*s == '"' || *s == '\\') fprintf(f, "\\%c", *s);
    else if ((unsigned char)*s < 0x20) fprintf(f, "\\u%04x", *s);
    else fputc(*s, f);
  }
  fputc('"', f);
}

static void json_num(FILE *f, double x) {
  if (isfinite(x)) fprintf(f, "%.6g", x);
  else fputs("null", f);
}

static const char *kind_name(bench_target_kind k) {
  static const char *n[] = {"none", "ns_per_op_max", "p50_max", "p99_max", "rate_per_worker_min",
                            "efficiency_min", "value_max"};
  return (unsigned)k < sizeof n / sizeof *n ? n[k] : "none";
}

static int json_order_cmp(const void *a, const void *b) {
  const result *x = &results[*(const size_t *)a], *y = &results[*(const size_t *)b];
  int c = strcmp(x->c->name, y->c->name);
  if (c) return c;
  return (x->im > y->im) - (x->im < y->im); /* impls of one case sit in one array */
}

/* One object per line, keys in a fixed order: bench/report.sh reads it with awk. */
static void write_json(const char *path) {
  FILE *f = fopen(path, "w");
  if (!f) {
    fprintf(stderr, "engine-bench: %s: %s\n", path, strerror(errno));
    return;
  }
  fprintf(f, "{\"env\": {\"version\": ");
  json_str(f, eng_version());
  fprintf(f, ", \"date\": ");
  json_str(f, E.date);
  fprintf(f, ", \"cpu\": ");
  json_str(f, E.cpu);
  fprintf(f, ", \"pus\": %u, \"cores\": %u, \"numa\": %u, \"online\": %ld, \"kernel\": ", E.pus, E.cores, E.numa,
          E.online);
  json_str(f, E.kernel);
  fprintf(f, ", \"compiler\": ");
  json_str(f, E.compiler);
  fprintf(f, ", \"cflags\": ");
  json_str(f, BENCH_CFLAGS);
  fprintf(f, ", \"git\": ");
  json_str(f, E.git);
  fprintf(f, ", \"tree\": ");
  json_str(f, E.dirty);
  fprintf(f, ", \"loadavg\": ");
  json_str(f, E.load);
  fprintf(f, ", \"tsc\": %d, \"tsc_ghz\": %.6f, \"clock_resolution_ns\": %llu, \"workers\": ", E.clk.tsc,
          E.clk.tsc_ghz, (unsigned long long)E.clk.resolution_ns);
  json_str(f, E.topo);
  fprintf(f, ", \"seed\": %llu, \"samples\": %u, \"sample_ms\": %g, \"quick\": %d, \"tag\": ",
          (unsigned long long)opt.seed, opt.samples, opt.sample_ms, opt.quick);
  json_str(f, opt.tag ? opt.tag : "");
  fprintf(f, "},\n\"results\": [\n");
  /* Rows sorted by case name, then in the case's implementation order. */
  size_t *idx = malloc((nresults ? nresults : 1) * sizeof *idx);
  if (!idx) {
    fclose(f);
    return;
  }
  for (size_t i = 0; i < nresults; i++) idx[i] = i;
  qsort(idx, nresults, sizeof *idx, json_order_cmp);
  for (size_t ii = 0; ii < nresults; ii++) {
    size_t i = ii;
    const result *r = &results[idx[ii]];
    const bench_case *c = r->c;
    fprintf(f, "{\"case\": ");
    json_str(f, c->name);
    fprintf(f, ", \"impl\": ");
    json_str(f, r->im->name);
    fprintf(f, ", \"base\": %s, \"run_order\": %zu", r->im == &c->impls[0] ? "true" : "false", idx[ii]);
    fprintf(f, ", \"status\": ");
    if (r->status) json_str(f, r->status);
    else fputs("\"ok\"", f);
    fprintf(f, ", \"op\": ");
    json_str(f, c->op ? c->op : "");
    fprintf(f, ", \"series\": ");
    json_str(f, c->series ? c->series : "");
    fprintf(f, ", \"workers\": %u, \"iters\": %llu, \"median_ns\": ", c->workers, (unsigned long long)r->iters);
    json_num(f, r->sum.median);
    fprintf(f, ", \"min_ns\": ");
    json_num(f, r->sum.min);
    fprintf(f, ", \"max_ns\": ");
    json_num(f, r->sum.max);
    fprintf(f, ", \"cv\": ");
    json_num(f, r->sum.cv);
    fprintf(f, ", \"mom_ns\": ");
    json_num(f, r->sum.median_of_means);
    fprintf(f, ", \"noisy\": %s, \"throughput\": ", r->sum.cv > NOISY_CV ? "true" : "false");
    json_num(f, throughput(r));
    fprintf(f, ", \"work_unit\": ");
    json_str(f, c->work_unit ? c->work_unit : "");
    fprintf(f, ", \"ratio\": ");
    json_num(f, r->ratio);
    fprintf(f, ", \"ratio_na\": ");
    json_str(f, r->ratio_na ? r->ratio_na : "");
    fprintf(f, ", \"note\": ");
    json_str(f, r->im->note ? r->im->note : "");
    fprintf(f, ", \"efficiency\": ");
    json_num(f, r->efficiency);
    fprintf(f, ", \"value\": ");
    json_num(f, r->value);
    fprintf(f, ", \"value_unit\": ");
    json_str(f, c->value_unit ? c->value_unit : "");
    fprintf(f, ", \"target_kind\": \"%s\", \"target\": ", kind_name(c->target_kind));
    json_num(f, c->target_kind ? c->target : NAN);
    int met = target_met(r);
    fprintf(f, ", \"target_met\": %s", met < 0 ? "null" : met ? "true" : "false");
    fprintf(f, ", \"lat_n\": %zu, \"p50\": ", r->nlat);
    json_num(f, r->nlat ? r->p50 : NAN);
    fprintf(f, ", \"p90\": ");
    json_num(f, r->nlat ? r->p90 : NAN);
    fprintf(f, ", \"p99\": ");
    json_num(f, r->nlat ? r->p99 : NAN);
    fprintf(f, ", \"p999\": ");
    json_num(f, r->nlat ? r->p999 : NAN);
    fprintf(f, ", \"lat_max\": ");
    json_num(f, r->nlat ? r->lmax : NAN);
    fprintf(f, ", \"modes\": [");
    for (size_t k = 0; k < r->nmodes; k++) {
      if (k) fputs(", ", f);
      json_num(f, r->modes[k]);
    }
    fprintf(f, "], \"samples_ns\": [");
    for (size_t k = 0; k < r->nsamples; k++) {
      if (k) fputs(", ", f);
      json_num(f, r->samples[k]);
    }
    /* The latency CDF at up to CDF_POINTS quantiles (the raw samples can be 10^6). */
    fprintf(f, "], \"cdf\": [");
    if (r->nlat) {
      size_t pts = r->nlat < CDF_POINTS ? r->nlat : CDF_POINTS;
      for (size_t k = 0; k < pts; k++) {
        size_t idx = pts == 1 ? 0 : (size_t)((double)k * (double)(r->nlat - 1) / (double)(pts - 1));
        fprintf(f, "%s[%llu, %.6g]", k ? ", " : "", (unsigned long long)r->lat[idx],
                (double)(idx + 1) / (double)r->nlat);
      }
    }
    fprintf(f, "]}%s\n", i + 1 < nresults ? "," : "");
  }
  fprintf(f, "]}\n");
  fclose(f);
  free(idx);
}

/* Line per row for bench/ab.sh: case, impl, metric name, value (lower is better). */
static void write_tsv(const char *path) {
  FILE *f = fopen(path, "w");
  if (!f) {
    fprintf(stderr, "engine-bench: %s: %s\n", path, strerror(errno));
    return;
  }
  for (size_t i = 0; i < nresults; i++) {
    const result *r = &results[i];
    if (r->status) continue;
    fprintf(f, "%s\t%s\t%s\t%.6g\n", r->c->name, r->im->name, r->nlat ? "p50_ns" : "ns_per_op", figure(r));
  }
  fclose(f);
}

static void compute_efficiency(void) {
  for (size_t i = 0; i < nresults; i++) {
    result *r = &results[i];
    r->efficiency = NAN;
    if (!r->c->series || r->status || !r->c->workers) continue;
    for (size_t j = 0; j < nresults; j++) {
      const result *b = &results[j];
      if (b->status || !b->c->series || b->c->workers != 1 || strcmp(b->c->series, r->c->series) != 0 ||
          strcmp(b->im->name, r->im->name) != 0)
        continue;
      /* Ideal speed-up is min(workers, cores): more workers than cores cannot add CPU. */
      unsigned w = r->c->workers < machine_cores ? r->c->workers : machine_cores;
      double t1 = throughput(b), tw = throughput(r);
      if (isfinite(t1) && isfinite(tw) && t1 > 0) r->efficiency = tw / (t1 * w);
      /* Interleaved rows: sample k of each ran back to back, so the median
       * of the per-pair efficiencies cancels the host's drift between pairs. */
      double *e;
      if (r->c->interleave && b->c->interleave && r->nsamples == b->nsamples && r->nsamples > 0 &&
          (e = malloc(r->nsamples * sizeof *e)) != NULL) {
        for (size_t k = 0; k < r->nsamples; k++) e[k] = b->samples[k] / (r->samples[k] * w);
        r->efficiency = bench_median(e, r->nsamples);
        free(e);
      }
    }
  }
}

static int scaling_cmp(const void *a, const void *b) {
  const result *x = *(const result *const *)a, *y = *(const result *const *)b;
  int c = strcmp(x->c->series, y->c->series);
  if (!c) c = strcmp(x->im->name, y->im->name);
  if (!c) c = (x->c->workers > y->c->workers) - (x->c->workers < y->c->workers);
  return c;
}

static void print_scaling(void) {
  int any = 0;
  const result **sorted = malloc((nresults ? nresults : 1) * sizeof *sorted);
  size_t ns = 0;
  if (!sorted) return;
  for (size_t i = 0; i < nresults; i++)
    if (isfinite(results[i].efficiency)) sorted[ns++] = &results[i];
  qsort(sorted, ns, sizeof *sorted, scaling_cmp);
  for (size_t i = 0; i < ns; i++) {
    const result *r = sorted[i];
    if (!isfinite(r->efficiency)) continue;
    if (!any) printf("\nscaling (efficiency = throughput / (min(workers, %u cores) x 1-worker throughput))\n",
                     machine_cores);
    any = 1;
    char rate[48];
    fmt_rate(rate, sizeof rate, throughput(r), r->c->work_unit ? r->c->work_unit : "op");
    printf("  %-28s %-10s workers %u  %-16s efficiency %5.1f%%\n", r->c->series, r->im->name, r->c->workers,
           rate, r->efficiency * 100);
  }
  free(sorted);
}

static void print_targets(void) {
  int any = 0;
  for (size_t i = 0; i < nresults; i++) {
    const result *r = &results[i];
    if (!r->c->target_kind || r->status || strcmp(r->im->name, r->c->impls[0].name) != 0) continue;
    if (!any) printf("\ntargets (engine rows; medians of this run)\n");
    any = 1;
    char t[96], m[48];
    target_text(r->c, t, sizeof t);
    switch (r->c->target_kind) {
    case BENCH_TARGET_P50_MAX: fmt_ns(m, sizeof m, r->p50); break;
    case BENCH_TARGET_P99_MAX: fmt_ns(m, sizeof m, r->p99); break;
    case BENCH_TARGET_RATE_PER_WORKER_MIN:
      fmt_rate(m, sizeof m, throughput(r) / (r->c->workers ? r->c->workers : 1), r->c->work_unit);
      break;
    case BENCH_TARGET_EFFICIENCY_MIN: snprintf(m, sizeof m, "%.1f%%", r->efficiency * 100); break;
    case BENCH_TARGET_VALUE_MAX: snprintf(m, sizeof m, "%.3g %s", r->value, r->c->value_unit ? r->c->value_unit : ""); break;
    default: fmt_ns(m, sizeof m, r->sum.median);
    }
    int met = target_met(r);
    printf("  %-34s %-14s %-34s %s\n", r->c->name, m, t, met < 0 ? "n/a" : met ? "met" : "MISSED");
  }
}

/* ------------------------------------------------------------ A/B merge */

typedef struct abrow {
  char key[256];
  double *a, *b;
  size_t n, cap;
} abrow;

/* Reads "round<TAB>case<TAB>impl<TAB>metric<TAB>value" lines of A and B and
 * prints the paired deltas per case. Returns the exit status. */
static int paired_main(const char *fa, const char *fb, const char *json) {
  abrow *rows = NULL;
  size_t nrows = 0;
  const char *files[2] = {fa, fb};
  for (int side = 0; side < 2; side++) {
    FILE *f = fopen(files[side], "r");
    if (!f) {
      fprintf(stderr, "engine-bench: %s: %s\n", files[side], strerror(errno));
      return 2;
    }
    char line[1024];
    while (fgets(line, sizeof line, f)) {
      char *round = strtok(line, "\t\n"), *cs = strtok(NULL, "\t\n"), *im = strtok(NULL, "\t\n");
      char *metric = strtok(NULL, "\t\n"), *val = strtok(NULL, "\t\n");
      if (!round || !cs || !im || !metric || !val) continue;
      char key[256];
      snprintf(key, sizeof key, "%s %s %s", cs, im, metric);
      long rd = strtol(round, NULL, 10);
      if (rd < 0 || rd > 100000) continue;
      size_t k;
      for (k = 0; k < nrows && strcmp(rows[k].key, key) != 0; k++) {}
      if (k == nrows) {
        rows = realloc(rows, (nrows + 1) * sizeof *rows);
        memset(&rows[nrows], 0, sizeof *rows);
        snprintf(rows[nrows].key, sizeof rows[nrows].key, "%s", key);
        nrows++;
      }
      abrow *r = &rows[k];
      if ((size_t)rd >= r->cap) {
        size_t nc = (size_t)rd + 16;
        r->a = realloc(r->a, nc * sizeof *r->a);
        r->b = realloc(r->b, nc * sizeof *r->b);
        for (size_t i = r->cap; i < nc; i++) r->a[i] = r->b[i] = NAN;
        r->cap = nc;
      }
      (side ? r->b : r->a)[rd] = strtod(val, NULL);
      if ((size_t)rd + 1 > r->n) r->n = (size_t)rd + 1;
    }
    fclose(f);
  }
  FILE *jf = json ? fopen(json, "w") : NULL;
  if (jf) fprintf(jf, "{\"ab\": [\n");
  printf("%-48s %8s %18s %8s\n", "case impl metric", "B/A-1", "p10..p90", "B wins");
  for (size_t k = 0; k < nrows; k++) {
    abrow *r = &rows[k];
    double a[r->n ? r->n : 1], b[r->n ? r->n : 1];
    size_t m = 0;
    for (size_t i = 0; i < r->n; i++)
      if (isfinite(r->a[i]) && isfinite(r->b[i])) {
        a[m] = r->a[i];
        b[m] = r->b[i];
        m++;
      }
    bench_paired p;
    if (bench_paired_deltas(a, b, m, 1, &p) != 0) continue;
    printf("%-48s %+7.1f%% %+7.1f%%..%+6.1f%% %4zu/%zu\n", r->key, p.median_delta * 100, p.p10 * 100, p.p90 * 100,
           p.b_wins, p.n);
    if (jf) {
      fprintf(jf, "%s{\"row\": ", k ? ",\n" : "");
      json_str(jf, r->key);
      fprintf(jf, ", \"rounds\": %zu, \"median_delta\": %.6g, \"p10\": %.6g, \"p90\": %.6g, \"b_wins\": %zu}", p.n,
              p.median_delta, p.p10, p.p90, p.b_wins);
    }
    free(r->a);
    free(r->b);
  }
  if (jf) {
    fprintf(jf, "\n]}\n");
    fclose(jf);
  }
  free(rows);
  return 0;
}

/* ------------------------------------------------------------------ main */

static void usage(FILE *f) {
  fprintf(f,
          "usage: engine-bench [options]\n"
          "  --quick          shorter samples, skip slow cases (whole suite < 2 min)\n"
          "  --smoke          one iteration per case and impl, no timing (make check)\n"
          "  --list           list cases and implementations\n"
          "  --filter REGEX   only cases whose name matches (POSIX extended)\n"
          "  --impl REGEX     only implementations whose name matches\n"
          "  --seed N         seed of the shuffled case order (default 1)\n"
          "  --samples N      samples per case and impl (default 7; quick 5; minimum 5)\n"
          "  --sample-ms MS   target duration of one sample (default 20; quick 4)\n"
          "  --json FILE      write every sample and summary as JSON\n"
          "  --tsv FILE       write one line per row (case impl metric value) for A/B\n"
          "  --tag NAME       label stored in the JSON environment block\n"
          "  --no-env         skip the environment block\n"
          "  --paired A.tsv B.tsv [--json FILE]  paired deltas of A/B rounds (bench/ab.sh)\n");
}

int main(int argc, char **argv) {
  opt.seed = 1;
  opt.samples = 0;
  opt.sample_ms = 0;
  const char *paired_a = NULL, *paired_b = NULL;
  static const struct option lo[] = {
      {"quick", no_argument, NULL, 'q'},       {"smoke", no_argument, NULL, 'S'},
      {"list", no_argument, NULL, 'l'},        {"filter", required_argument, NULL, 'f'},
      {"impl", required_argument, NULL, 'i'},  {"seed", required_argument, NULL, 's'},
      {"samples", required_argument, NULL, 'n'}, {"sample-ms", required_argument, NULL, 'm'},
      {"json", required_argument, NULL, 'j'},  {"tsv", required_argument, NULL, 't'},
      {"tag", required_argument, NULL, 'T'},   {"no-env", no_argument, NULL, 'E'},
      {"paired", required_argument, NULL, 'P'}, {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  int ch;
  while ((ch = getopt_long(argc, argv, "qSlf:i:s:n:m:j:t:T:EP:h", lo, NULL)) != -1) {
    switch (ch) {
    case 'q': opt.quick = 1; break;
    case 'S': opt.smoke = 1; break;
    case 'l': opt.list = 1; break;
    case 'f':
    case 'i': {
      regex_t *re = ch == 'f' ? &opt.filter : &opt.impl;
      int rc = regcomp(re, optarg, REG_EXTENDED | REG_NOSUB);
      if (rc != 0) {
        char msg[128];
        regerror(rc, re, msg, sizeof msg);
        fprintf(stderr, "engine-bench: bad regex '%s': %s\n", optarg, msg);
        return 2;
      }
      if (ch == 'f') opt.has_filter = 1;
      else opt.has_impl = 1;
      break;
    }
    case 's': opt.seed = strtoull(optarg, NULL, 10); break;
    case 'n': opt.samples = (unsigned)strtoul(optarg, NULL, 10); break;
    case 'm': opt.sample_ms = strtod(optarg, NULL); break;
    case 'j': opt.json = optarg; break;
    case 't': opt.tsv = optarg; break;
    case 'T': opt.tag = optarg; break;
    case 'E': opt.no_env = 1; break;
    case 'P':
      paired_a = optarg;
      if (optind >= argc) {
        fprintf(stderr, "engine-bench: --paired needs two files\n");
        return 2;
      }
      paired_b = argv[optind++];
      break;
    case 'h': usage(stdout); return 0;
    default: usage(stderr); return 2;
    }
  }
  if (optind < argc) {
    fprintf(stderr, "engine-bench: unexpected argument '%s'\n", argv[optind]);
    usage(stderr);
    return 2;
  }
  if (paired_a) return paired_main(paired_a, paired_b, opt.json);

  if (opt.smoke) opt.samples = 1;
  else if (opt.samples == 0) opt.samples = opt.quick ? 5 : 7;
  else if (opt.samples < 5) opt.samples = 5;
  if (!(opt.sample_ms > 0)) opt.sample_ms = opt.quick ? 4 : 20;
  rng_state = opt.seed;

  add_area(bench_cases_sched);
  add_area(bench_cases_temporal);
  add_area(bench_cases_sequence);
  add_area(bench_cases_dynamics);
  add_area(bench_cases_attractor);
  add_area(bench_cases_ltl);

  if (opt.list) {
    for (size_t i = 0; i < ncases; i++) {
      if (!case_selected(cases[i])) continue;
      printf("%s:", cases[i]->name);
      for (size_t k = 0; k < cases[i]->nimpls; k++)
        printf(" %s%s", cases[i]->impls[k].name, cases[i]->impls[k].missing ? "(missing)" : "");
      printf("%s\n", cases[i]->slow ? "  [slow]" : "");
    }
    return 0;
  }

  gather_env();
  if (!opt.no_env) print_env();

  size_t *order = malloc((ncases ? ncases : 1) * sizeof *order);
  size_t nsel = 0;
  for (size_t i = 0; i < ncases; i++)
    if (case_selected(cases[i])) order[nsel++] = i;
  shuffle(order, nsel);

  char *done = calloc(ncases ? ncases : 1, 1);
  size_t *group = malloc((nsel ? nsel : 1) * sizeof *group);
  for (size_t oi = 0; oi < nsel; oi++) {
    if (done[order[oi]]) continue;
    /* A case marked interleave runs together with the other selected
     * interleave cases of its series, in declaration (worker) order. */
    size_t ng = 0;
    const bench_case *c0 = cases[order[oi]];
    for (size_t i = 0; i < ncases; i++) {
      const bench_case *c = cases[i];
      int member = i == order[oi] || (c0->interleave && c0->series && c->interleave && c->series &&
                                      strcmp(c->series, c0->series) == 0 && case_selected(c));
      if (member && !done[i]) {
        group[ng++] = i;
        done[i] = 1;
      }
    }
    size_t first = nresults;
    for (size_t g = 0; g < ng; g++) {
      const bench_case *c = cases[group[g]];
      /* Implementations of a case also run in a shuffled order, so no peer is
       * always measured right after the same neighbour. */
      size_t io[c->nimpls ? c->nimpls : 1];
      for (size_t k = 0; k < c->nimpls; k++) io[k] = k;
      shuffle(io, c->nimpls);
      for (size_t kk = 0; kk < c->nimpls; kk++) {
        const bench_impl *im = &c->impls[io[kk]];
        if (!impl_selected(im)) continue;
        if (nresults == cap_results) {
          cap_results = cap_results ? 2 * cap_results : 64;
          results = realloc(results, cap_results * sizeof *results);
        }
        result *r = &results[nresults++];
        memset(r, 0, sizeof *r);
        r->c = c;
        r->im = im;
        r->ratio = r->efficiency = r->value = NAN;
        if (im->missing) r->status = im->missing;
      }
    }
    if (ng == 1) {
      print_case_header(c0);
      fflush(stdout);
    }
    /* One row at a time, or the group's rows sample by sample in turns, so a
     * slow minute of the host lands on all of them alike. Rows measured
     * together stay set up until the last of them is done. */
    size_t last = nresults, step = ng > 1 ? last - first : 1;
    for (size_t b0 = first; b0 < last; b0 += step) {
      for (size_t k = 0; k < step; k++) {
        result *r = &results[b0 + k];
        uint64_t t0 = mono_ns();
        if (!r->status) measure_begin(r->c, r->im, r);
        r->smoke_ms += (double)(mono_ns() - t0) / 1e6;
      }
      for (unsigned sm = 0; sm < opt.samples; sm++)
        for (size_t k = 0; k < step; k++) {
          /* Each turn starts at a different row, so none always goes first. */
          result *r = &results[b0 + (k + sm) % step];
          uint64_t t0 = mono_ns();
          if (r->st) measure_sample(r->c, r->im, r);
          r->smoke_ms += (double)(mono_ns() - t0) / 1e6;
        }
      for (size_t k = 0; k < step; k++) {
        result *r = &results[b0 + k];
        uint64_t t0 = mono_ns();
        if (r->st) measure_end(r->im, r);
        r->smoke_ms += (double)(mono_ns() - t0) / 1e6;
      }
      fflush(stdout);
    }
    for (size_t g = 0; g < ng; g++) {
      const bench_case *c = cases[group[g]];
      if (ng > 1) print_case_header(c);
      /* Ratios to impls[0] (the engine or the area's own implementation), and
       * rows printed in declaration order. */
      const result *base = NULL;
      for (size_t k = first; k < last; k++)
        if (results[k].c == c && results[k].im == &c->impls[0] && !results[k].status) base = &results[k];
      for (size_t k = 0; k < c->nimpls; k++)
        for (size_t j = first; j < last; j++) {
          result *r = &results[j];
          if (r->c != c || r->im != &c->impls[k]) continue;
          set_ratio(r, base);
          print_result(r);
        }
    }
    fflush(stdout);
  }
  free(group);
  free(done);
  compute_efficiency();
  if (!opt.smoke) {
    print_scaling();
    print_targets();
  }
  if (opt.json) write_json(opt.json);
  if (opt.tsv) write_tsv(opt.tsv);
  for (size_t i = 0; i < nresults; i++) {
    free(results[i].samples);
    free(results[i].lat);
  }
  free(results);
  free(order);
  free(cases);
  if (opt.has_filter) regfree(&opt.filter);
  if (opt.has_impl) regfree(&opt.impl);
  return 0;
}
