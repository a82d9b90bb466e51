/* cases_dynamics.c: bench cases for embedding, delay, FNN/Cao (serial, scheduled, brute-force peer) and spectra. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "engine/dynamics.h"
#include "bench.h"

typedef struct dp {
  int what;         /* W_* */
  size_t n;
  unsigned workers; /* scheduled rows: 0 = one per core */
  eng_system_kind sys;
} dp;

enum { W_EMBED, W_AMI, W_FNN, W_CAO, W_SPECTRUM };

typedef struct st {
  const dp *p;
  double *x, *out;
  size_t n;
  eng_dim_opts o;
  void *work;
  eng_engine *e;
  double acc;
} st;

static void *setup(const void *param)
{
  const dp *p = param;
  st *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->p = p;
  s->n = p->n;
  eng_dim_opts_init(&s->o);
  s->o.tau = 10;
  if (p->what != W_SPECTRUM) {
    eng_system sys;
    eng_system_init(&sys, ENG_SYS_LORENZ);
    s->x = malloc(p->n * sizeof *s->x);
    s->out = malloc(p->n * 3 * sizeof *s->out);
    s->work = malloc(eng_dim_work_size(p->n, s->o.m_max));
    if (!s->x || !s->out || !s->work || eng_system_generate(&sys, p->n, 1, NULL, s->x) != 0) goto fail;
  }
  return s;
fail:
  free(s->x);
  free(s->out);
  free(s->work);
  free(s);
  return NULL;
}

static void *setup_par(const void *param)
{
  const dp *p = param;
  st *s = setup(param);
  if (!s) return NULL;
  eng_config cfg;
  eng_config_init(&cfg);
  cfg.workers = p->workers;
  if (eng_engine_create(&s->e, &cfg) != 0) {
    cfg.pin = 0;
    if (eng_engine_create(&s->e, &cfg) != 0) {
      free(s->x);
      free(s->out);
      free(s->work);
      free(s);
      return NULL;
    }
  }
  return s;
}

static void teardown(void *state)
{
  st *s = state;
  if (s->e) eng_engine_destroy(s->e, ENG_DRAIN_FINISH, NULL);
  free(s->x);
  free(s->out);
  free(s->work);
  free(s);
}

static void run_engine(void *state, uint64_t iters)
{
  st *s = state;
  double f[10], g[10];
  unsigned m = 0;
  size_t rows;
  for (uint64_t it = 0; it < iters; it++) {
    switch (s->p->what) {
    case W_EMBED:
      eng_embed(s->x, s->n, 3, 10, s->out, &rows);
      s->acc += s->out[rows];
      break;
    case W_AMI:
      eng_delay_ami(s->x, s->n, 40, 0, NULL, &m, s->work);
      s->acc += m;
      break;
    case W_FNN:
      eng_dim_fnn(s->x, s->n, &s->o, f, &m, s->work);
      s->acc += f[1] + m;
      break;
    case W_CAO:
      eng_dim_cao(s->x, s->n, &s->o, f, g, &m, s->work);
      s->acc += f[1] + m;
      break;
    default: {
      eng_system sys;
      double ex[3];
      eng_system_init(&sys, s->p->sys);
      eng_spectrum(&sys, NULL, ex, NULL);
      s->acc += ex[0];
    }
    }
  }
  bench_keep_double(s->acc);
}

static void run_par(void *state, uint64_t iters)
{
  st *s = state;
  double f[10], g[10];
  unsigned m = 0;
  for (uint64_t it = 0; it < iters; it++) {
    if (s->p->what == W_FNN) eng_dim_fnn_par(s->e, s->x, s->n, &s->o, f, &m);
    else eng_dim_cao_par(s->e, s->x, s->n, &s->o, f, g, &m);
    s->acc += f[1] + m;
  }
  bench_keep_double(s->acc);
}

/* Peer for embedding: the obvious row-by-row loop. */
static void run_embed_naive(void *state, uint64_t iters)
{
  st *s = state;
  size_t rows = s->n - 20;
  for (uint64_t it = 0; it < iters; it++) {
    for (size_t i = 0; i < rows; i++)
      for (unsigned j = 0; j < 3; j++) s->out[i * 3 + j] = s->x[i + 10 * j];
    s->acc += s->out[rows];
  }
  bench_keep_double(s->acc);
}

/* Peer for FNN/Cao: the same criteria with an O(n^2) nearest-neighbour scan. */
static void brute_nn(const double *x, size_t rows, unsigned m, unsigned tau, int maxnorm, size_t i,
                     size_t *arg, double *best)
{
  *best = INFINITY;
  *arg = SIZE_MAX;
  for (size_t j = 0; j < rows; j++) {
    if (j == i) continue;
    double d = 0;
    for (unsigned k = 0; k < m; k++) {
      double v = fabs(x[i + k * tau] - x[j + k * tau]);
      if (maxnorm) d = v > d ? v : d;
      else d += v * v;
    }
    if (d > 0 && d < *best) {
      *best = d;
      *arg = j;
    }
  }
}

