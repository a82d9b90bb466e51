/* attractor.c: classification of a series as fixed point, limit cycle, torus, chaos or noise, with its evidence. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "attr_internal.h"

const char *eng_attractor_class_name(eng_attractor_class c)
{
  switch (c) {
  case ENG_CLASS_FIXED_POINT: return "fixed_point";
  case ENG_CLASS_LIMIT_CYCLE: return "limit_cycle";
  case ENG_CLASS_QUASI_PERIODIC: return "quasi_periodic";
  case ENG_CLASS_CHAOTIC: return "chaotic";
  case ENG_CLASS_STOCHASTIC: return "stochastic";
  }
  return NULL;
}

void eng_classify_opts_init(eng_classify_opts *o)
{
  if (!o)
    return;
  memset(o, 0, sizeof *o);
  o->m = 0;
  o->tau = 0;
  o->theiler = ENG_LYAP_AUTO;
  o->surrogates = 19;
  o->seed = 1;
  o->dt = 1.0;
}

/* Lag where the autocorrelation first drops below 1/e (at least 1), scanning
 * lags up to max_lag; the series must be standardised. */
unsigned eng__acf_1e(const double *z, size_t n, unsigned max_lag)
{
  double c0 = 0.0;
  for (size_t i = 0; i < n; i++)
    c0 += z[i] * z[i];
  for (unsigned k = 1; k <= max_lag && k < n; k++) {
    double c = 0.0;
    for (size_t i = 0; i + k < n; i++)
      c += z[i] * z[i + k];
    if (c / c0 < exp(-1.0))
      return k;
  }
  return max_lag;
}

/* Fixed-point evidence: the RMS deviation from the final value (mean of the
 * last tenth) in the last tenth over that in the first tenth. */
static double decay_ratio(const double *z, size_t n, int *monotone)
{
  size_t B = 10, len = n / B;
  double fin = 0.0, rms[10];
  for (size_t i = n - len; i < n; i++)
    fin += z[i];
  fin /= (double)len;
  for (size_t b = 0; b < B; b++) {
    double s = 0.0;
    for (size_t i = b * len; i < (b + 1) * len; i++)
      s += (z[i] - fin) * (z[i] - fin);
    rms[b] = sqrt(s / (double)len);
  }
  *monotone = 1;
  for (size_t b = 1; b < B; b++)
    if (rms[b] > 1.05 * rms[b - 1] + 1e-12)
      *monotone = 0;
  return rms[0] > 0.0 ? rms[B - 1] / rms[0] : 1.0;
}

int eng__classify_prepare(eng_classify_work *w, const double *x, size_t n,
                          const eng_classify_opts *oin)
{
  eng_classify_opts def;
  if (!oin) {
    eng_classify_opts_init(&def);
    oin = &def;
  }
  memset(w, 0, sizeof *w);
  if (!x || !(oin->dt > 0.0) || !isfinite(oin->dt) || oin->m > 32 || oin->surrogates > 999)
    return ENG_EINVAL;
  double mean, sd;
  int rc = eng__series_check(x, n, &mean, &sd);
  if (rc)
    return rc;
  if (n < 256)
    return ENG_ESHORT;
  w->o = *oin;
  w->n = n;
  w->z = malloc(n * sizeof *w->z);
  w->surr_err = calloc(oin->surrogates ? oin->surrogates : 1, sizeof *w->surr_err);
  w->surr_rc = calloc(oin->surrogates ? oin->surrogates : 1, sizeof *w->surr_rc);
  if (!w->z || !w->surr_err || !w->surr_rc) {
    eng__classify_free(w);
    return ENG_ENOMEM;
  }
  /* Standardised: every threshold below is in units of the series' spread. */
  for (size_t i = 0; i < n; i++)
    w->z[i] = (x[i] - mean) / sd;
  eng_classify_result *r = &w->res;
  r->period = eng__mean_period(w->z, n, 0.0, 1.0);
  r->tau = oin->tau ? oin->tau : eng__acf_1e(w->z, n, (unsigned)(n / 20 > 1 ? n / 20 : 1));
  r->m = oin->m ? oin->m : 5;
  size_t span = (size_t)(r->m - 1) * r->tau;
  if (n < span + 200)
    return ENG_ESHORT;
  r->theiler = oin->theiler == ENG_LYAP_AUTO
                   ? eng__auto_theiler(r->period, r->m, r->tau, n - span)
                   : oin->theiler;
  int mono = 0;
  r->decay = decay_ratio(w->z, n, &mono);
  w->fixed = mono && r->decay < 0.05;
  /* prediction horizon: one delay, at least one sample */
  w->h = r->tau;
  return 0;
}

void eng__classify_free(eng_classify_work *w)
{
  free(w->z);
  free(w->surr_err);
  free(w->surr_rc);
  w->z = NULL;
  w->surr_err = NULL;
  w->surr_rc = NULL;
}

/* The prediction error of surrogate s (s = -1: the series itself). */
int eng__classify_pred(const eng_classify_work *w, long s, double *err)
{
  const eng_classify_result *r = &w->res;
  /* The test runs on the longest power-of-two prefix (at least half the
   * series): its FFT needs no chirp-z, which makes each surrogate ~4x
   * cheaper, and the series and its surrogates are compared on equal terms. */
  size_t L = 1;
  while (L * 2 <= w->n)
    L *= 2;
  size_t nref = L < 2000 ? L : 2000;
  if (s < 0)
    return eng_prediction_error(w->z, L, r->m, r->tau, w->h, 4, r->theiler, nref, err);
  double *y = malloc(L * sizeof *y);
  if (!y)
    return ENG_ENOMEM;
  int rc = eng_surrogate(w->z, L, ENG_SURR_PHASE, w->o.seed * 1000003ULL + (uint64_t)s, y, NULL);
  if (!rc)
    rc = eng_prediction_error(y, L, r->m, r->tau, w->h, 4, r->theiler, nref, err);
  free(y);
  return rc;
}

