/* check_attractor.c: FFT, surrogates, classification, the analyze pipeline and the scheduled versions. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "engine/attractor.h"

static uint64_t rs = 0x9E3779B97F4A7C15ULL;
static double urand(void)
{
  rs ^= rs << 13;
  rs ^= rs >> 7;
  rs ^= rs << 17;
  return (double)(rs >> 11) * 0x1.0p-53;
}
static double grand(void)
{
  double u = urand(), v = urand();
  return sqrt(-2.0 * log(1.0 - u)) * cos(2.0 * M_PI * v);
}

static int slow_build(void)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  return 1;
#else
  const char *s = getenv("ENGINE_TEST_SCALE");
  return s && atof(s) < 1.0;
#endif
}

static void rhs(int kind, const double *u, double *k)
{
  if (kind == 0) {
    k[0] = 10.0 * (u[1] - u[0]);
    k[1] = u[0] * (28.0 - u[2]) - u[1];
    k[2] = u[0] * u[1] - 8.0 / 3.0 * u[2];
  } else {
    k[0] = -u[1] - u[2];
    k[1] = u[0] + 0.2 * u[1];
    k[2] = 0.2 + u[2] * (u[0] - 5.7);
  }
}

static void flow(int kind, double dt, double *x, size_t n)
{
  double s[3] = {1, 1, kind ? 0.0 : 1.0};
  for (size_t i = 0; i < n + 5000; i++) {
    double k1[3], k2[3], k3[3], k4[3], t[3];
    rhs(kind, s, k1);
    for (int d = 0; d < 3; d++)
      t[d] = s[d] + 0.5 * dt * k1[d];
    rhs(kind, t, k2);
    for (int d = 0; d < 3; d++)
      t[d] = s[d] + 0.5 * dt * k2[d];
    rhs(kind, t, k3);
    for (int d = 0; d < 3; d++)
      t[d] = s[d] + dt * k3[d];
    rhs(kind, t, k4);
    for (int d = 0; d < 3; d++)
      s[d] += dt / 6.0 * (k1[d] + 2 * k2[d] + 2 * k3[d] + k4[d]);
    if (i >= 5000)
      x[i - 5000] = s[0];
  }
}

enum { SINE, TWO_SINES, DAMPED, LORENZ, ROSSLER, HENON, LOGISTIC, WHITE, AR1, NCASES };
static const char *const case_name[NCASES] = {"sine", "two sines", "damped", "lorenz", "rossler",
                                              "henon", "logistic", "white", "ar1"};

static double make(int c, double *x, size_t n)
{
  double dt = 1.0;
  switch (c) {
  case SINE:
    for (size_t i = 0; i < n; i++)
      x[i] = sin(2.0 * M_PI * (double)i / 37.3 + 0.4);
    break;
  case TWO_SINES: /* frequency ratio the golden mean: incommensurate */
    for (size_t i = 0; i < n; i++)
      x[i] = sin(2.0 * M_PI * (double)i / 37.3) +
             0.7 * sin(2.0 * M_PI * (double)i * 0.5 * (sqrt(5.0) - 1.0) / 37.3 + 0.3);
    break;
  case DAMPED:
    for (size_t i = 0; i < n; i++)
      x[i] = exp(-10.0 * (double)i / (double)n) * cos(2.0 * M_PI * (double)i / 50.0);
    break;
  case LORENZ:
    flow(0, 0.01, x, n);
    dt = 0.01;
    break;
  case ROSSLER:
    flow(1, 0.1, x, n);
    dt = 0.1;
    break;
  case HENON: {
    double a = 0.1, b = 0.1;
    for (size_t i = 0; i < n + 1000; i++) {
      double t = 1.0 - 1.4 * a * a + b;
      b = 0.3 * a;
      a = t;
      if (i >= 1000)
        x[i - 1000] = a;
    }
  } break;
  case LOGISTIC: { /* r = 4 through the doubling-map conjugacy, see check_lyapunov.c */
    double th = 0.31415;
    for (size_t i = 0; i < n; i++) {
      th = 2.0 * th + urand() * 1e-12;
      th -= floor(th);
      double v = sin(M_PI * th);
      x[i] = v * v;
    }
  } break;
  case WHITE:
    for (size_t i = 0; i < n; i++)
      x[i] = grand();
    break;
  case AR1: {
    double a = 0.0;
    for (size_t i = 0; i < n; i++) {
      a = 0.9 * a + grand();
      x[i] = a;
    }
  } break;
  }
  return dt;
}

