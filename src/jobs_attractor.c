/* jobs_attractor.c: scheduled versions of the attractor kernels (Lyapunov blocks, correlation-sum blocks, surrogates). */
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "engine/attractor.h"
#include "../algorithms/dynamics/attr_internal.h"

/* A parallel loop over count items that never waits for a task that has not
 * started: the caller claims items too and then waits only for items already
 * claimed. A helper task that starts late finds nothing to claim and drops its
 * reference; the last reference frees the context (and the plan it owns), so
 * the context may outlive the caller's call. */
typedef struct ploop ploop;
struct ploop {
  atomic_size_t next; /* next unclaimed item */
  atomic_size_t done; /* finished items */
  atomic_uint refs;   /* caller + submitted helpers */
  atomic_int rc;      /* first error of an item */
  size_t count;
  int (*item)(ploop *p, size_t i);
  void (*drop)(ploop *p); /* frees what the context owns */
  void *ctx;
};

static void ploop_release(ploop *p)
{
  /* acq_rel: the last owner sees every other owner's writes before freeing. */
  if (atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) == 1) {
    if (p->drop)
      p->drop(p);
    free(p);
  }
}

static void ploop_work(ploop *p)
{
  for (;;) {
    size_t i = atomic_fetch_add_explicit(&p->next, 1, memory_order_relaxed);
    if (i >= p->count)
      break;
    int rc = p->item(p, i);
    if (rc) {
      int zero = 0;
      atomic_compare_exchange_strong_explicit(&p->rc, &zero, rc, memory_order_relaxed,
                                              memory_order_relaxed);
    }
    /* release: pairs with the caller's acquire load of done (publishes results). */
    atomic_fetch_add_explicit(&p->done, 1, memory_order_release);
  }
}

static void *ploop_task(void *arg)
{
  ploop *p = arg;
  ploop_work(p);
  ploop_release(p);
  return NULL;
}

static ploop *ploop_new(size_t count, int (*item)(ploop *, size_t), void (*drop)(ploop *),
                        void *ctx)
{
  ploop *p = calloc(1, sizeof *p);
  if (!p)
    return NULL;
  atomic_init(&p->next, 0);
  atomic_init(&p->done, 0);
  atomic_init(&p->refs, 1);
  atomic_init(&p->rc, 0);
  p->count = count;
  p->item = item;
  p->drop = drop;
  p->ctx = ctx;
  return p;
}

/* Submits up to workers helpers, works itself, waits for the claimed items.
 * Returns the first item error; the caller still holds its reference.
 * Helpers are futures: once every item is done, the ones that never started
 * are cancelled and their references dropped here, since a helper still
 * queued when the engine is destroyed with ENG_DRAIN_CANCEL would never run. */
static int ploop_run(eng_engine *e, ploop *p)
{
  unsigned w = eng_engine_workers(e);
  size_t helpers = w < p->count ? w : p->count;
  if (eng_worker_self(e) >= 0 && helpers > 0)
    helpers--; /* this worker is one of them */
  eng_future *fut[64];
  if (helpers > sizeof fut / sizeof fut[0])
    helpers = sizeof fut / sizeof fut[0];
  size_t nfut = 0;
  for (size_t k = 0; k < helpers; k++) {
    atomic_fetch_add_explicit(&p->refs, 1, memory_order_relaxed);
    if (eng_async(e, ploop_task, p, NULL, &fut[nfut]) != 0) {
      /* queue full or shutting down: the caller does the rest itself, so
       * the result is complete either way */
      atomic_fetch_sub_explicit(&p->refs, 1, memory_order_relaxed);
      break;
    }
    nfut++;
  }
  ploop_work(p);
  /* acquire: pairs with the release increment of each finished item. */
  while (atomic_load_explicit(&p->done, memory_order_acquire) < p->count)
    sched_yield();
  for (size_t k = 0; k < nfut; k++) {
    if (eng_future_cancel(fut[k]) == 1)
      ploop_release(p); /* never the last: the caller still holds one */
    eng_future_release(fut[k]);
  }
  return atomic_load_explicit(&p->rc, memory_order_relaxed);
}

/* ------------------------------------------------------------- Lyapunov */

static int lyap_item(ploop *p, size_t i) { return eng_lyap_plan_run(p->ctx, (unsigned)i); }
static void lyap_drop(ploop *p) { eng_lyap_plan_destroy(p->ctx); }

