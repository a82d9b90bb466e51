/* bench.h: the contract between the benchmark runner and the case files.
 *
 * A case is one workload (a row); it has one or more implementations (the
 * columns): impls[0] is the engine's, the rest are peers measured in the same
 * run, and the runner prints each peer's ratio to impls[0]. The runner decides
 * how many iterations make one sample, warms up, repeats samples in a seeded
 * shuffled order and reports median, min, max, CV and percentiles.
 */
#ifndef ENGINE_BENCH_H
#define ENGINE_BENCH_H

#include <stddef.h>
#include <stdint.h>

typedef struct bench_impl {
  const char *name;    /* "engine", "edlib", "dp-ref", "pool", "omp", "tbb", ... */
  const char *missing; /* non-NULL: not built here; says what to install, e.g.
                          "not built (install libedlib-dev)" */
  /* Prepares inputs; returns state (NULL = failed, the row says so). param is
   * the case's param. Not timed. */
  void *(*setup)(const void *param);
  /* Performs iters operations; timed as a whole. Must not be optimised away:
   * fold results into the state. */
  void (*run)(void *state, uint64_t iters);
  /* Optional: for latency rows, fills up to n per-operation latencies in ns and
   * returns how many it wrote (the runner reports their distribution). */
  size_t (*latencies)(void *state, uint64_t *ns, size_t n);
  void (*teardown)(void *state);
  /* Optional: the ns of the last run() that count, when run() has to exclude
   * its own set-up or draining (e.g. a submit-only loop timed inside a worker).
   * The runner then uses this instead of its wall-clock time around run(). */
  uint64_t (*timed_ns)(void *state);
  /* Optional: a case-specific figure of the last run() in the case's
   * value_unit (CPU % while idle, fraction of timers out of order, ...). */
  double (*value)(void *state);
  /* Optional: how this implementation runs the case when that differs from
   * the engine (no priorities, its own idle policy, ...); printed under the
   * row and kept in the JSON. */
  const char *note;
} bench_impl;

/* What a case's target bounds (printed next to the measured figure, never used
 * to pass or fail anything). */
typedef enum bench_target_kind {
  BENCH_TARGET_NONE = 0,
  BENCH_TARGET_NS_PER_OP_MAX,   /* median ns per iteration <= limit */
  BENCH_TARGET_P50_MAX,         /* latency p50 (ns) <= limit */
  BENCH_TARGET_P99_MAX,         /* latency p99 (ns) <= limit */
  BENCH_TARGET_RATE_PER_WORKER_MIN, /* work units / s / worker >= limit */
  BENCH_TARGET_EFFICIENCY_MIN,  /* scaling efficiency vs the 1-worker row >= limit */
  BENCH_TARGET_VALUE_MAX        /* impl->value <= limit */
} bench_target_kind;

typedef struct bench_case {
  const char *name;      /* unique, "area/what/params", matched by --filter */
  const char *op;        /* what one iteration is: "call", "task", "submit" */
  double work;           /* units of work per iteration for throughput (0: none) */
  const char *work_unit; /* "cells", "chars", "steps", "tasks" */
  int slow;              /* 1: skipped by --quick and --smoke */
  const void *param;     /* passed to every impl's setup */
  const bench_impl *impls;
  size_t nimpls;
  /* Optional fields (zero when unused); designated initialisers keep old
   * cases valid as fields are added. */
  const char *value_unit; /* unit of impl->value */
  const char *series;     /* scaling curve this row belongs to ("sched/scale/1us") */
  unsigned workers;       /* workers used by this row of the curve */
  bench_target_kind target_kind;
  double target;          /* the bound, in the unit target_kind names */
  uint64_t max_iters;     /* cap on iterations per sample (0: no cap) */
  uint64_t min_iters;     /* floor on iterations per sample, e.g. so a latency
                             row collects >= 10^5 samples (a tenth in --quick) */
  int interleave;         /* with series: run with the series' other interleave
                             cases, one sample of each in turn, so a ratio
                             between them is not one between two minutes of
                             a host whose speed drifts */
} bench_case;

/* Each area provides its list; the runner concatenates them. The runner
 * declares all but bench_cases_sched weak, so an area whose file is not built
 * yet is skipped rather than breaking the link. The area fragments are
 * included before bench/Makemodule.am, where automake forbids `+=` on a
 * variable not yet set, so the case files are listed in bench/Makemodule.am. */
const bench_case *bench_cases_sched(size_t *n);
const bench_case *bench_cases_temporal(size_t *n);  /* DTW, search, all-pairs */
const bench_case *bench_cases_sequence(size_t *n);  /* edit, LCS, Damerau */
const bench_case *bench_cases_dynamics(size_t *n);  /* embedding, delay, FNN/Cao, spectrum */
const bench_case *bench_cases_attractor(size_t *n); /* Lyapunov, corrdim, pipeline */
const bench_case *bench_cases_ltl(size_t *n);

/* Keeps a value alive so the compiler cannot drop the work that made it. */
static inline void bench_keep(const void *p) { __asm__ volatile("" : : "r"(p) : "memory"); }
static inline void bench_keep_double(double x) { __asm__ volatile("" : : "x"(x)); }

#endif