static const eng_attractor_class expected[NCASES] = {
    ENG_CLASS_LIMIT_CYCLE, ENG_CLASS_QUASI_PERIODIC, ENG_CLASS_FIXED_POINT,
    ENG_CLASS_CHAOTIC,     ENG_CLASS_CHAOTIC,        ENG_CLASS_CHAOTIC,
    ENG_CLASS_CHAOTIC,     ENG_CLASS_STOCHASTIC,     ENG_CLASS_STOCHASTIC};

START_TEST(fft_matches_dft)
{
  size_t sizes[] = {1, 2, 3, 7, 12, 16, 100, 128, 243};
  for (size_t t = 0; t < sizeof sizes / sizeof *sizes; t++) {
    size_t n = sizes[t];
    double *re = malloc(n * sizeof *re), *im = malloc(n * sizeof *im);
    double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    for (size_t i = 0; i < n; i++) {
      re[i] = x[i] = urand() - 0.5;
      im[i] = y[i] = urand() - 0.5;
    }
    ck_assert_int_eq(eng_fft(re, im, n, 0, NULL), 0);
    for (size_t k = 0; k < n; k++) {
      double sr = 0, si = 0;
      for (size_t j = 0; j < n; j++) {
        double a = -2.0 * M_PI * (double)((j * k) % n) / (double)n;
        sr += x[j] * cos(a) - y[j] * sin(a);
        si += x[j] * sin(a) + y[j] * cos(a);
      }
      ck_assert_double_eq_tol(re[k], sr, 1e-9);
      ck_assert_double_eq_tol(im[k], si, 1e-9);
    }
    ck_assert_int_eq(eng_fft(re, im, n, 1, NULL), 0);
    for (size_t i = 0; i < n; i++) {
      ck_assert_double_eq_tol(re[i], x[i], 1e-12);
      ck_assert_double_eq_tol(im[i], y[i], 1e-12);
    }
    free(re);
    free(im);
    free(x);
    free(y);
  }
  double a = 0, b = 0;
  ck_assert_int_eq(eng_fft(&a, &b, 0, 0, NULL), ENG_EINVAL);
}
END_TEST

