/* check_corrdim.c: correlation sums against brute force and the correlation dimension against published values. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "engine/attractor.h"

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

static void lorenz_rhs(const double *u, double *k)
{
  k[0] = 10.0 * (u[1] - u[0]);
  k[1] = u[0] * (28.0 - u[2]) - u[1];
  k[2] = u[0] * u[1] - 8.0 / 3.0 * u[2];
}

static double *lorenz_x(double dt, size_t n)
{
  double *x = malloc(n * sizeof *x), s[3] = {1, 1, 1};
  for (size_t i = 0; i < n + 5000; i++) {
    double k1[3], k2[3], k3[3], k4[3], t[3];
    lorenz_rhs(s, k1);
    for (int d = 0; d < 3; d++)
      t[d] = s[d] + 0.5 * dt * k1[d];
    lorenz_rhs(t, k2);
    for (int d = 0; d < 3; d++)
      t[d] = s[d] + 0.5 * dt * k2[d];
    lorenz_rhs(t, k3);
    for (int d = 0; d < 3; d++)
      t[d] = s[d] + dt * k3[d];
    lorenz_rhs(t, k4);
    for (int d = 0; d < 3; d++)
      s[d] += dt / 6.0 * (k1[d] + 2 * k2[d] + 2 * k3[d] + k4[d]);
    if (i >= 5000)
      x[i - 5000] = s[0];
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

START_TEST(sums_equal_brute_force)
{
  /* C_m(r) * npairs must equal the O(n^2) count of pairs (i < j, j - i > w)
   * with max-norm distance < r, for every reported radius and dimension */
  size_t n = 500;
  double *x = henon_x(n);
  eng_corrdim_opts o;
  eng_corrdim_opts_init(&o);
  o.m_min = 1;
  o.m_max = 4;
  o.tau = 2;
  o.theiler = 3;
  o.octaves = 6;
  o.blocks = 3;
  size_t nr = eng_corrdim_nradii(&o);
  ck_assert_uint_eq(nr, 6 * ENG_CORRDIM_SUB + 1);
  double *rad = malloc(nr * sizeof *rad), *lc = malloc(4 * nr * sizeof *lc);
  eng_corrdim_result r;
  int rc = eng_corrdim(x, n, &o, rad, lc, NULL, &r);
  ck_assert(rc == 0 || rc == ENG_ERANGE);
  size_t rows = n - 3 * 2;
  uint64_t np = 0;
  for (size_t i = 0; i < rows; i++)
    for (size_t j = i + 4; j < rows; j++)
      np++;
  for (size_t k = 1; k < nr; k++)
    ck_assert(rad[k] > rad[k - 1]);
  for (unsigned m = 1; m <= 4; m++)
    for (size_t k = 0; k < nr; k += 5) {
      uint64_t c = 0;
      for (size_t i = 0; i < rows; i++)
        for (size_t j = i + 4; j < rows; j++) {
          double d = 0;
          for (unsigned a = 0; a < m; a++) {
            double v = fabs(x[i + 2 * a] - x[j + 2 * a]);
            d = v > d ? v : d;
          }
          c += d < rad[k];
        }
      double got = lc[(m - 1) * nr + k];
      if (c == 0)
        ck_assert(isinf(got) && got < 0);
      else
        ck_assert_double_eq_tol(exp(got) * (double)np, (double)c, 1e-6 * (double)c);
    }
  free(rad);
  free(lc);
  free(x);
}
END_TEST

/* Exact integer pair counts of the plan against an O(n^2 m) count over the
 * same reported radii, for every radius and dimension, through the scalar
 * and the vector scan (they must agree bit for bit). */
static void check_counts(const double *x, size_t n, unsigned m0, unsigned m1, unsigned tau,
                         size_t w, double r_max, unsigned blocks)
{
  for (int scalar = 0; scalar <= 1; scalar++) {
    eng_corrdim_opts o;
    eng_corrdim_opts_init(&o);
    o.m_min = m0;
    o.m_max = m1;
    o.tau = tau;
    o.theiler = w;
    o.octaves = 5;
    o.r_max = r_max;
    o.blocks = blocks;
    o.scalar = scalar;
    size_t nr = eng_corrdim_nradii(&o), nm = m1 - m0 + 1;
    double *rad = malloc(nr * sizeof *rad), *lc = malloc(nm * nr * sizeof *lc);
    eng_corrdim_result r;
    int rc = eng_corrdim(x, n, &o, rad, lc, NULL, &r);
    ck_assert(rc == 0 || rc == ENG_ERANGE);
    size_t rows = n - (size_t)(m1 - 1) * tau;
    uint64_t np = 0;
    for (size_t i = 0; i < rows; i++)
      np += i + w + 1 < rows ? rows - i - w - 1 : 0;
    /* per pair and dimension, the number of radii it lies below, as counts */
    uint64_t *want = calloc(nm * nr, sizeof *want);
    for (size_t i = 0; i < rows; i++)
      for (size_t j = i + w + 1; j < rows; j++) {
        double d = 0;
        for (unsigned a = 0; a < m1; a++) {
          double v = fabs(x[i + a * tau] - x[j + a * tau]);
          d = v > d ? v : d;
          if (a + 1 >= m0)
            for (size_t k = nr; k-- > 0 && d < rad[k];)
              want[(a + 1 - m0) * nr + k]++;
        }
      }
    for (size_t mi = 0; mi < nm; mi++)
      for (size_t k = 0; k < nr; k++) {
        double got = lc[mi * nr + k];
        uint64_t c = want[mi * nr + k];
        if (c == 0)
          ck_assert_msg(isinf(got) && got < 0, "m %u k %zu: want 0", m0 + (unsigned)mi, k);
        else
          ck_assert_msg((uint64_t)llround(exp(got) * (double)np) == c,
                        "m %u k %zu scalar %d: got %.3f want %llu", m0 + (unsigned)mi, k, scalar,
                        exp(got) * (double)np, (unsigned long long)c);
      }
    free(want);
    free(rad);
    free(lc);
  }
}