int eng_lyapunov_par(eng_engine *e, const double *x, size_t n, const eng_lyap_opts *o,
                     double *curve, size_t cap, eng_lyap_result *res)
{
  if (!e || !res)
    return ENG_EINVAL;
  eng_lyap_plan *plan;
  int rc = eng_lyap_plan_create(&plan, x, n, o);
  if (rc)
    return rc;
  ploop *p = ploop_new(eng_lyap_plan_blocks(plan), lyap_item, lyap_drop, plan);
  if (!p) {
    eng_lyap_plan_destroy(plan);
    return ENG_ENOMEM;
  }
  rc = ploop_run(e, p);
  if (!rc)
    rc = eng_lyap_plan_finish(plan, curve, cap, res);
  ploop_release(p);
  return rc;
}

/* ---------------------------------------------------------- correlation */

static int corr_item(ploop *p, size_t i) { return eng_corrdim_plan_run(p->ctx, (unsigned)i); }
static void corr_drop(ploop *p) { eng_corrdim_plan_destroy(p->ctx); }

int eng_corrdim_par(eng_engine *e, const double *x, size_t n, const eng_corrdim_opts *o,
                    double *radii, double *logc, double *slopes, eng_corrdim_result *res)
{
  if (!e || !res)
    return ENG_EINVAL;
  eng_corrdim_plan *plan;
  int rc = eng_corrdim_plan_create(&plan, x, n, o);
  if (rc)
    return rc;
  ploop *p = ploop_new(eng_corrdim_plan_blocks(plan), corr_item, corr_drop, plan);
  if (!p) {
    eng_corrdim_plan_destroy(plan);
    return ENG_ENOMEM;
  }
  rc = ploop_run(e, p);
  if (!rc)
    rc = eng_corrdim_plan_finish(plan, radii, logc, slopes, res);
  ploop_release(p);
  return rc;
}

/* ------------------------------------------------------- classification */

/* Items: 0 = Lyapunov estimate, 1 = D2, 2 = the series' prediction error,
 * 3.. = one per surrogate. Each writes its own field of the work. */
static int cls_item(ploop *p, size_t i)
{
  eng_classify_work *w = p->ctx;
  if (i == 0)
    return eng__classify_lyap(w);
  if (i == 1)
    return eng__classify_d2(w);
  if (i == 2)
    return eng__classify_pred(w, -1, &w->res.pred_err);
  return eng__classify_pred(w, (long)(i - 3), &w->surr_err[i - 3]);
}

static void cls_drop(ploop *p)
{
  eng__classify_free(p->ctx);
  free(p->ctx);
}

int eng_classify_par(eng_engine *e, const double *x, size_t n, const eng_classify_opts *o,
                     eng_classify_result *res)
{
  if (!e || !res)
    return ENG_EINVAL;
  eng_classify_work *w = malloc(sizeof *w);
  if (!w)
    return ENG_ENOMEM;
  int rc = eng__classify_prepare(w, x, n, o);
  if (rc || w->fixed) {
    if (!rc) {
      w->o.surrogates = 0;
      eng__classify_decide(w);
      *res = w->res;
    }
    eng__classify_free(w);
    free(w);
    return rc;
  }
  ploop *p = ploop_new(3 + (size_t)w->o.surrogates, cls_item, cls_drop, w);
  if (!p) {
    eng__classify_free(w);
    free(w);
    return ENG_ENOMEM;
  }
  rc = ploop_run(e, p);
  if (!rc) {
    eng__classify_decide(w);
    *res = w->res;
  }
  ploop_release(p);
  return rc;
}

static int par_classify(void *ctx, const double *x, size_t n, const eng_classify_opts *o,
                        eng_classify_result *res)
{
  return eng_classify_par(ctx, x, n, o, res);
}

static int par_lyapunov(void *ctx, const double *x, size_t n, const eng_lyap_opts *o,
                        eng_lyap_result *res)
{
  return eng_lyapunov_par(ctx, x, n, o, NULL, 0, res);
}

static int par_corrdim(void *ctx, const double *x, size_t n, const eng_corrdim_opts *o,
                       eng_corrdim_result *res)
{
  return eng_corrdim_par(ctx, x, n, o, NULL, NULL, NULL, res);
}

int eng_analyze_par(eng_engine *e, const double *x, size_t n, const eng_analyze_opts *o,
                    eng_analyze_result *res)
{
  if (!e)
    return ENG_EINVAL;
  const eng__analyze_stages stages = {par_classify, par_lyapunov, par_corrdim, e};
  return eng__analyze_run(x, n, o, res, &stages);
}