static int cmpd(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

START_TEST(surrogates)
{
  size_t n = 1000; /* not a power of two: the chirp-z path */
  double *x = malloc(n * sizeof *x), *s = malloc(n * sizeof *s), *t = malloc(n * sizeof *t);
  make(AR1, x, n);
  /* phase surrogate: same power spectrum, different series */
  ck_assert_int_eq(eng_surrogate(x, n, ENG_SURR_PHASE, 7, s, NULL), 0);
  double *r1 = malloc(n * sizeof *r1), *i1 = calloc(n, sizeof *i1);
  double *r2 = malloc(n * sizeof *r2), *i2 = calloc(n, sizeof *i2);
  memcpy(r1, x, n * sizeof *x);
  memcpy(r2, s, n * sizeof *s);
  eng_fft(r1, i1, n, 0, NULL);
  eng_fft(r2, i2, n, 0, NULL);
  double diff = 0;
  for (size_t k = 0; k < n; k++) {
    double p1 = hypot(r1[k], i1[k]), p2 = hypot(r2[k], i2[k]);
    ck_assert_double_eq_tol(p1, p2, 1e-8 * (1 + p1));
  }
  for (size_t i = 0; i < n; i++)
    diff += fabs(x[i] - s[i]);
  ck_assert(diff > 0.1 * (double)n);
  /* reproducible from the seed, different for another seed */
  ck_assert_int_eq(eng_surrogate(x, n, ENG_SURR_PHASE, 7, t, NULL), 0);
  ck_assert(memcmp(s, t, n * sizeof *s) == 0);
  ck_assert_int_eq(eng_surrogate(x, n, ENG_SURR_PHASE, 8, t, NULL), 0);
  ck_assert(memcmp(s, t, n * sizeof *s) != 0);
  /* AAFT and shuffle: exactly the same values (a permutation) */
  for (int kind = ENG_SURR_SHUFFLE; kind <= ENG_SURR_AAFT; kind += 2) {
    ck_assert_int_eq(eng_surrogate(x, n, (eng_surrogate_kind)kind, 3, s, NULL), 0);
    memcpy(t, x, n * sizeof *x);
    qsort(t, n, sizeof *t, cmpd);
    qsort(s, n, sizeof *s, cmpd);
    ck_assert(memcmp(s, t, n * sizeof *s) == 0);
  }
  x[3] = NAN;
  ck_assert_int_eq(eng_surrogate(x, n, ENG_SURR_AAFT, 3, s, NULL), ENG_ENAN);
  ck_assert_int_eq(eng_surrogate(x, n, (eng_surrogate_kind)9, 3, s, NULL), ENG_EINVAL);
  ck_assert_int_eq(eng_surrogate(x, n, ENG_SURR_PHASE, 3, x, NULL), ENG_EINVAL);
  free(x);
  free(s);
  free(t);
  free(r1);
  free(i1);
  free(r2);
  free(i2);
}
END_TEST

START_TEST(classify_cases)
{
  size_t n = slow_build() ? 4096 : 10000;
  double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
  for (int c = 0; c < NCASES; c++) {
    if (slow_build() && (c == LORENZ || c == ROSSLER || c == TWO_SINES))
      continue; /* too few orbits (or too thin a torus) at the reduced length */
    double dt = make(c, x, n);
    eng_classify_opts o;
    eng_classify_opts_init(&o);
    o.dt = dt;
    eng_classify_result r, r2;
    ck_assert_int_eq(eng_classify(x, n, &o, &r), 0);
    ck_assert_msg(r.cls == expected[c], "%s classified %s", case_name[c],
                  eng_attractor_class_name(r.cls));
    if (c == WHITE || c == AR1)
      ck_assert(r.cls != ENG_CLASS_CHAOTIC && !r.surr_reject);
    if (r.cls == ENG_CLASS_CHAOTIC)
      ck_assert(r.lambda_lo > 0.0 && r.surr_reject && r.d2_ok);
    /* scale and offset free (checked on one case of each kind of evidence) */
    if (c != SINE && c != LORENZ && c != AR1 && c != HENON)
      continue;
    for (size_t i = 0; i < n; i++)
      y[i] = 1000.0 * x[i] + 17.0;
    ck_assert_int_eq(eng_classify(y, n, &o, &r2), 0);
    ck_assert_int_eq(r2.cls, r.cls);
    /* (a periodic orbit's neighbours sit at rounding-level distances, whose
     * log divergence is rounding noise: compared where it is meaningful) */
    if (r.cls == ENG_CLASS_CHAOTIC || r.cls == ENG_CLASS_STOCHASTIC)
      ck_assert_double_eq_tol(r2.lambda, r.lambda, 1e-6);
  }
  ck_assert_str_eq(eng_attractor_class_name(ENG_CLASS_QUASI_PERIODIC), "quasi_periodic");
  ck_assert_ptr_null(eng_attractor_class_name((eng_attractor_class)99));
  free(x);
  free(y);
}
END_TEST

START_TEST(bad_input)
{
  size_t n = 1000;
  double *x = malloc(n * sizeof *x);
  make(HENON, x, n);
  eng_classify_result r;
  eng_analyze_result a;
  eng_classify_opts o;
  eng_classify_opts_init(&o);
  ck_assert_int_eq(eng_classify(x, 100, &o, &r), ENG_ESHORT);
  ck_assert_int_eq(eng_analyze(x, 100, NULL, &a), ENG_ESHORT);
  x[5] = INFINITY;
  ck_assert_int_eq(eng_classify(x, n, &o, &r), ENG_ENAN);
  ck_assert_int_eq(eng_analyze(x, n, NULL, &a), ENG_ENAN);
  for (size_t i = 0; i < n; i++)
    x[i] = 1.5;
  ck_assert_int_eq(eng_classify(x, n, &o, &r), ENG_ECONST);
  ck_assert_int_eq(eng_analyze(x, n, NULL, &a), ENG_ECONST);
  make(HENON, x, n);
  o.dt = -1;
  ck_assert_int_eq(eng_classify(x, n, &o, &r), ENG_EINVAL);
  ck_assert_int_eq(eng_classify(NULL, n, NULL, &r), ENG_EINVAL);
  ck_assert_int_eq(eng_prediction_error(x, n, 0, 1, 1, 4, 0, 0, &r.pred_err), ENG_EINVAL);
  ck_assert_int_eq(eng_prediction_error(x, n, 2, 0, 1, 4, 0, 0, &r.pred_err), ENG_EINVAL);
  free(x);
}
END_TEST

START_TEST(pipeline_lorenz)
{
  size_t n = slow_build() ? 5000 : 20000;
  double *x = malloc(n * sizeof *x);
  make(LORENZ, x, n);
  eng_analyze_opts o;
  eng_analyze_opts_init(&o);
  o.dt = 0.01;
  eng_analyze_result r;
  ck_assert_int_eq(eng_analyze(x, n, &o, &r), 0);
  ck_assert(r.tau_auto && r.m_auto);
  ck_assert(r.tau >= 5 && r.tau <= 40);
  ck_assert(r.m >= 3 && r.m <= 10);
  if (!slow_build()) {
    ck_assert_int_eq(r.cls.cls, ENG_CLASS_CHAOTIC);
    ck_assert(r.lyap.lambda_time > 0.5 && r.lyap.lambda_time < 1.5);
    ck_assert(r.corr.d2 > 1.7 && r.corr.d2 < 2.4);
  }
  /* the exponent and D2 are computed once and are the classifier's evidence */
  if (r.cls.d2_ok)
    ck_assert(r.cls.d2 == r.corr.d2);
  if (!slow_build())
    ck_assert(r.cls.d2_ok);
  ck_assert(r.cls.lambda == r.lyap.lambda && r.cls.lambda_lo == r.lyap.ci_lo);
  ck_assert(r.cls.theiler == r.theiler && r.lyap.theiler == r.theiler);
  /* evidence handed to the classifier is used as given */
  {
    eng_classify_opts co;
    eng_classify_opts_init(&co);
    co.m = r.m;
    co.tau = r.tau;
    co.surrogates = 3;
    eng_lyap_result gl;
    memset(&gl, 0, sizeof gl);
    gl.lambda = 0.125;
    gl.ci_lo = 0.1;
    gl.ci_hi = 0.15;
    gl.rise = 2.5;
    eng_corrdim_result gc = r.corr;
    gc.d2 = 1.75;
    co.lyap = &gl;
    co.corr = &gc;
    eng_classify_result c;
    ck_assert_int_eq(eng_classify(x, n, &co, &c), 0);
    ck_assert(c.lambda == 0.125 && c.lambda_lo == 0.1 && c.rise == 2.5);
    ck_assert(c.d2_ok && c.d2 == 1.75);
    gc.d2 = NAN; /* no scaling region */
    ck_assert_int_eq(eng_classify(x, n, &co, &c), 0);
    ck_assert(!c.d2_ok);
  }
  /* given choices are kept */
  o.tau = 10;
  o.m = 6;
  o.surrogates = 5;
  ck_assert_int_eq(eng_analyze(x, n, &o, &r), 0);
  ck_assert(!r.tau_auto && !r.m_auto && r.tau == 10 && r.m == 6);
  ck_assert_str_eq(r.tau_rule, "given");
  free(x);
}
END_TEST

START_TEST(scheduled_equals_serial)
{
  eng_engine *e;
  eng_config cfg;
  eng_config_init(&cfg);
  cfg.workers = 2;
  cfg.pin = 0;
  ck_assert_int_eq(eng_engine_create(&e, &cfg), 0);
  size_t n = 6000;
  double *x = malloc(n * sizeof *x);
  make(LORENZ, x, n);
  eng_lyap_opts lo;
  eng_lyap_opts_init(&lo);
  lo.m = 5;
  lo.tau = 10;
  for (int meth = 0; meth < 2; meth++) {
    lo.method = (eng_lyap_method)meth;
    double c1[1100], c2[1100];
    eng_lyap_result a, b;
    ck_assert_int_eq(eng_lyapunov(x, n, &lo, c1, 1100, &a), 0);
    ck_assert_int_eq(eng_lyapunov_par(e, x, n, &lo, c2, 1100, &b), 0);
    ck_assert(memcmp(&a, &b, sizeof a) == 0);
    ck_assert(memcmp(c1, c2, (a.kmax + 1) * sizeof *c1) == 0);
  }
  eng_corrdim_opts co;
  eng_corrdim_opts_init(&co);
  co.m_min = 2;
  co.m_max = 6;
  co.tau = 10;
  co.r_max = 0.5;
  size_t nr = eng_corrdim_nradii(&co);
  double *l1 = malloc(5 * nr * sizeof *l1), *l2 = malloc(5 * nr * sizeof *l2);
  eng_corrdim_result a, b;
  ck_assert_int_eq(eng_corrdim(x, n, &co, NULL, l1, NULL, &a), 0);
  ck_assert_int_eq(eng_corrdim_par(e, x, n, &co, NULL, l2, NULL, &b), 0);
  ck_assert(memcmp(&a, &b, sizeof a) == 0);
  ck_assert(memcmp(l1, l2, 5 * nr * sizeof *l1) == 0);
  eng_classify_opts clo;
  eng_classify_opts_init(&clo);
  clo.surrogates = 5;
  eng_classify_result c1, c2;
  ck_assert_int_eq(eng_classify(x, n, &clo, &c1), 0);
  ck_assert_int_eq(eng_classify_par(e, x, n, &clo, &c2), 0);
  ck_assert(memcmp(&c1, &c2, sizeof c1) == 0);
  /* the pipeline with every stage scheduled, its FNN dimension search included */
  eng_analyze_opts ao;
  eng_analyze_opts_init(&ao);
  ao.surrogates = 5;
  ao.dt = 0.01;
  eng_analyze_result p1, p2;
  ck_assert_int_eq(eng_analyze(x, n, &ao, &p1), 0);
  ck_assert_int_eq(eng_analyze_par(e, x, n, &ao, &p2), 0);
  ck_assert(p1.m_auto && p2.m_auto);
  ck_assert_uint_eq(p1.m, p2.m);
  ck_assert_uint_eq(p1.tau, p2.tau);
  ck_assert_str_eq(p1.tau_rule, p2.tau_rule);
  ck_assert(p1.fnn_frac == p2.fnn_frac);
  ck_assert_uint_eq(p1.theiler, p2.theiler);
  ck_assert(memcmp(&p1.lyap, &p2.lyap, sizeof p1.lyap) == 0);
  ck_assert(memcmp(&p1.corr, &p2.corr, sizeof p1.corr) == 0);
  ck_assert(memcmp(&p1.cls, &p2.cls, sizeof p1.cls) == 0);
  eng_lyap_result lr;
  ck_assert_int_eq(eng_lyapunov_par(NULL, x, n, &lo, NULL, 0, &lr), ENG_EINVAL);
  free(l1);
  free(l2);
  free(x);
  eng_engine_destroy(e, ENG_DRAIN_FINISH, NULL);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("attractor");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, fft_matches_dft);
  tcase_add_test(tc, surrogates);
  tcase_add_test(tc, classify_cases);
  tcase_add_test(tc, bad_input);
  tcase_add_test(tc, pipeline_lorenz);
  tcase_add_test(tc, scheduled_equals_serial);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
