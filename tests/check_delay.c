/* check_delay.c: delay from the autocorrelation and from the average mutual information. */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include "engine/dynamics.h"

START_TEST(acf_sine)
{
  /* cos-shaped autocorrelation of a sine: first zero at P/4, below 1/e at
   * P acos(1/e) / (2 pi); checked within one sample for several periods. */
  size_t n = 4000;
  double *x = malloc(n * sizeof *x), acf[101];
  for (int P = 20; P <= 64; P += 11) {
    for (size_t i = 0; i < n; i++) x[i] = sin(2 * M_PI * (double)i / P + 0.3);
    unsigned tau;
    ck_assert_int_eq(eng_delay_acf(x, n, 100, ENG_ACF_ZERO, acf, &tau), 0);
    ck_assert_double_eq(acf[0], 1.0);
    ck_assert_int_le(abs((int)tau - (int)lround(P / 4.0)), 1);
    ck_assert_int_eq(eng_delay_acf(x, n, 100, ENG_ACF_1E, NULL, &tau), 0);
    ck_assert_int_le(abs((int)tau - (int)ceil(P * acos(exp(-1.0)) / (2 * M_PI))), 1);
  }
  free(x);
}
END_TEST

START_TEST(acf_by_hand)
{
  double x[5] = {1, 2, 3, 4, 5}, acf[4];
  unsigned tau;
  /* mean 3, deviations -2..2, c0 = 10; c1 = (-2)(-1)+(-1)(0)+0(1)+1(2) = 4; c2 = -2*1 + -1*... */
  ck_assert_int_eq(eng_delay_acf(x, 5, 3, ENG_ACF_ZERO, acf, &tau), 0);
  ck_assert_double_eq_tol(acf[1], 0.4, 1e-15);
  ck_assert_double_eq_tol(acf[2], (-2.0 * 0 + -1.0 * 1 + 0 * 2) / 10.0, 1e-15);
  ck_assert_uint_eq(tau, 2);
  /* No zero within max_lag on a long ramp: ERANGE, tau = max_lag. */
  double r[100];
  for (int i = 0; i < 100; i++) r[i] = i;
  ck_assert_int_eq(eng_delay_acf(r, 100, 5, ENG_ACF_ZERO, NULL, &tau), ENG_ERANGE);
  ck_assert_uint_eq(tau, 5);
}
END_TEST

START_TEST(ami_lorenz)
{
  /* Lorenz x sampled at dt = 0.01: the first minimum of the mutual information
   * lies near 0.1-0.2 time units (Abarbanel et al., Rev. Mod. Phys. 65, 1993:
   * T = 10 samples at 0.01; Fraser & Swinney 1986 report a similar lag for
   * their flows), i.e. 10-20 samples. */
  eng_system s;
  size_t n = 20000;
  double *x = malloc(n * sizeof *x), ami[61];
  eng_system_init(&s, ENG_SYS_LORENZ);
  ck_assert_int_eq(eng_system_generate(&s, n, 1, NULL, x), 0);
  unsigned tau;
  ck_assert_int_eq(eng_delay_ami(x, n, 60, 0, ami, &tau, NULL), 0);
  ck_assert_int_ge(tau, 10);
  ck_assert_int_le(tau, 20);
  ck_assert(ami[tau] < ami[tau - 1] && ami[tau] <= ami[tau + 1]);
  /* I(0) is the entropy of the binned series: at most ln(bins). */
  ck_assert(ami[0] > ami[1] && ami[0] <= log(64.0));
  /* Caller workspace gives the same answer. */
  void *w = malloc(eng_delay_ami_work_size(n, 16));
  unsigned t2, t3;
  ck_assert_int_eq(eng_delay_ami(x, n, 60, 16, NULL, &t2, w), 0);
  ck_assert_int_eq(eng_delay_ami(x, n, 60, 16, NULL, &t3, NULL), 0);
  ck_assert_uint_eq(t2, t3);
  free(w);
  free(x);
}
END_TEST

START_TEST(ami_by_hand)
{
  /* Alternating 0,1 in two bins: x_{i+k} is a function of x_i, so I(k) is the
   * entropy of the m = 64 - k leading samples: ln 2 for even m, the entropy of
   * ((m+1)/2m, (m-1)/2m) for odd m. I(1) < I(0) = I(2): first minimum at 1. */
  double x[64], ami[4];
  unsigned tau;
  for (int i = 0; i < 64; i++) x[i] = i & 1;
  ck_assert_int_eq(eng_delay_ami(x, 64, 3, 2, ami, &tau, NULL), 0);
  ck_assert_uint_eq(tau, 1);
  for (int k = 0; k < 4; k++) {
    double m = 64 - k, want = log(2.0);
    if (k & 1) {
      double p = (m + 1) / (2 * m), q = (m - 1) / (2 * m);
      want = -p * log(p) - q * log(q);
    }
    ck_assert_double_eq_tol(ami[k], want, 1e-12);
  }
}
END_TEST

START_TEST(errors)
{
  double x[10] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, c[10] = {3, 3, 3, 3, 3, 3, 3, 3, 3, 3};
  unsigned tau;
  ck_assert_int_eq(eng_delay_acf(x, 10, 0, ENG_ACF_ZERO, NULL, &tau), ENG_EINVAL);
  ck_assert_int_eq(eng_delay_acf(x, 10, 9, ENG_ACF_ZERO, NULL, &tau), ENG_ESHORT);
  ck_assert_int_eq(eng_delay_acf(x, 10, 2, (eng_acf_rule)5, NULL, &tau), ENG_EINVAL);
  ck_assert_int_eq(eng_delay_acf(c, 10, 2, ENG_ACF_ZERO, NULL, &tau), ENG_ECONST);
  ck_assert_int_eq(eng_delay_ami(c, 10, 2, 0, NULL, &tau, NULL), ENG_ECONST);
  ck_assert_int_eq(eng_delay_ami(x, 10, 0, 0, NULL, &tau, NULL), ENG_EINVAL);
  ck_assert_int_eq(eng_delay_ami(x, 3, 2, 0, NULL, &tau, NULL), ENG_ESHORT);
  ck_assert_int_eq(eng_delay_ami(NULL, 10, 2, 0, NULL, &tau, NULL), ENG_EINVAL);
  x[4] = NAN;
  ck_assert_int_eq(eng_delay_acf(x, 10, 2, ENG_ACF_ZERO, NULL, &tau), ENG_ENAN);
  ck_assert_int_eq(eng_delay_ami(x, 10, 2, 0, NULL, &tau, NULL), ENG_ENAN);
  x[4] = -INFINITY;
  ck_assert_int_eq(eng_delay_ami(x, 10, 2, 0, NULL, &tau, NULL), ENG_ENAN);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("delay");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, acf_sine);
  tcase_add_test(tc, acf_by_hand);
  tcase_add_test(tc, ami_lorenz);
  tcase_add_test(tc, ami_by_hand);
  tcase_add_test(tc, errors);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
