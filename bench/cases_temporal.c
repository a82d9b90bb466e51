/* cases_temporal.c: DTW, subsequence search and all-pairs matrix workloads, with a plain two-row DP as the peer. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "engine.h"
#include "engine/temporal.h"

enum tkind { T_DTW, T_SEARCH, T_ALLPAIRS };

typedef struct tparam {
  enum tkind kind;
  size_t n;        /* series length (DTW, all-pairs) or query length (search) */
  ptrdiff_t window;/* radius, or ENG_DTW_NOWINDOW */
  size_t count;    /* all-pairs: number of series; search: series length */
  unsigned workers;/* all-pairs: 0 = one per core */
} tparam;

static uint64_t rng(uint64_t *s)
{
  uint64_t x = *s;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *s = x;
  return x * 2685821657736338717ull;
}

/* A random walk with steps uniform in [-0.5, 0.5). */
static void walk(double *x, size_t n, uint64_t seed)
{
  uint64_t s = seed | 1;
  double v = 0;
  for (size_t i = 0; i < n; i++) {
    v += (double)(rng(&s) >> 11) * (1.0 / 9007199254740992.0) - 0.5;
    x[i] = v;
  }
}

typedef struct tstate {
  const tparam *p;
  double *a, *b, *ws;
  size_t nws;
  double sink;
  /* search */
  double *x, *q;
  /* all-pairs */
  eng_engine *e;
  eng_seq *items;
  double *out;
} tstate;

static void teardown(void *st)
{
  tstate *s = st;
  if (s == NULL)
    return;
  if (s->e)
    eng_engine_destroy(s->e, ENG_DRAIN_FINISH, NULL);
  free(s->a);
  free(s->b);
  free(s->ws);
  free(s->x);
  free(s->q);
  free(s->items);
  free(s->out);
  free(s);
}

/* ------------------------------------------------------------------ DTW */

static void *dtw_setup(const void *param)
{
  const tparam *p = param;
  tstate *s = calloc(1, sizeof *s);
  if (s == NULL)
    return NULL;
  s->p = p;
  s->a = malloc(p->n * sizeof *s->a);
  s->b = malloc(p->n * sizeof *s->b);
  s->nws = eng_dtw_workspace(p->n, p->n); /* also >= the 2 (n + 1) the peer uses */
  s->ws = malloc(s->nws * sizeof *s->ws);
  if (!s->a || !s->b || !s->ws) {
    teardown(s);
    return NULL;
  }
  walk(s->a, p->n, 11);
  walk(s->b, p->n, 23);
  /* A failing call would time nothing: refuse the row instead. */
  eng_dtw_opts o;
  eng_dtw_opts_init(&o);
  o.window = p->window;
  double d;
  if (eng_dtw_distance_ws(s->a, p->n, s->b, p->n, &o, s->ws, s->nws, &d) != 0) {
    teardown(s);
    return NULL;
  }
  return s;
}

static void dtw_run(void *st, uint64_t iters)
{
  tstate *s = st;
  eng_dtw_opts o;
  eng_dtw_opts_init(&o);
  o.window = s->p->window;
  for (uint64_t i = 0; i < iters; i++) {
    double d = 0;
    eng_dtw_distance_ws(s->a, s->p->n, s->b, s->p->n, &o, s->ws, s->nws, &d);
    s->sink += d;
  }
  bench_keep_double(s->sink);
}

/* The peer: the textbook two-row DP over the band, squared cost, no pruning. */
static double ref_dtw(const double *a, const double *b, size_t n, size_t r, double *prev,
                      double *curr)
{
  for (size_t j = 0; j <= n; j++)
    prev[j] = INFINITY;
  prev[0] = 0;
  for (size_t i = 1; i <= n; i++) {
    size_t lo = i > r ? i - r : 1, hi = i + r < n ? i + r : n;
    curr[lo - 1] = INFINITY;
    for (size_t j = lo; j <= hi; j++) {
      double m = prev[j - 1];
      if (prev[j] < m)
        m = prev[j];
      if (curr[j - 1] < m)
        m = curr[j - 1];
      double t = a[i - 1] - b[j - 1];
      curr[j] = m + t * t;
    }
    if (hi < n)
      curr[hi + 1] = INFINITY;
    double *tmp = prev;
    prev = curr;
    curr = tmp;
  }
  return prev[n];
}

