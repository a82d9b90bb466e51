/* check_lyapunov.c: largest Lyapunov exponent from data (Rosenstein, Kantz) against published values. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "engine/attractor.h"

/* Test-local generators, independent of the library's. */
static double *henon_x(size_t n)
{
  double *x = malloc(n * sizeof *x), a = 0.1, b = 0.1;
  for (size_t i = 0; i < 1000 + n; i++) {
    double t = 1.0 - 1.4 * a * a + b;
    b = 0.3 * a;
    a = t;
    if (i >= 1000)
      x[i - 1000] = a;
  }
  return x;
}

/* Logistic map r = 4 through its conjugacy x = sin^2(pi theta) with the
 * doubling map theta -> 2 theta mod 1; a tiny random kick each step keeps
 * the orbit from collapsing onto a floating-point cycle. */
static double *logistic_x(size_t n)
{
  double *x = malloc(n * sizeof *x), th = 0.1234567;
  uint64_t s = 88172645463325252ULL;
  for (size_t i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    th = 2.0 * th;
    th -= floor(th);
    th += (double)(s >> 11) * 0x1.0p-53 * 1e-12;
    th -= floor(th);
    double v = sin(M_PI * th);
    x[i] = v * v;
  }
  return x;
}

/* RK4 with fixed step dt: kind 0 Lorenz (10, 28, 8/3), 1 Rossler (0.2, 0.2, 5.7). */
static void deriv(int kind, const double *u, double *k)
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