int eng__classify_lyap(eng_classify_work *w)
{
  eng_classify_result *r = &w->res;
  if (w->o.lyap) {
    const eng_lyap_result *g = w->o.lyap;
    r->lambda = g->lambda;
    r->lambda_lo = g->ci_lo;
    r->lambda_hi = g->ci_hi;
    r->lambda_time = g->lambda_time;
    r->rise = g->rise;
    return 0;
  }
  eng_lyap_opts lo;
  eng_lyap_opts_init(&lo);
  lo.m = r->m;
  lo.tau = r->tau;
  lo.theiler = r->theiler;
  lo.dt = w->o.dt;
  eng_lyap_result lr;
  int rc = eng_lyapunov(w->z, w->n, &lo, NULL, 0, &lr);
  if (rc == ENG_ERANGE) {
    /* no neighbour at a positive distance: every orbit repeats exactly */
    r->lambda = r->lambda_lo = r->lambda_hi = r->rise = 0.0;
    return 0;
  }
  if (rc)
    return rc;
  r->lambda = lr.lambda;
  r->lambda_lo = lr.ci_lo;
  r->lambda_hi = lr.ci_hi;
  r->lambda_time = lr.lambda_time;
  r->rise = lr.rise;
  return 0;
}

int eng__classify_d2(eng_classify_work *w)
{
  eng_classify_result *r = &w->res;
  if (w->o.corr) {
    r->d2_ok = isfinite(w->o.corr->d2);
    r->d2 = r->d2_ok ? w->o.corr->d2 : 0.0;
    return 0;
  }
  eng_corrdim_opts co;
  eng_corrdim_opts_init(&co);
  co.m_min = r->m > 2 ? r->m - 1 : 1;
  co.m_max = r->m + 1;
  co.tau = r->tau;
  co.theiler = r->theiler;
  co.r_max = 0.5;
  eng_corrdim_result cr;
  int rc = eng_corrdim(w->z, w->n, &co, NULL, NULL, NULL, &cr);
  if (rc == ENG_ERANGE || rc == ENG_ESHORT) {
    r->d2_ok = 0;
    return 0;
  }
  if (rc)
    return rc;
  r->d2_ok = 1;
  r->d2 = cr.d2;
  return 0;
}

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Decision rules (docs/attractor.md):
 *  1. the deviation from the final value decays monotonically below 5% of its
 *     initial size: fixed point;
 *  2. nearest neighbours diverge by less than a factor e over the curve and
 *     the series is predictable (error < 0.2 sd): periodic, limit cycle when
 *     D2 < 1.5 else quasi-periodic (torus);
 *  3. otherwise chaotic when the surrogate test rejects linear Gaussian noise
 *     (the series predicts better than every phase-randomised surrogate and
 *     by at least 30% against their median) and the exponent's confidence
 *     interval lies above zero; stochastic in every other case. */
void eng__classify_decide(eng_classify_work *w)
{
  eng_classify_result *r = &w->res;
  unsigned ns = w->o.surrogates;
  r->lambda_period = r->period > 0.0 ? r->lambda * r->period : r->lambda;
  if (ns > 0) {
    qsort(w->surr_err, ns, sizeof *w->surr_err, cmp_double);
    r->surr_err_min = w->surr_err[0];
    r->surr_err_median = ns % 2 ? w->surr_err[ns / 2]
                                : 0.5 * (w->surr_err[ns / 2 - 1] + w->surr_err[ns / 2]);
    r->surr_reject = r->pred_err < r->surr_err_min && r->pred_err < 0.7 * r->surr_err_median;
  }
  if (w->fixed)
    r->cls = ENG_CLASS_FIXED_POINT;
  else if (r->rise < 1.0 && r->pred_err < 0.2)
    r->cls = r->d2_ok && r->d2 >= 1.5 ? ENG_CLASS_QUASI_PERIODIC : ENG_CLASS_LIMIT_CYCLE;
  else if (r->surr_reject && r->lambda_lo > 0.0)
    r->cls = ENG_CLASS_CHAOTIC;
  else
    r->cls = ENG_CLASS_STOCHASTIC;
}

int eng_classify(const double *x, size_t n, const eng_classify_opts *o, eng_classify_result *res)
{
  if (!res)
    return ENG_EINVAL;
  eng_classify_work w;
  int rc = eng__classify_prepare(&w, x, n, o);
  if (!rc && !w.fixed) {
    rc = eng__classify_lyap(&w);
    if (!rc)
      rc = eng__classify_d2(&w);
    if (!rc)
      rc = eng__classify_pred(&w, -1, &w.res.pred_err);
    for (unsigned s = 0; s < w.o.surrogates && !rc; s++)
      rc = eng__classify_pred(&w, (long)s, &w.surr_err[s]);
  }
  if (!rc) {
    if (w.fixed)
      w.o.surrogates = 0;
    eng__classify_decide(&w);
    *res = w.res;
  }
  eng__classify_free(&w);
  return rc;
}
