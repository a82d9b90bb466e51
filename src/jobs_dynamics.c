/* jobs_dynamics.c: scheduled versions of the dynamics kernels (one task per embedding dimension or per system). */
#include <math.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "engine/dynamics.h"

/* A parallel loop over count items that never waits for a task that has not
 * started: the caller claims items too, and afterwards waits only for items
 * already claimed (by tasks that are running). Helpers submitted to the engine
 * that start late find nothing to claim, drop their reference and return; the
 * last reference frees the context, so it may outlive the caller's call. */
typedef struct pfor pfor;
struct pfor {
  atomic_size_t next;  /* next unclaimed item */
  atomic_size_t done;  /* finished items */
  atomic_uint refs;    /* caller + submitted helpers */
  size_t count;
  /* Runs item i with scratch *work (lazily allocated per participant). */
  int (*item)(pfor *p, size_t i, void **work);
  atomic_int rc;       /* first error of an item */
  const double *x;
  size_t n;
  eng_dim_opts o;
  double *r1, *r2;     /* per-item results (owned by the context) */
  const eng_system *sys;
  const eng_spectrum_opts *sopts;
  int *status;
};

static void pfor_release(pfor *p)
{
  /* acq_rel: the last owner must see every other owner's writes before freeing. */
  if (atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) == 1) {
    free(p->r1);
    free(p->r2);
    free(p->status);
    free(p);
  }
}

static void pfor_work(pfor *p)
{
  void *work = NULL;
  for (;;) {
    size_t i = atomic_fetch_add_explicit(&p->next, 1, memory_order_relaxed);
    if (i >= p->count) break;
    int rc = p->item(p, i, &work);
    if (rc) {
      int zero = 0;
      atomic_compare_exchange_strong_explicit(&p->rc, &zero, rc, memory_order_relaxed,
                                              memory_order_relaxed);
    }
    /* release: pairs with the caller's acquire load of done, publishing the item's results. */
    atomic_fetch_add_explicit(&p->done, 1, memory_order_release);
  }
  free(work);
}

static void *pfor_call(void *arg)
{
  pfor_work(arg);
  return NULL;
}

/* Runs once per helper whether it ran or was cancelled (engine destroyed with
 * ENG_DRAIN_CANCEL), so the context is freed in both cases. */
static void pfor_done(eng_future *f, int status, void *result, void *ud)
{
  (void)f;
  (void)status;
  (void)result;
  pfor_release(ud);
}

/* Runs p over e: submits up to workers helpers, works itself, waits for claimed items.
 * On return the caller still holds its reference. */
static void pfor_run(eng_engine *e, pfor *p)
{
  unsigned w = e ? eng_engine_workers(e) : 0;
  size_t helpers = w < p->count ? w : p->count;
  if (eng_worker_self(e) >= 0 && helpers > 0) helpers--; /* this worker is one of them */
  for (size_t k = 0; k < helpers; k++) {
    eng_future *f;
    atomic_fetch_add_explicit(&p->refs, 1, memory_order_relaxed);
    if (eng_async(e, pfor_call, p, NULL, &f) != 0) {
      /* Queue full, no memory or shutting down: the caller does that share itself. */
      atomic_fetch_sub_explicit(&p->refs, 1, memory_order_relaxed);
      break;
    }
    /* The helper's reference is dropped by pfor_done (now, if it already
     * finished). then() cannot fail on a fresh future with no callback; were
     * it to, the reference would leak rather than be freed under the task. */
    int trc = eng_future_then(f, pfor_done, p);
    (void)trc;
    eng_future_release(f);
  }
  pfor_work(p);
  /* acquire: pairs with the release increment of each finished item. */
  while (atomic_load_explicit(&p->done, memory_order_acquire) < p->count) sched_yield();
}

static pfor *pfor_new(size_t count, size_t nres)
{
  pfor *p = calloc(1, sizeof *p);
  if (!p) return NULL;
  atomic_init(&p->next, 0);
  atomic_init(&p->done, 0);
  atomic_init(&p->refs, 1);
  atomic_init(&p->rc, 0);
  p->count = count;
  p->r1 = calloc(nres ? nres : 1, sizeof(double));
  p->r2 = calloc(nres ? nres : 1, sizeof(double));
  if (!p->r1 || !p->r2) {
    free(p->r1);
    free(p->r2);
    free(p);
    return NULL;
  }
  return p;
}

static int work_for(pfor *p, void **work, unsigned m_top)
{
  if (!*work) *work = malloc(eng_dim_work_size(p->n, m_top));
  return *work ? 0 : ENG_ENOMEM;
}

static int fnn_item(pfor *p, size_t i, void **work)
{
  int rc = work_for(p, work, p->o.m_max);
  return rc ? rc : eng_dim_fnn_one(p->x, p->n, &p->o, (unsigned)i + 1, &p->r1[i], *work);
}

static int cao_item(pfor *p, size_t i, void **work)
{
  int rc = work_for(p, work, p->o.m_max);
  return rc ? rc : eng_dim_cao_one(p->x, p->n, &p->o, (unsigned)i + 1, &p->r1[i], &p->r2[i], *work);
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
  pfor *p = pfor_new(o->m_max, o->m_max);
  if (!p) return ENG_ENOMEM;
  p->item = fnn_item;
  p->x = x;
  p->n = n;
  p->o = *o;
  pfor_run(e, p);
  rc = atomic_load_explicit(&p->rc, memory_order_relaxed);
  if (!rc) {
    unsigned chosen = 0;
    rc = eng_dim_fnn_choose(p->r1, o->m_max, o->fnn_max, &chosen);
    if (frac) memcpy(frac, p->r1, o->m_max * sizeof(double));
    if (m) *m = chosen;
  }
  pfor_release(p);
  return rc;
}

int eng_dim_cao_par(eng_engine *e, const double *x, size_t n, const eng_dim_opts *o, double *e1,
                    double *e2, unsigned *m)
{
  if (!e) return ENG_EINVAL;
  int rc = validate(x, n, o, o ? o->m_max + 1 : 1);
  if (rc) return rc;
  unsigned D = o->m_max + 1;
  pfor *p = pfor_new(D, D);
  if (!p) return ENG_ENOMEM;
  p->item = cao_item;
  p->x = x;
  p->n = n;
  p->o = *o;
  pfor_run(e, p);
  rc = atomic_load_explicit(&p->rc, memory_order_relaxed);
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
  pfor_release(p);
  return rc;
}

static int spectrum_item(pfor *p, size_t i, void **work)
{
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
  pfor *p = pfor_new(count, 3 * count);
  if (!p) return ENG_ENOMEM;
  if (!(p->status = calloc(count, sizeof(int)))) {
    pfor_release(p);
    return ENG_ENOMEM;
  }
  p->item = spectrum_item;
  p->sys = systems;
  p->sopts = opts;
  pfor_run(e, p);
  int rc = 0;
  for (size_t i = 0; i < count; i++) {
    if (!rc) rc = p->status[i];
    if (status) status[i] = p->status[i];
  }
  memcpy(exps, p->r1, 3 * count * sizeof(double));
  pfor_release(p);
  return rc;
}
