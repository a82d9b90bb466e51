/* jobs_attractor.c: scheduled versions of the attractor kernels (Lyapunov blocks, correlation-sum blocks, surrogates). */
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "engine/attractor.h"
#include "engine/dynamics.h"
#include "../algorithms/dynamics/attr_internal.h"
#include "parallel.h"

/* ------------------------------------------------------------- Lyapunov */

static int lyap_item(void *plan, size_t i, void **scratch)
{
  (void)scratch;
  return eng_lyap_plan_run(plan, (unsigned)i);
}

static int lyap_tree_item(void *plan, size_t i, void **scratch)
{
  (void)scratch;
  eng__lyap_plan_tree(plan, (unsigned)i);
  return 0;
}

int eng_lyapunov_par(eng_engine *e, const double *x, size_t n, const eng_lyap_opts *o,
                     double *curve, size_t cap, eng_lyap_result *res)
{
  if (!e || !res)
    return ENG_EINVAL;
  eng_lyap_plan *plan;
  unsigned parts = 0;
  int rc = eng__lyap_plan_begin(&plan, x, n, o, &parts);
  if (rc)
    return rc;
  /* The k-d tree's two halves build on two workers: serial, the build was a
   * sixth of the 2-worker time (Rosenstein on Lorenz, n = 10^4). */
  rc = eng__parallel_for(e, parts, lyap_tree_item, plan, NULL, NULL);
  if (!rc)
    rc = eng__lyap_plan_end(plan);
  if (!rc)
    rc = eng__parallel_for(e, eng_lyap_plan_blocks(plan), lyap_item, plan, NULL, NULL);
  if (!rc)
    rc = eng_lyap_plan_finish(plan, curve, cap, res);
  eng_lyap_plan_destroy(plan);
  return rc;
}

/* ---------------------------------------------------------- correlation */

static int corr_item(void *plan, size_t i, void **scratch)
{
  (void)scratch;
  return eng_corrdim_plan_run(plan, (unsigned)i);
}

int eng_corrdim_par(eng_engine *e, const double *x, size_t n, const eng_corrdim_opts *o,
                    double *radii, double *logc, double *slopes, eng_corrdim_result *res)
{
  if (!e || !res)
    return ENG_EINVAL;
  eng_corrdim_plan *plan;
  int rc = eng_corrdim_plan_create(&plan, x, n, o);
  if (rc)
    return rc;
  rc = eng__parallel_for(e, eng_corrdim_plan_blocks(plan), corr_item, plan, NULL, NULL);
  if (!rc)
    rc = eng_corrdim_plan_finish(plan, radii, logc, slopes, res);
  eng_corrdim_plan_destroy(plan);
  return rc;
}

/* ------------------------------------------------------- classification */

/* Items: 0 = Lyapunov estimate, 1 = D2, 2 = the series' prediction error,
 * 3.. = one per surrogate. Each writes its own field of the work. */
static int cls_item(void *ctx, size_t i, void **scratch)
{
  eng_classify_work *w = ctx;
  (void)scratch;
  if (i == 0)
    return eng__classify_lyap(w);
  if (i == 1)
    return eng__classify_d2(w);
  if (i == 2)
    return eng__classify_pred(w, -1, &w->res.pred_err);
  return eng__classify_pred(w, (long)(i - 3), &w->surr_err[i - 3]);
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
  rc = eng__parallel_for(e, 3 + (size_t)w->o.surrogates, cls_item, w, NULL, NULL);
  if (!rc) {
    eng__classify_decide(w);
    *res = w->res;
  }
  eng__classify_free(w);
  free(w);
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

static int par_fnn(void *ctx, const double *x, size_t n, const eng_dim_opts *o, double *frac,
                   unsigned *m)
{
  return eng_dim_fnn_par(ctx, x, n, o, frac, m);
}

int eng_analyze_par(eng_engine *e, const double *x, size_t n, const eng_analyze_opts *o,
                    eng_analyze_result *res)
{
  if (!e)
    return ENG_EINVAL;
  const eng__analyze_stages stages = {par_classify, par_lyapunov, par_corrdim, par_fnn, e};
  return eng__analyze_run(x, n, o, res, &stages);
}
