/* cases_attractor.c: bench cases for Lyapunov (Rosenstein, Kantz), correlation sums and the pipeline, with brute-force peers. */
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "engine/attractor.h"
#include "engine/dynamics.h"
#include "bench.h"
#include "monotonic.h"

enum { W_ROSEN, W_KANTZ, W_CORR, W_PIPE };

typedef struct ap {
  int what;
  eng_system_kind sys;
  size_t n;
  unsigned workers; /* scheduled rows: 0 = one per core, else this many */
} ap;

typedef struct ast {
  const ap *p;
  double *x;
  size_t n;
  eng_engine *e;
  eng_lyap_opts lo;
  eng_corrdim_opts co;
  eng_analyze_opts ao;
  double acc;
  uint64_t bare_ns; /* bare rows: wall time of the last run over the threads */
} ast;

static void *setup(const void *param)
{
  const ap *p = param;
  ast *s = calloc(1, sizeof *s);
  if (!s)
    return NULL;
  s->p = p;
  s->n = p->n;
  s->x = malloc(p->n * sizeof *s->x);
  eng_system sys;
  eng_system_init(&sys, p->sys);
  if (!s->x || eng_system_generate(&sys, p->n, 1, NULL, s->x) != 0) {
    free(s->x);
    free(s);
    return NULL;
  }
  eng_lyap_opts_init(&s->lo);
  s->lo.method = p->what == W_KANTZ ? ENG_LYAP_KANTZ : ENG_LYAP_ROSENSTEIN;
  if (p->sys == ENG_SYS_LORENZ) {
    /* m 5, tau 10, a divergence curve of 100 steps (1 time unit) */
    s->lo.m = 5;
    s->lo.tau = 10;
    s->lo.kmax = 100;
    s->lo.dt = 0.01;
  }
  eng_corrdim_opts_init(&s->co);
  s->co.m_min = 1;
  s->co.m_max = 10;
  s->co.tau = 10;
  s->co.r_max = 0.5;
  eng_analyze_opts_init(&s->ao);
  s->ao.dt = 0.01;
  return s;
}

/* The correlation sum through the portable scalar pair scan (no AVX2). */
static void *setup_scalar(const void *param)
{
  ast *s = setup(param);
  if (s)
    s->co.scalar = 1;
  return s;
}

static void *setup_par(const void *param)
{
  const ap *p = param;
  ast *s = setup(param);
  if (!s)
    return NULL;
  eng_config cfg;
  eng_config_init(&cfg);
  cfg.workers = p->workers;
  if (eng_engine_create(&s->e, &cfg) != 0) {
    cfg.pin = 0;
    if (eng_engine_create(&s->e, &cfg) != 0) {
      free(s->x);
      free(s);
      return NULL;
    }
  }
  return s;
}

static void teardown(void *state)
{
  ast *s = state;
  if (s->e)
    eng_engine_destroy(s->e, ENG_DRAIN_FINISH, NULL);
  free(s->x);
  free(s);
}

/* One call of the row's kernel: scheduled on e, or serial when e is NULL.
 * Returns a value of the result, kept so the call cannot be dropped. */
static double one_call(const ast *s, eng_engine *e)
{
  switch (s->p->what) {
  case W_ROSEN:
  case W_KANTZ: {
    eng_lyap_result r;
    int rc = e ? eng_lyapunov_par(e, s->x, s->n, &s->lo, NULL, 0, &r)
               : eng_lyapunov(s->x, s->n, &s->lo, NULL, 0, &r);
    return rc ? 0.0 : r.lambda;
  }
  case W_CORR: {
    eng_corrdim_result r;
    int rc = e ? eng_corrdim_par(e, s->x, s->n, &s->co, NULL, NULL, NULL, &r)
               : eng_corrdim(s->x, s->n, &s->co, NULL, NULL, NULL, &r);
    return rc ? 0.0 : r.d2;
  }
  case W_PIPE: {
    eng_analyze_result r;
    int rc = e ? eng_analyze_par(e, s->x, s->n, &s->ao, &r) : eng_analyze(s->x, s->n, &s->ao, &r);
    return rc ? 0.0 : r.lyap.lambda;
  }
  }
  return 0.0;
}

static void run_engine(void *state, uint64_t iters)
{
  ast *s = state;
  for (uint64_t it = 0; it < iters; it++)
    s->acc += one_call(s, s->e);
  bench_keep_double(s->acc);
}

/* The pairs' "bare" column: w pinned threads (PU 0 .. w-1), each making
 * every call of the sample serially, no scheduler. Its time per call is the
 * wall time over w x iters calls, so its efficiency is what the machine gives
 * to w independent copies of the kernel in this run: the ceiling for the
 * scheduled version, which splits one call over w workers. */
typedef struct bare_thread {
  pthread_t th;
  const ast *s;
  uint64_t iters;
  double acc;
} bare_thread;

static void *bare_main(void *arg)
{
  bare_thread *t = arg;
  for (uint64_t it = 0; it < t->iters; it++)
    t->acc += one_call(t->s, NULL);
  return NULL;
}