static void run_brute(void *state, uint64_t iters)
{
  st *s = state;
  const unsigned tau = s->o.tau;
  double mean = 0, ss = 0;
  for (size_t i = 0; i < s->n; i++) mean += s->x[i];
  mean /= s->n;
  for (size_t i = 0; i < s->n; i++) ss += (s->x[i] - mean) * (s->x[i] - mean);
  double ra = sqrt(ss / s->n);
  for (uint64_t it = 0; it < iters; it++) {
    unsigned top = s->p->what == W_CAO ? s->o.m_max + 1 : s->o.m_max;
    for (unsigned m = 1; m <= top; m++) {
      size_t rows = s->n - (size_t)m * tau, cnt = 0, nf = 0;
      double sa = 0;
      for (size_t i = 0; i < rows; i++) {
        size_t j;
        double best;
        brute_nn(s->x, rows, m, tau, s->p->what == W_CAO, i, &j, &best);
        if (j == SIZE_MAX) continue;
        double e = fabs(s->x[i + m * tau] - s->x[j + m * tau]);
        if (s->p->what == W_CAO) sa += fmax(best, e) / best;
        else if (e / sqrt(best) > s->o.rtol || sqrt(best + e * e) / ra > s->o.atol) nf++;
        cnt++;
      }
      s->acc += sa + (double)nf / (double)(cnt ? cnt : 1);
    }
  }
  bench_keep_double(s->acc);
}

static const dp p_embed = {W_EMBED, 1000000, 0, 0};
static const dp p_ami = {W_AMI, 10000, 0, 0};
static const dp p_fnn = {W_FNN, 10000, 0, 0};
static const dp p_cao = {W_CAO, 10000, 0, 0};
static const dp p_fnn1 = {W_FNN, 10000, 1, 0};
static const dp p_fnnN = {W_FNN, 10000, 2, 0};
static const dp p_cao1 = {W_CAO, 10000, 1, 0};
static const dp p_caoN = {W_CAO, 10000, 2, 0};
static const dp p_lorenz = {W_SPECTRUM, 0, 0, ENG_SYS_LORENZ};
static const dp p_henon = {W_SPECTRUM, 0, 0, ENG_SYS_HENON};

static const bench_impl impl_embed[] = {
  {.name = "engine", .setup = setup, .run = run_engine, .teardown = teardown},
  {.name = "naive", .setup = setup, .run = run_embed_naive, .teardown = teardown}};
static const bench_impl impl_serial[] = {
  {.name = "engine", .setup = setup, .run = run_engine, .teardown = teardown}};
static const bench_impl impl_dim[] = {
  {.name = "engine", .setup = setup, .run = run_engine, .teardown = teardown},
  {.name = "brute-n2", .setup = setup, .run = run_brute, .teardown = teardown}};
static const bench_impl impl_par[] = {
  {.name = "engine", .setup = setup_par, .run = run_par, .teardown = teardown}};

static const bench_case cases[] = {
  {.name = "dynamics/embed/n=1e6,m=3,tau=10", .op = "call", .work = 1e6, .work_unit = "rows",
   .param = &p_embed, .impls = impl_embed, .nimpls = 2},
  {.name = "dynamics/delay-ami/lorenz,n=1e4,lags=0..40", .op = "call", .param = &p_ami,
   .impls = impl_serial, .nimpls = 1},
  {.name = "dynamics/fnn/lorenz,n=1e4,m=1..10", .op = "call", .param = &p_fnn, .impls = impl_serial,
   .nimpls = 1, .target_kind = BENCH_TARGET_NS_PER_OP_MAX, .target = 25e6},
  {.name = "dynamics/cao/lorenz,n=1e4,m=1..10", .op = "call", .param = &p_cao, .impls = impl_serial,
   .nimpls = 1, .target_kind = BENCH_TARGET_NS_PER_OP_MAX, .target = 25e6},
  /* The O(n^2) peer takes seconds per call: slow rows, one iteration per sample. */
  {.name = "dynamics/fnn-vs-brute/lorenz,n=1e4,m=1..10", .op = "call", .slow = 1, .param = &p_fnn,
   .impls = impl_dim, .nimpls = 2, .max_iters = 1},
  {.name = "dynamics/cao-vs-brute/lorenz,n=1e4,m=1..10", .op = "call", .slow = 1, .param = &p_cao,
   .impls = impl_dim, .nimpls = 2, .max_iters = 1},
  {.name = "dynamics/fnn-par/1w", .op = "call", .work = 1, .work_unit = "calls", .param = &p_fnn1, .impls = impl_par, .nimpls = 1,
   .series = "dynamics/fnn-par", .workers = 1, .interleave = 1},
  {.name = "dynamics/fnn-par/2w", .op = "call", .work = 1, .work_unit = "calls", .param = &p_fnnN, .impls = impl_par, .nimpls = 1,
   .series = "dynamics/fnn-par", .workers = 2, .interleave = 1, .target_kind = BENCH_TARGET_EFFICIENCY_MIN, .target = 0.9},
  {.name = "dynamics/cao-par/1w", .op = "call", .work = 1, .work_unit = "calls", .param = &p_cao1, .impls = impl_par, .nimpls = 1,
   .series = "dynamics/cao-par", .workers = 1, .interleave = 1},
  {.name = "dynamics/cao-par/2w", .op = "call", .work = 1, .work_unit = "calls", .param = &p_caoN, .impls = impl_par, .nimpls = 1,
   .series = "dynamics/cao-par", .workers = 2, .interleave = 1, .target_kind = BENCH_TARGET_EFFICIENCY_MIN, .target = 0.9},
  {.name = "dynamics/spectrum/lorenz,T=3000,dt=0.01", .op = "call", .param = &p_lorenz,
   .impls = impl_serial, .nimpls = 1, .target_kind = BENCH_TARGET_NS_PER_OP_MAX, .target = 60e6},
  {.name = "dynamics/spectrum/henon,1e6", .op = "call", .param = &p_henon, .impls = impl_serial,
   .nimpls = 1, .target_kind = BENCH_TARGET_NS_PER_OP_MAX, .target = 20e6},
};

const bench_case *bench_cases_dynamics(size_t *n)
{
  *n = sizeof cases / sizeof cases[0];
  return cases;
}
