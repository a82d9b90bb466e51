/* pipeline.c: one-call analysis: delay, dimension, embedding, exponent, correlation dimension and class. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "attr_internal.h"
#include "engine/dynamics.h"

void eng_analyze_opts_init(eng_analyze_opts *o)
{
  if (!o)
    return;
  memset(o, 0, sizeof *o);
  o->m_max = 10;
  o->dt = 1.0;
  o->method = ENG_LYAP_ROSENSTEIN;
  o->surrogates = 19;
  o->seed = 1;
}

/* Delay and dimension, the pipeline's first two choices (filled into res). */
static int analyze_embedding(const double *x, size_t n, const eng_analyze_opts *o,
                             eng_analyze_result *res, const eng__analyze_stages *st)
{
  double mean, sd;
  int rc = eng__series_check(x, n, &mean, &sd);
  if (rc)
    return rc;
  if (n < 256)
    return ENG_ESHORT;
  if (o->tau) {
    res->tau = o->tau;
    res->tau_rule = "given";
  } else {
    /* the smaller of the first minimum of the average mutual information
     * (Fraser & Swinney 1986) and the 1/e autocorrelation time: a map's AMI
     * has no genuine minimum (any found lies in its noise floor, far out),
     * while its autocorrelation time is one step */
    unsigned max_lag = (unsigned)(n / 20 < 200 ? n / 20 : 200), tau = 0;
    if (max_lag < 2)
      max_lag = 2;
    rc = eng_delay_ami(x, n, max_lag, 0, NULL, &tau, NULL);
    if (rc != 0 && rc != ENG_ERANGE)
      return rc;
    double *z = malloc(n * sizeof *z);
    if (!z)
      return ENG_ENOMEM;
    for (size_t i = 0; i < n; i++)
      z[i] = (x[i] - mean) / sd;
    unsigned tacf = eng__acf_1e(z, n, max_lag);
    free(z);
    if (rc == 0 && tau >= 1 && tau <= tacf) {
      res->tau_rule = "ami";
    } else {
      tau = tacf;
      res->tau_rule = "acf_1e";
    }
    res->tau = tau;
    res->tau_auto = 1;
  }
  if (o->m) {
    res->m = o->m;
  } else {
    eng_dim_opts d;
    eng_dim_opts_init(&d);
    d.tau = res->tau;
    d.m_max = o->m_max;
    double *frac = malloc(o->m_max * sizeof *frac);
    if (!frac)
      return ENG_ENOMEM;
    unsigned m = 0;
    rc = st->fnn(st->ctx, x, n, &d, frac, &m);
    if (rc == ENG_ERANGE)
      rc = 0; /* no m reached the threshold: m_max, the best available */
    if (!rc) {
      res->m = m ? m : o->m_max;
      res->fnn_frac = frac[res->m - 1];
      res->m_auto = 1;
    }
    free(frac);
    if (rc)
      return rc;
  }
  return 0;
}

int eng__analyze_run(const double *x, size_t n, const eng_analyze_opts *oin, eng_analyze_result *res,
                     const eng__analyze_stages *st)
{
  eng_analyze_opts def;
  if (!oin) {
    eng_analyze_opts_init(&def);
    oin = &def;
  }
  if (!x || !res || oin->m_max == 0 || oin->m_max > 32 || !(oin->dt > 0.0) || !isfinite(oin->dt))
    return ENG_EINVAL;
  memset(res, 0, sizeof *res);
  int rc = analyze_embedding(x, n, oin, res, st);
  if (rc)
    return rc;
  /* The Theiler window of the classification (the mean period of the
   * standardised series, eng__classify_prepare's rule), chosen here so the
   * exponent and D2 below are computed once and handed to the classifier as
   * its evidence instead of being estimated a second time. */
  {
    double mean, sd;
    rc = eng__series_check(x, n, &mean, &sd);
    if (rc)
      return rc;
    double *z = malloc(n * sizeof *z);
    if (!z)
      return ENG_ENOMEM;
    for (size_t i = 0; i < n; i++)
      z[i] = (x[i] - mean) / sd;
    size_t span = (size_t)(res->m - 1) * res->tau;
    if (n < span + 200) {
      free(z);
      return ENG_ESHORT;
    }
    res->theiler = eng__auto_theiler(eng__mean_period(z, n, 0.0, 1.0), res->m, res->tau, n - span);
    free(z);
  }
  eng_lyap_opts lo;
  eng_lyap_opts_init(&lo);
  lo.method = oin->method;
  lo.m = res->m;
  lo.tau = res->tau;
  lo.theiler = res->theiler;
  lo.dt = oin->dt;
  rc = st->lyapunov(st->ctx, x, n, &lo, &res->lyap);
  int lyap_ok = rc == 0;
  if (rc && rc != ENG_ERANGE)
    return rc;
  eng_corrdim_opts cd;
  eng_corrdim_opts_init(&cd);
  cd.m_min = res->m > 2 ? res->m - 2 : 1;
  cd.m_max = res->m + 2;
  cd.tau = res->tau;
  cd.theiler = res->theiler;
  cd.r_max = 0.5;
  rc = st->corrdim(st->ctx, x, n, &cd, &res->corr);
  if (rc && rc != ENG_ERANGE && rc != ENG_ESHORT)
    return rc;
  eng_corrdim_result corr = res->corr;
  if (rc)
    corr.d2 = NAN; /* no scaling region: the classifier's D2 evidence is absent */
  eng_lyap_result none;
  memset(&none, 0, sizeof none);
  eng_classify_opts co;
  eng_classify_opts_init(&co);
  co.m = res->m;
  co.tau = res->tau;
  co.theiler = res->theiler;
  co.surrogates = oin->surrogates;
  co.seed = oin->seed;
  co.dt = oin->dt;
  co.corr = &corr;
  /* the classifier's exponent is Rosenstein's: shared when that is the method */
  if (oin->method == ENG_LYAP_ROSENSTEIN)
    co.lyap = lyap_ok ? &res->lyap : &none;
  rc = st->classify(st->ctx, x, n, &co, &res->cls);
  if (rc)
    return rc;
  return 0;
}

static int serial_classify(void *ctx, const double *x, size_t n, const eng_classify_opts *o,
                           eng_classify_result *res)
{
  (void)ctx;
  return eng_classify(x, n, o, res);
}

static int serial_lyapunov(void *ctx, const double *x, size_t n, const eng_lyap_opts *o,
                           eng_lyap_result *res)
{
  (void)ctx;
  return eng_lyapunov(x, n, o, NULL, 0, res);
}

static int serial_corrdim(void *ctx, const double *x, size_t n, const eng_corrdim_opts *o,
                          eng_corrdim_result *res)
{
  (void)ctx;
  return eng_corrdim(x, n, o, NULL, NULL, NULL, res);
}

static int serial_fnn(void *ctx, const double *x, size_t n, const eng_dim_opts *o, double *frac,
                      unsigned *m)
{
  (void)ctx;
  return eng_dim_fnn(x, n, o, frac, m, NULL);
}

int eng_analyze(const double *x, size_t n, const eng_analyze_opts *o, eng_analyze_result *res)
{
  static const eng__analyze_stages serial = {serial_classify, serial_lyapunov, serial_corrdim,
                                             serial_fnn, NULL};
  return eng__analyze_run(x, n, o, res, &serial);
}