static void run_bare(void *state, uint64_t iters)
{
  ast *s = state;
  unsigned w = s->p->workers ? s->p->workers : 1;
  bare_thread t[8];
  if (w > 8)
    w = 8;
  uint64_t t0 = mono_ns();
  for (unsigned i = 0; i < w; i++) {
    pthread_attr_t a;
    cpu_set_t cs;
    CPU_ZERO(&cs);
    CPU_SET(i, &cs);
    pthread_attr_init(&a);
    pthread_attr_setaffinity_np(&a, sizeof cs, &cs);
    t[i] = (bare_thread){.s = s, .iters = iters};
    if (pthread_create(&t[i].th, &a, bare_main, &t[i]) != 0) {
      bare_main(&t[i]); /* no thread: the calls still get made */
      t[i].th = pthread_self();
    }
    pthread_attr_destroy(&a);
  }
  for (unsigned i = 0; i < w; i++) {
    if (!pthread_equal(t[i].th, pthread_self()))
      pthread_join(t[i].th, NULL);
    s->acc += t[i].acc;
  }
  s->bare_ns = (mono_ns() - t0) / w;
  bench_keep_double(s->acc);
}

static uint64_t timed_bare(void *state) { return ((ast *)state)->bare_ns; }

/* Peer: Rosenstein with an O(n^2) nearest-neighbour scan (the naive
 * implementation), the same curve length and Theiler window 2 periods. */
static void run_brute_rosen(void *state, uint64_t iters)
{
  ast *s = state;
  unsigned m = s->lo.m, tau = s->lo.tau;
  size_t kmax = s->lo.kmax ? s->lo.kmax : 25, span = (size_t)(m - 1) * tau;
  size_t rows = s->n - span - kmax, w = span + 1;
  for (uint64_t it = 0; it < iters; it++) {
    double sum = 0.0;
    for (size_t i = 0; i < rows; i++) {
      double best = INFINITY;
      size_t bj = 0;
      for (size_t j = 0; j < rows; j++) {
        if ((j > i ? j - i : i - j) <= w)
          continue;
        double d2 = 0.0;
        for (unsigned c = 0; c < m; c++) {
          double d = s->x[i + c * tau] - s->x[j + c * tau];
          d2 += d * d;
        }
        if (d2 < best && d2 > 0.0) {
          best = d2;
          bj = j;
        }
      }
      sum += (double)bj;
    }
    s->acc += sum;
  }
  bench_keep_double(s->acc);
}

/* Peer: the naive correlation sum, every pair in every dimension (max norm,
 * one radius per dimension is enough to show the O(n^2 m) cost). */
static void run_brute_corr(void *state, uint64_t iters)
{
  ast *s = state;
  unsigned tau = s->co.tau, M = s->co.m_max;
  size_t rows = s->n - (size_t)(M - 1) * tau;
  double r = 0.5 * 8.0; /* ~0.5 sd of the Lorenz x series */
  for (uint64_t it = 0; it < iters; it++) {
    uint64_t cnt = 0;
    for (size_t i = 0; i < rows; i++)
      for (size_t j = i + 1; j < rows; j++) {
        double d = 0.0;
        for (unsigned m = 0; m < M; m++) {
          double v = fabs(s->x[i + m * tau] - s->x[j + m * tau]);
          d = v > d ? v : d;
          cnt += d < r;
        }
      }
    s->acc += (double)cnt;
  }
  bench_keep_double(s->acc);
}

static const bench_impl rosen_impls[] = {
    {.name = "engine", .setup = setup, .run = run_engine, .teardown = teardown},
    {.name = "brute-n2", .setup = setup, .run = run_brute_rosen, .teardown = teardown},
};
static const bench_impl only_engine[] = {
    {.name = "engine", .setup = setup, .run = run_engine, .teardown = teardown},
};
/* Both rows of a 1-vs-2-worker pair name their impl "engine", which is what
 * pairs them for the efficiency column. */
static const bench_impl par_impls[] = {
    {.name = "engine", .setup = setup_par, .run = run_engine, .teardown = teardown},
    {.name = "bare", .setup = setup, .run = run_bare, .teardown = teardown, .timed_ns = timed_bare,
     .note = "no scheduler: w pinned threads each make every call serially (the machine's ceiling)"},
};
static const bench_impl corr_impls[] = {
    {.name = "engine", .setup = setup, .run = run_engine, .teardown = teardown},
    {.name = "engine-scalar", .setup = setup_scalar, .run = run_engine, .teardown = teardown},
    {.name = "brute-n2", .setup = setup, .run = run_brute_corr, .teardown = teardown},
};