static double *flow_x(int kind, double dt, size_t n)
{
  double *x = malloc(n * sizeof *x), s[3] = {1, 1, kind ? 0.0 : 1.0};
  size_t trans = 5000;
  for (size_t i = 0; i < n + trans; i++) {
    double k1[3], k2[3], k3[3], k4[3], t[3];
    deriv(kind, s, k1);
    for (int d = 0; d < 3; d++)
      t[d] = s[d] + 0.5 * dt * k1[d];
    deriv(kind, t, k2);
    for (int d = 0; d < 3; d++)
      t[d] = s[d] + 0.5 * dt * k2[d];
    deriv(kind, t, k3);
    for (int d = 0; d < 3; d++)
      t[d] = s[d] + dt * k3[d];
    deriv(kind, t, k4);
    for (int d = 0; d < 3; d++)
      s[d] += dt / 6.0 * (k1[d] + 2 * k2[d] + 2 * k3[d] + k4[d]);
    if (i >= trans)
      x[i - trans] = s[0];
  }
  return x;
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

static eng_lyap_result run(const double *x, size_t n, eng_lyap_method meth, unsigned m, unsigned tau,
                           double dt)
{
  eng_lyap_opts o;
  eng_lyap_opts_init(&o);
  o.method = meth;
  o.m = m;
  o.tau = tau;
  o.dt = dt;
  eng_lyap_result r;
  double curve[1100];
  ck_assert_int_eq(eng_lyapunov(x, n, &o, curve, 1100, &r), 0);
  ck_assert_double_eq_tol(r.lambda_time, r.lambda / dt, 1e-12);
  ck_assert(r.ci_lo <= r.lambda && r.lambda <= r.ci_hi);
  ck_assert_uint_gt(r.nref, n / 4);
  return r;
}

START_TEST(henon)
{
  /* Henon (1.4, 0.3): largest exponent 0.419 per iteration (Sprott 2003) */
  size_t n = 10000;
  double *x = henon_x(n);
  eng_lyap_result r = run(x, n, ENG_LYAP_ROSENSTEIN, 2, 1, 1.0);
  ck_assert_double_eq_tol(r.lambda, 0.419, 0.01);
  r = run(x, n, ENG_LYAP_KANTZ, 2, 1, 1.0);
  ck_assert_double_eq_tol(r.lambda, 0.419, 0.01);
  free(x);
}
END_TEST

START_TEST(logistic)
{
  /* logistic r = 4: exactly ln 2 */
  size_t n = 10000;
  double *x = logistic_x(n);
  eng_lyap_result r = run(x, n, ENG_LYAP_ROSENSTEIN, 1, 1, 1.0);
  ck_assert_double_eq_tol(r.lambda, log(2.0), 0.005);
  r = run(x, n, ENG_LYAP_KANTZ, 1, 1, 1.0);
  ck_assert_double_eq_tol(r.lambda, log(2.0), 0.005);
  free(x);
}
END_TEST

START_TEST(lorenz)
{
  /* Lorenz (10, 28, 8/3) from x sampled at dt = 0.01: 0.906 per time unit;
   * the per-sample exponent must be divided by dt */
  size_t n = slow_build() ? 6000 : 10000;
  double *x = flow_x(0, 0.01, n);
  eng_lyap_result r = run(x, n, ENG_LYAP_ROSENSTEIN, 7, 10, 0.01);
  if (!slow_build())
    ck_assert_double_eq_tol(r.lambda_time, 0.906, 0.05);
  ck_assert_double_eq_tol(r.lambda, 0.01 * r.lambda_time, 1e-12);
  free(x);
}
END_TEST

START_TEST(rossler)
{
  /* Rossler (0.2, 0.2, 5.7) from x at dt = 0.1: 0.0714 per time unit */
  size_t n = slow_build() ? 6000 : 10000;
  double *x = flow_x(1, 0.1, n);
  eng_lyap_result r = run(x, n, ENG_LYAP_ROSENSTEIN, 4, 15, 0.1);
  if (!slow_build())
    ck_assert_double_eq_tol(r.lambda_time, 0.0714, 0.015);
  r = run(x, n, ENG_LYAP_KANTZ, 4, 15, 0.1);
  if (!slow_build())
    ck_assert_double_eq_tol(r.lambda_time, 0.0714, 0.015);
  free(x);
}
END_TEST

START_TEST(scale_free_and_fit)
{
  size_t n = 5000;
  double *x = henon_x(n), *y = malloc(n * sizeof *y);
  for (size_t i = 0; i < n; i++)
    y[i] = 1000.0 * x[i] + 42.0;
  eng_lyap_opts o;
  eng_lyap_opts_init(&o);
  double c1[64], c2[64];
  eng_lyap_result a, b;
  ck_assert_int_eq(eng_lyapunov(x, n, &o, c1, 64, &a), 0);
  ck_assert_int_eq(eng_lyapunov(y, n, &o, c2, 64, &b), 0);
  ck_assert_double_eq_tol(a.lambda, b.lambda, 1e-9);
  /* the curve is in the series' units: shifted by ln 1000 */
  ck_assert_double_eq_tol(c2[3] - c1[3], log(1000.0), 1e-9);
  /* a given fit range is used as given and matches a direct fit */
  o.fit_lo = 1;
  o.fit_hi = 6;
  ck_assert_int_eq(eng_lyapunov(x, n, &o, c1, 64, &a), 0);
  ck_assert_uint_eq(a.fit_lo, 1);
  ck_assert_uint_eq(a.fit_hi, 6);
  double s;
  ck_assert_int_eq(eng_lyap_fit(c1, 1, 6, &s, NULL, NULL), 0);
  ck_assert_double_eq_tol(s, a.lambda, 1e-12);
  /* fit of a straight line is exact */
  double line[10];
  for (int k = 0; k < 10; k++)
    line[k] = 2.5 + 0.3 * k;
  double r2, ic;
  ck_assert_int_eq(eng_lyap_fit(line, 2, 8, &s, &ic, &r2), 0);
  ck_assert_double_eq_tol(s, 0.3, 1e-12);
  ck_assert_double_eq_tol(ic, 2.5, 1e-12);
  ck_assert_double_eq_tol(r2, 1.0, 1e-12);
  free(x);
  free(y);
}
END_TEST

START_TEST(plan_blocks_any_order)
{
  /* blocks summed in block order: running them in reverse gives the same bits */
  size_t n = 4000;
  double *x = henon_x(n);
  eng_lyap_opts o;
  eng_lyap_opts_init(&o);
  o.method = ENG_LYAP_KANTZ;
  eng_lyap_plan *p;
  eng_lyap_result a, b;
  ck_assert_int_eq(eng_lyapunov(x, n, &o, NULL, 0, &a), 0);
  ck_assert_int_eq(eng_lyap_plan_create(&p, x, n, &o), 0);
  ck_assert_int_eq(eng_lyap_plan_finish(p, NULL, 0, &b), ENG_EINVAL); /* nothing run */
  for (unsigned k = eng_lyap_plan_blocks(p); k-- > 0;)
    ck_assert_int_eq(eng_lyap_plan_run(p, k), 0);
  ck_assert_int_eq(eng_lyap_plan_run(p, eng_lyap_plan_blocks(p)), ENG_EINVAL);
  ck_assert_int_eq(eng_lyap_plan_finish(p, NULL, 0, &b), 0);
  ck_assert(a.lambda == b.lambda && a.ci_lo == b.ci_lo);
  eng_lyap_plan_destroy(p);
  eng_lyap_plan_destroy(NULL);
  free(x);
}
END_TEST

START_TEST(bad_input)
{
  size_t n = 2000;
  double *x = henon_x(n);
  eng_lyap_opts o;
  eng_lyap_opts_init(&o);
  eng_lyap_result r;
  x[100] = NAN;
  ck_assert_int_eq(eng_lyapunov(x, n, &o, NULL, 0, &r), ENG_ENAN);
  x[100] = INFINITY;
  ck_assert_int_eq(eng_lyapunov(x, n, &o, NULL, 0, &r), ENG_ENAN);
  x[100] = 0.5;
  ck_assert_int_eq(eng_lyapunov(x, 20, &o, NULL, 0, &r), ENG_ESHORT);
  ck_assert_int_eq(eng_lyapunov(x, 0, &o, NULL, 0, &r), ENG_ESHORT);
  o.m = 30;
  o.tau = 70; /* span 29 * 70 = 2030 > n */
  ck_assert_int_eq(eng_lyapunov(x, n, &o, NULL, 0, &r), ENG_ESHORT);
  eng_lyap_opts_init(&o);
  o.m = 0;
  ck_assert_int_eq(eng_lyapunov(x, n, &o, NULL, 0, &r), ENG_EINVAL);
  o.m = 2;
  o.tau = 0;
  ck_assert_int_eq(eng_lyapunov(x, n, &o, NULL, 0, &r), ENG_EINVAL);
  o.tau = 1;
  o.dt = 0.0;
  ck_assert_int_eq(eng_lyapunov(x, n, &o, NULL, 0, &r), ENG_EINVAL);
  o.dt = 1.0;
  o.fit_lo = 5;
  o.fit_hi = 3;
  ck_assert_int_eq(eng_lyapunov(x, n, &o, NULL, 0, &r), ENG_EINVAL);
  eng_lyap_opts_init(&o);
  for (size_t i = 0; i < n; i++)
    x[i] = 3.25;
  ck_assert_int_eq(eng_lyapunov(x, n, &o, NULL, 0, &r), ENG_ECONST);
  ck_assert_int_eq(eng_lyapunov(NULL, n, &o, NULL, 0, &r), ENG_EINVAL);
  ck_assert_int_eq(eng_lyapunov(x, n, &o, NULL, 0, NULL), ENG_EINVAL);
  free(x);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("lyapunov");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, henon);
  tcase_add_test(tc, logistic);
  tcase_add_test(tc, lorenz);
  tcase_add_test(tc, rossler);
  tcase_add_test(tc, scale_free_and_fit);
  tcase_add_test(tc, plan_blocks_any_order);
  tcase_add_test(tc, bad_input);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
