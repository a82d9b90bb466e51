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
} bench_impl;

typedef struct bench_case {
  const char *name;      /* unique, "area/what/params", matched by --filter */
  const char *op;        /* what one iteration is: "call", "task", "submit" */
  double work;           /* units of work per iteration for throughput (0: none) */
  const char *work_unit; /* "cells", "chars", "steps", "tasks" */
  int slow;              /* 1: skipped by --quick */
  const void *param;     /* passed to every impl's setup */
  const bench_impl *impls;
  size_t nimpls;
} bench_case;

/* Each area provides its list; the runner concatenates them. */
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
