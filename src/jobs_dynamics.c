/* jobs_dynamics.c: scheduled versions of the dynamics kernels (one task per embedding dimension or per system). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "engine/dynamics.h"
#include "parallel.h"

/* One scheduled dynamics job: the inputs and the per-item results. Items run
 * through eng__parallel_for, one per embedding dimension or per system. */
typedef struct dynjob {
  const double *x;
  size_t n;
  eng_dim_opts o;
  double *r1, *r2; /* per-item results */
  const eng_system *sys;
  const eng_spectrum_opts *sopts;
  int *status;
} dynjob;

static int job_init(dynjob *p, size_t nres)
{
  memset(p, 0, sizeof *p);
  p->r1 = calloc(nres ? nres : 1, sizeof(double));
  p->r2 = calloc(nres ? nres : 1, sizeof(double));
  return p->r1 && p->r2 ? 0 : ENG_ENOMEM;
}

static void job_free(dynjob *p)
{
  free(p->r1);
  free(p->r2);
  free(p->status);
}

static int work_for(dynjob *p, void **work, unsigned m_top)
{
  if (!*work) *work = malloc(eng_dim_work_size(p->n, m_top));
  return *work ? 0 : ENG_ENOMEM;
}

/* Items run the costliest (highest) dimensions first, so the last one to
 * finish is a cheap one rather than the largest running alone. */
static int fnn_item(void *ctx, size_t i, void **work)
{
  dynjob *p = ctx;
  unsigned m = p->o.m_max - (unsigned)i;
  int rc = work_for(p, work, p->o.m_max);
  return rc ? rc : eng_dim_fnn_one(p->x, p->n, &p->o, m, &p->r1[m - 1], *work);
}

static int cao_item(void *ctx, size_t i, void **work)
{
  dynjob *p = ctx;
  unsigned d = p->o.m_max + 1 - (unsigned)i;
  int rc = work_for(p, work, p->o.m_max);
  return rc ? rc : eng_dim_cao_one(p->x, p->n, &p->o, d, &p->r1[d - 1], &p->r2[d - 1], *work);
}

/* The checks the serial kernels make, once, so that errors are not per item. */
static int validate(const double *x, size_t n, const eng_dim_opts *o, unsigned m_top)
{
  if (!x || !o || o->tau == 0 || o->m_max == 0 || o->m_max > 200) return ENG_EINVAL;
  if (!(o->rtol > 0.0) || !(o->atol > 0.0)) return ENG_EINVAL;
  size_t rows = eng_embed_rows(n, m_top + 1, o->tau);
  if (rows < 10 || rows <= (size_t)o->theiler + 1) return ENG_ESHORT;
  int varies = 0;
  for (size_t i = 0; i < n; i++) {
    if (!isfinite(x[i])) return ENG_ENAN;
    if (x[i] != x[0]) varies = 1;
  }
  return varies ? 0 : ENG_ECONST;
}

int eng_dim_fnn_par(eng_engine *e, const double *x, size_t n, const eng_dim_opts *o, double *frac,
                    unsigned *m)
{
  if (!e) return ENG_EINVAL;
  int rc = validate(x, n, o, o ? o->m_max : 1);
  if (rc) return rc;
  dynjob job, *p = &job;
  rc = job_init(p, o->m_max);
  p->x = x;
  p->n = n;
  p->o = *o;
  if (!rc) rc = eng__parallel_for(e, o->m_max, fnn_item, p, NULL, NULL);
  if (!rc) {
    unsigned chosen = 0;
    rc = eng_dim_fnn_choose(p->r1, o->m_max, o->fnn_max, &chosen);
    if (frac) memcpy(frac, p->r1, o->m_max * sizeof(double));
    if (m) *m = chosen;
  }
  job_free(p);
  return rc;
}

int eng_dim_cao_par(eng_engine *e, const double *x, size_t n, const eng_dim_opts *o, double *e1,
                    double *e2, unsigned *m)
{
  if (!e) return ENG_EINVAL;
  int rc = validate(x, n, o, o ? o->m_max + 1 : 1);
  if (rc) return rc;
  unsigned D = o->m_max + 1;
  dynjob job, *p = &job;
  rc = job_init(p, D);
  p->x = x;
  p->n = n;
  p->o = *o;
  if (!rc) rc = eng__parallel_for(e, D, cao_item, p, NULL, NULL);
  if (!rc) {
    double a[200], b[200];
    for (unsigned d = 0; d < o->m_max; d++) {
      a[d] = p->r1[d] > 0.0 ? p->r1[d + 1] / p->r1[d] : 0.0;
      b[d] = p->r2[d] > 0.0 ? p->r2[d + 1] / p->r2[d] : 0.0;
    }
    unsigned chosen = 0;
    rc = eng_dim_cao_choose(a, o->m_max, o->cao_tol, &chosen);
    if (e1) memcpy(e1, a, o->m_max * sizeof(double));
    if (e2) memcpy(e2, b, o->m_max * sizeof(double));
    if (m) *m = chosen;
  }
  job_free(p);
  return rc;
}

static int spectrum_item(void *ctx, size_t i, void **work)
{
  dynjob *p = ctx;
  (void)work;
  double ex[3] = {0, 0, 0};
  int rc = eng_spectrum(&p->sys[i], p->sopts, ex, NULL);
  p->status[i] = rc;
  memcpy(p->r1 + 3 * i, ex, sizeof ex);
  return rc;
}

int eng_spectrum_par(eng_engine *e, const eng_system *systems, size_t count,
                     const eng_spectrum_opts *opts, double *exps, int *status)
{
  if (!e || !systems || !exps || count == 0 || count > SIZE_MAX / 3 / sizeof(double))
    return ENG_EINVAL;
  dynjob job, *p = &job;
  int rc = job_init(p, 3 * count);
  if (!rc && !(p->status = calloc(count, sizeof(int)))) rc = ENG_ENOMEM;
  if (rc) {
    job_free(p);
    return rc;
  }
  p->sys = systems;
  p->sopts = opts;
  int prc = eng__parallel_for(e, count, spectrum_item, p, NULL, NULL);
  for (size_t i = 0; i < count; i++) {
    if (!rc) rc = p->status[i];
    if (status) status[i] = p->status[i];
  }
  if (!rc) rc = prc; /* the loop itself failed (no memory) */
  memcpy(exps, p->r1, 3 * count * sizeof(double));
  job_free(p);
  return rc;
}