static const ap p_rh3 = {W_ROSEN, ENG_SYS_HENON, 1000, 0};
static const ap p_rh4 = {W_ROSEN, ENG_SYS_HENON, 10000, 0};
static const ap p_rh5 = {W_ROSEN, ENG_SYS_HENON, 100000, 0};
static const ap p_rl4 = {W_ROSEN, ENG_SYS_LORENZ, 10000, 0};
static const ap p_kh3 = {W_KANTZ, ENG_SYS_HENON, 1000, 0};
static const ap p_kh4 = {W_KANTZ, ENG_SYS_HENON, 10000, 0};
static const ap p_kh5 = {W_KANTZ, ENG_SYS_HENON, 100000, 0};
static const ap p_kl4 = {W_KANTZ, ENG_SYS_LORENZ, 10000, 0};
static const ap p_c4 = {W_CORR, ENG_SYS_LORENZ, 10000, 0};
static const ap p_pipe = {W_PIPE, ENG_SYS_LORENZ, 20000, 0};
/* scheduled: 1 worker, then 2 (the ">= 1.8x on 2 workers") */
static const ap p_rl4_1 = {W_ROSEN, ENG_SYS_LORENZ, 10000, 1};
static const ap p_rl4_2 = {W_ROSEN, ENG_SYS_LORENZ, 10000, 2};
static const ap p_kl4_1 = {W_KANTZ, ENG_SYS_LORENZ, 10000, 1};
static const ap p_kl4_2 = {W_KANTZ, ENG_SYS_LORENZ, 10000, 2};
static const ap p_c4_1 = {W_CORR, ENG_SYS_LORENZ, 10000, 1};
static const ap p_c4_2 = {W_CORR, ENG_SYS_LORENZ, 10000, 2};
static const ap p_pipe_1 = {W_PIPE, ENG_SYS_LORENZ, 20000, 1};
static const ap p_pipe_2 = {W_PIPE, ENG_SYS_LORENZ, 20000, 2};


/* target: ms per call bound from the issue (0: none), as ns per iteration */
#define ROW(nm, pr, im, sl, ms)                                                                \
  {.name = nm, .op = "call", .slow = sl, .param = &pr, .impls = im,                               \
   .nimpls = sizeof im / sizeof im[0], .target_kind = ms > 0 ? BENCH_TARGET_NS_PER_OP_MAX : 0,    \
   .target = ms * 1e6, .max_iters = 50}

/* A 1-vs-2-worker pair: one series, sampled in turns (bench.h, interleave);
 * tk/tv is the 2-worker row's target. */
#define PAR(nm, ser, w, pr, sl, tk, tv)                                                          \
  {.name = nm, .op = "call", .work = 1, .work_unit = "calls", .slow = sl, .param = &pr,           \
   .impls = par_impls, .nimpls = 2, .series = ser, .workers = w, .interleave = 1,                \
   .target_kind = tk, .target = tv, .max_iters = 50}
#define PAIR(nm, ser, p1, p2, sl, tk, tv)                                                        \
  PAR(nm "/workers=1", ser, 1, p1, sl, 0, 0), PAR(nm "/workers=2", ser, 2, p2, sl, tk, tv)

static const bench_case cases[] = {
    ROW("attractor/rosenstein/henon/n=1e3", p_rh3, rosen_impls, 0, 0),
    ROW("attractor/rosenstein/henon/n=1e4", p_rh4, rosen_impls, 1, 3),
    ROW("attractor/rosenstein/henon/n=1e5", p_rh5, only_engine, 1, 0),
    ROW("attractor/rosenstein/lorenz/n=1e4", p_rl4, rosen_impls, 1, 15),
    ROW("attractor/kantz/henon/n=1e3", p_kh3, only_engine, 0, 0),
    ROW("attractor/kantz/henon/n=1e4", p_kh4, only_engine, 0, 25),
    ROW("attractor/kantz/henon/n=1e5", p_kh5, only_engine, 1, 0),
    ROW("attractor/kantz/lorenz/n=1e4", p_kl4, only_engine, 0, 25),
    ROW("attractor/corrsum/lorenz/n=1e4/m=1..10", p_c4, corr_impls, 1, 0),
    ROW("attractor/pipeline/lorenz/n=2e4", p_pipe, only_engine, 1, 1000),
    PAIR("attractor/rosenstein/lorenz/n=1e4", "attractor/rosenstein-par", p_rl4_1, p_rl4_2, 0,
         BENCH_TARGET_EFFICIENCY_MIN, 0.9),
    PAIR("attractor/kantz/lorenz/n=1e4", "attractor/kantz-par", p_kl4_1, p_kl4_2, 0,
         BENCH_TARGET_EFFICIENCY_MIN, 0.9),
    PAIR("attractor/corrsum/lorenz/n=1e4/m=1..10", "attractor/corrsum-par", p_c4_1, p_c4_2, 1,
         BENCH_TARGET_NS_PER_OP_MAX, 30e6),
    PAIR("attractor/pipeline/lorenz/n=2e4", "attractor/pipeline-par", p_pipe_1, p_pipe_2, 1,
         BENCH_TARGET_EFFICIENCY_MIN, 0.9),
};

const bench_case *bench_cases_attractor(size_t *n)
{
  *n = sizeof cases / sizeof cases[0];
  return cases;
}