static void ref_run(void *st, uint64_t iters)
{
  tstate *s = st;
  size_t n = s->p->n;
  size_t r = s->p->window == ENG_DTW_NOWINDOW ? n : (size_t)s->p->window;
  for (uint64_t i = 0; i < iters; i++)
    s->sink += ref_dtw(s->a, s->b, n, r, s->ws, s->ws + n + 1);
  bench_keep_double(s->sink);
}

/* --------------------------------------------------------------- search */

static void *search_setup(const void *param)
{
  const tparam *p = param;
  tstate *s = calloc(1, sizeof *s);
  if (s == NULL)
    return NULL;
  s->p = p;
  s->x = malloc(p->count * sizeof *s->x);
  s->q = malloc(p->n * sizeof *s->q);
  if (!s->x || !s->q) {
    teardown(s);
    return NULL;
  }
  walk(s->x, p->count, 5);
  walk(s->q, p->n, 77 + p->n);
  return s;
}

static void search_run(void *st, uint64_t iters)
{
  tstate *s = st;
  eng_dtw_search_opts o;
  eng_dtw_search_opts_init(&o);
  o.window = s->p->window;
  for (uint64_t i = 0; i < iters; i++) {
    eng_dtw_match m;
    size_t nm = 0;
    eng_dtw_search(s->q, s->p->n, s->x, s->p->count, &o, &m, &nm, NULL);
    s->sink += nm ? m.dist + (double)m.pos : 0;
  }
  bench_keep_double(s->sink);
}

/* ------------------------------------------------------------ all-pairs */

static void *allpairs_setup(const void *param)
{
  const tparam *p = param;
  tstate *s = calloc(1, sizeof *s);
  if (s == NULL)
    return NULL;
  s->p = p;
  s->x = malloc(p->count * p->n * sizeof *s->x);
  s->items = malloc(p->count * sizeof *s->items);
  s->out = malloc(p->count * p->count * sizeof *s->out);
  if (!s->x || !s->items || !s->out) {
    teardown(s);
    return NULL;
  }
  for (size_t i = 0; i < p->count; i++) {
    walk(s->x + i * p->n, p->n, 1000 + i);
    s->items[i].data = s->x + i * p->n;
    s->items[i].n = p->n;
  }
  eng_config cfg;
  eng_config_init(&cfg);
  cfg.workers = p->workers;
  if (eng_engine_create(&s->e, &cfg) != 0) {
    cfg.pin = 0;
    if (eng_engine_create(&s->e, &cfg) != 0) {
      s->e = NULL;
      teardown(s);
      return NULL;
    }
  }
  return s;
}

static void allpairs_run(void *st, uint64_t iters)
{
  tstate *s = st;
  eng_matrix_opts o;
  eng_matrix_opts_init(&o);
  o.dtw.window = s->p->window;
  for (uint64_t i = 0; i < iters; i++) {
    eng_distance_matrix(s->e, s->items, s->p->count, NULL, &o, s->out, NULL);
    s->sink += s->out[1];
  }
  bench_keep_double(s->sink);
}

/* ---------------------------------------------------------------- cases */

static const bench_impl dtw_impls[] = {
  {.name = "engine", .setup = dtw_setup, .run = dtw_run, .teardown = teardown},
  {.name = "dp-ref", .setup = dtw_setup, .run = ref_run, .teardown = teardown},
};
static const bench_impl search_impls[] = {
  {.name = "engine", .setup = search_setup, .run = search_run, .teardown = teardown},
};
static const bench_impl allpairs_impls[] = {
  {.name = "engine", .setup = allpairs_setup, .run = allpairs_run, .teardown = teardown},
};