START_TEST(sums_exact_every_path)
{
  size_t n = slow_build() ? 600 : 1500;
  double *h = henon_x(n), *l = lorenz_x(0.01, n);
  check_counts(h, n, 1, 5, 1, 0, 1.0, 4);   /* m = 1 by the sorted pointers */
  check_counts(h, n, 1, 1, 1, 7, 0.7, 3);   /* m = 1 alone */
  check_counts(h, n, 2, 2, 3, 2, 0.5, 1);   /* the pair scan alone */
  check_counts(h, n, 4, 7, 1, 5, 1.5, 5);   /* dimensions below m_min extended, not counted */
  check_counts(l, n, 1, 6, 10, 40, 0.5, 8); /* a flow: long windows, a wide Theiler window */
  check_counts(l, n, 3, 5, 4, 0, 2.0, 16);  /* more blocks than some windows */
  check_counts(l, n, 2, 4, 10, 20, 0.5, 3); /* m_min = 2: dimension 2 counted in the first pass */
  check_counts(h, n, 1, 2, 1, 0, 1.0, 2);   /* m = 1 and 2 both counted by the filter */
  free(h);
  free(l);
}
END_TEST

START_TEST(henon_d2)
{
  /* Henon: D2 = 1.22 (Grassberger & Procaccia 1983: 1.21 +- 0.01) */
  size_t n = slow_build() ? 5000 : 20000;
  double *x = henon_x(n);
  eng_corrdim_opts o;
  eng_corrdim_opts_init(&o);
  o.m_min = 2;
  o.m_max = 6;
  o.r_max = 0.5;
  double sl[5];
  eng_corrdim_result r;
  ck_assert_int_eq(eng_corrdim(x, n, &o, NULL, NULL, sl, &r), 0);
  if (!slow_build())
    ck_assert_double_eq_tol(r.d2, 1.22, 0.04);
  ck_assert(r.r_lo < r.r_hi);
  ck_assert_uint_lt(r.i_lo, r.i_hi);
  free(x);
}
END_TEST

START_TEST(lorenz_d2)
{
  /* Lorenz: D2 = 2.05 (Grassberger & Procaccia 1983: 2.05 +- 0.01) */
  size_t n = slow_build() ? 4000 : 10000;
  double *x = lorenz_x(0.01, n);
  eng_corrdim_opts o;
  eng_corrdim_opts_init(&o);
  o.m_min = 3;
  o.m_max = 10;
  o.tau = 10;
  o.r_max = 0.5;
  eng_corrdim_result r;
  ck_assert_int_eq(eng_corrdim(x, n, &o, NULL, NULL, NULL, &r), 0);
  if (!slow_build())
    ck_assert_double_eq_tol(r.d2, 2.05, 0.10);
  /* scale and offset change nothing but the radii's unit */
  double *y = malloc(n * sizeof *y);
  for (size_t i = 0; i < n; i++)
    y[i] = -1000.0 * x[i] + 5.0;
  eng_corrdim_result r2;
  ck_assert_int_eq(eng_corrdim(y, n, &o, NULL, NULL, NULL, &r2), 0);
  ck_assert_double_eq_tol(r.d2, r2.d2, 1e-9);
  ck_assert_double_eq_tol(r2.r_lo, 1000.0 * r.r_lo, 1e-6 * r2.r_lo);
  free(x);
  free(y);
}
END_TEST

START_TEST(bad_input)
{
  size_t n = 1000;
  double *x = henon_x(n);
  eng_corrdim_opts o;
  eng_corrdim_opts_init(&o);
  eng_corrdim_result r;
  x[7] = NAN;
  ck_assert_int_eq(eng_corrdim(x, n, &o, NULL, NULL, NULL, &r), ENG_ENAN);
  x[7] = -INFINITY;
  ck_assert_int_eq(eng_corrdim(x, n, &o, NULL, NULL, NULL, &r), ENG_ENAN);
  x[7] = 0.1;
  ck_assert_int_eq(eng_corrdim(x, 50, &o, NULL, NULL, NULL, &r), ENG_ESHORT);
  o.m_min = 0;
  ck_assert_int_eq(eng_corrdim(x, n, &o, NULL, NULL, NULL, &r), ENG_EINVAL);
  o.m_min = 1;
  o.tau = 0;
  ck_assert_int_eq(eng_corrdim(x, n, &o, NULL, NULL, NULL, &r), ENG_EINVAL);
  o.tau = 1;
  o.m_max = 0;
  ck_assert_int_eq(eng_corrdim(x, n, &o, NULL, NULL, NULL, &r), ENG_EINVAL);
  eng_corrdim_opts_init(&o);
  for (size_t i = 0; i < n; i++)
    x[i] = -2.0;
  ck_assert_int_eq(eng_corrdim(x, n, &o, NULL, NULL, NULL, &r), ENG_ECONST);
  free(x);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("corrdim");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, sums_equal_brute_force);
  tcase_add_test(tc, sums_exact_every_path);
  tcase_add_test(tc, henon_d2);
  tcase_add_test(tc, lorenz_d2);
  tcase_add_test(tc, bad_input);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