static const tparam p_dtw100 = {T_DTW, 100, ENG_DTW_NOWINDOW, 0, 0};
static const tparam p_dtw100b = {T_DTW, 100, 10, 0, 0};
static const tparam p_dtw1000 = {T_DTW, 1000, ENG_DTW_NOWINDOW, 0, 0};
static const tparam p_dtw1000b = {T_DTW, 1000, 100, 0, 0};
static const tparam p_dtw10000 = {T_DTW, 10000, ENG_DTW_NOWINDOW, 0, 0};
static const tparam p_dtw10000b = {T_DTW, 10000, 1000, 0, 0};
/* Search: 5% band, as in the UCR suite's own examples. */
static const tparam p_s128 = {T_SEARCH, 128, 6, 10000000, 0};
static const tparam p_s1024 = {T_SEARCH, 1024, 51, 10000000, 0};
static const tparam p_ap1 = {T_ALLPAIRS, 256, ENG_DTW_NOWINDOW, 1000, 1};
static const tparam p_apn = {T_ALLPAIRS, 256, ENG_DTW_NOWINDOW, 1000, 0};

/* Cells of an n x n band of radius r: n(2r+1) - r(r+1). */
#define BAND_CELLS(n, r) ((double)(n) * (2.0 * (r) + 1) - (double)(r) * ((r) + 1))
#define ALLPAIRS_CELLS (1000.0 * 999.0 / 2.0 * 256.0 * 256.0)

static const bench_case cases[] = {
  {.name = "temporal/dtw/n100/full", .op = "call", .work = 100.0 * 100, .work_unit = "cells",
   .param = &p_dtw100, .impls = dtw_impls, .nimpls = 2},
  {.name = "temporal/dtw/n100/band10", .op = "call", .work = BAND_CELLS(100, 10),
   .work_unit = "cells", .param = &p_dtw100b, .impls = dtw_impls, .nimpls = 2},
  {.name = "temporal/dtw/n1000/full", .op = "call", .work = 1000.0 * 1000, .work_unit = "cells",
   .param = &p_dtw1000, .impls = dtw_impls, .nimpls = 2,
   .target_kind = BENCH_TARGET_NS_PER_OP_MAX, .target = 800000},
  {.name = "temporal/dtw/n1000/band10", .op = "call", .work = BAND_CELLS(1000, 100),
   .work_unit = "cells", .param = &p_dtw1000b, .impls = dtw_impls, .nimpls = 2,
   .target_kind = BENCH_TARGET_NS_PER_OP_MAX, .target = 150000},
  {.name = "temporal/dtw/n10000/full", .op = "call", .work = 1e8, .work_unit = "cells",
   .slow = 1, .param = &p_dtw10000, .impls = dtw_impls, .nimpls = 2, .max_iters = 4,
   .target_kind = BENCH_TARGET_NS_PER_OP_MAX, .target = 80e6},
  {.name = "temporal/dtw/n10000/band10", .op = "call", .work = BAND_CELLS(10000, 1000),
   .work_unit = "cells", .slow = 1, .param = &p_dtw10000b, .impls = dtw_impls, .nimpls = 2,
   .max_iters = 8},
  {.name = "temporal/search/q128/n1e7", .op = "call", .work = 1e7, .work_unit = "windows",
   .slow = 1, .param = &p_s128, .impls = search_impls, .nimpls = 1, .max_iters = 1,
   .target_kind = BENCH_TARGET_NS_PER_OP_MAX, .target = 1e8},
  {.name = "temporal/search/q1024/n1e7", .op = "call", .work = 1e7, .work_unit = "windows",
   .slow = 1, .param = &p_s1024, .impls = search_impls, .nimpls = 1, .max_iters = 1,
   .target_kind = BENCH_TARGET_NS_PER_OP_MAX, .target = 2e9},
  {.name = "temporal/allpairs/1000x256/w1", .op = "call", .work = ALLPAIRS_CELLS,
   .work_unit = "cells", .slow = 1, .param = &p_ap1, .impls = allpairs_impls, .nimpls = 1,
   .max_iters = 1, .series = "temporal/allpairs", .workers = 1},
  {.name = "temporal/allpairs/1000x256/wN", .op = "call", .work = ALLPAIRS_CELLS,
   .work_unit = "cells", .slow = 1, .param = &p_apn, .impls = allpairs_impls, .nimpls = 1,
   .max_iters = 1, .series = "temporal/allpairs",
   .target_kind = BENCH_TARGET_NS_PER_OP_MAX, .target = 1.5e9},
};

const bench_case *bench_cases_temporal(size_t *n)
{
  *n = sizeof cases / sizeof cases[0];
  return cases;
}
