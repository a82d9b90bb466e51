/* check_sax.c: normal quantiles, SAX breakpoints (Lin et al. 2003 table), PAA and SAX words. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/sequence.h"

static uint64_t rng_state = 0xD1B54A32D192ED03ull;
static double urand(void)
{
  uint64_t x = rng_state;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  rng_state = x;
  return (double)(x >> 11) / 9007199254740992.0;
}

/* Standard normal CDF from libm's erfc: independent of the quantile code. */
static double phi(double x) { return 0.5 * erfc(-x / sqrt(2.0)); }

START_TEST(test_ppf)
{
  ck_assert_double_eq_tol(eng_norm_ppf(0.5), 0.0, 1e-15);
  ck_assert_double_eq_tol(eng_norm_ppf(0.975), 1.959963984540054, 1e-12);
  ck_assert_double_eq_tol(eng_norm_ppf(0.025), -1.959963984540054, 1e-12);
  ck_assert_double_eq_tol(eng_norm_ppf(0.8413447460685429), 1.0, 1e-11);
  ck_assert(isinf(eng_norm_ppf(0.0)) && eng_norm_ppf(0.0) < 0);
  ck_assert(isinf(eng_norm_ppf(1.0)) && eng_norm_ppf(1.0) > 0);
  ck_assert(isnan(eng_norm_ppf(1.5)));
  ck_assert(isnan(eng_norm_ppf(NAN)));
  for (int i = 1; i < 2000; i++) {
    double p = i / 2000.0;
    ck_assert_double_eq_tol(phi(eng_norm_ppf(p)), p, 1e-14);
  }
  for (int e = 3; e <= 14; e++) {
    double p = pow(10.0, -e);
    ck_assert_double_eq_tol(phi(eng_norm_ppf(p)) / p, 1.0, 1e-9);
  }
}
END_TEST

START_TEST(test_breakpoints_table)
{
  /* Lin, Keogh, Lonardi, Chiu (2003), Table 3, values to two decimals. */
  static const double t3[] = {-0.43, 0.43};
  static const double t4[] = {-0.67, 0.0, 0.67};
  static const double t5[] = {-0.84, -0.25, 0.25, 0.84};
  static const double t6[] = {-0.97, -0.43, 0.0, 0.43, 0.97};
  static const double t8[] = {-1.15, -0.67, -0.32, 0.0, 0.32, 0.67, 1.15};
  static const double t10[] = {-1.28, -0.84, -0.52, -0.25, 0.0, 0.25, 0.52, 0.84, 1.28};
  const double *tab[] = {t3, t4, t5, t6, t8, t10};
  unsigned al[] = {3, 4, 5, 6, 8, 10};
  double bp[ENG_SAX_MAX_ALPHABET];
  for (int q = 0; q < 6; q++) {
    ck_assert_int_eq(eng_sax_breakpoints(al[q], bp), 0);
    for (unsigned k = 0; k + 1 < al[q]; k++)
      ck_assert_double_eq_tol(bp[k], tab[q][k], 0.005);
  }
  ck_assert_int_eq(eng_sax_breakpoints(2, bp), 0);
  ck_assert_double_eq(bp[0], 0.0);
  ck_assert_int_eq(eng_sax_breakpoints(20, bp), 0);
  for (unsigned k = 0; k < 19; k++) {
    ck_assert_double_eq_tol(phi(bp[k]), (k + 1) / 20.0, 1e-13);
    if (k)
      ck_assert(bp[k] > bp[k - 1]);
  }
  ck_assert_int_eq(eng_sax_breakpoints(1, bp), ENG_EINVAL);
  ck_assert_int_eq(eng_sax_breakpoints(ENG_SAX_MAX_ALPHABET + 1, bp), ENG_EINVAL);
  ck_assert_int_eq(eng_sax_breakpoints(4, NULL), ENG_EINVAL);
}
END_TEST

START_TEST(test_paa)
{
  double x[6] = {1, 2, 3, 4, 5, 6}, out[6];
  ck_assert_int_eq(eng_paa(x, 6, 3, out), 0);
  ck_assert_double_eq_tol(out[0], 1.5, 1e-15);
  ck_assert_double_eq_tol(out[1], 3.5, 1e-15);
  ck_assert_double_eq_tol(out[2], 5.5, 1e-15);
  /* w = 4 does not divide 6: segments of 1.5 points, shared points split. */
  ck_assert_int_eq(eng_paa(x, 6, 4, out), 0);
  ck_assert_double_eq_tol(out[0], 2.0 / 1.5, 1e-14);
  ck_assert_double_eq_tol(out[1], 4.0 / 1.5, 1e-14);
  ck_assert_double_eq_tol(out[2], 6.5 / 1.5, 1e-14);
  ck_assert_double_eq_tol(out[3], 8.5 / 1.5, 1e-14);
  ck_assert_int_eq(eng_paa(x, 6, 1, out), 0);
  ck_assert_double_eq_tol(out[0], 3.5, 1e-15);
  ck_assert_int_eq(eng_paa(x, 6, 6, out), 0);
  ck_assert_double_eq(out[5], 6.0);
  ck_assert_int_eq(eng_paa(x, 6, 7, out), ENG_EINVAL);
  ck_assert_int_eq(eng_paa(x, 6, 0, out), ENG_EINVAL);
  x[2] = NAN;
  ck_assert_int_eq(eng_paa(x, 6, 3, out), ENG_ENAN);
}
END_TEST

START_TEST(test_sax_words)
{
  double ramp[8] = {0, 1, 2, 3, 4, 5, 6, 7};
  unsigned char w[8];
  eng_sax_opts o;
  eng_sax_opts_init(&o);
  o.segments = 4;
  o.alphabet = 4;
  /* PAA 0.5 2.5 4.5 6.5, z = (v - 3.5) / sqrt(5.25) = -1.31 -0.44 0.44 1.31. */
  ck_assert_int_eq(eng_sax(ramp, 8, &o, NULL, w), 0);
  ck_assert_int_eq(w[0], 0);
  ck_assert_int_eq(w[1], 1);
  ck_assert_int_eq(w[2], 2);
  ck_assert_int_eq(w[3], 3);
  o.alphabet = 3; /* breakpoints +-0.43: -0.44 and 0.44 fall just outside */
  ck_assert_int_eq(eng_sax(ramp, 8, &o, NULL, w), 0);
  ck_assert(w[0] == 0 && w[1] == 0 && w[2] == 2 && w[3] == 2);
  /* A constant series normalises to zeros: the symbol just above the middle breakpoint. */
  double c[5] = {3, 3, 3, 3, 3};
  o.segments = 0;
  o.alphabet = 4;
  ck_assert_int_eq(eng_sax(c, 5, &o, NULL, w), 0);
  for (int i = 0; i < 5; i++)
    ck_assert_int_eq(w[i], 2);
  /* Bad arguments. */
  ck_assert_int_eq(eng_sax(NULL, 5, &o, NULL, w), ENG_EINVAL);
  ck_assert_int_eq(eng_sax(c, 0, &o, NULL, w), ENG_EINVAL);
  o.alphabet = 1;
  ck_assert_int_eq(eng_sax(c, 5, &o, NULL, w), ENG_EINVAL);
  o.alphabet = 4;
  o.segments = 6;
  ck_assert_int_eq(eng_sax(c, 5, &o, NULL, w), ENG_EINVAL);
  o.segments = 2;
  c[1] = INFINITY;
  ck_assert_int_eq(eng_sax(c, 5, &o, NULL, w), ENG_ENAN);
  o.method = (eng_sax_method)9;
  c[1] = 3;
  ck_assert_int_eq(eng_sax(c, 5, &o, NULL, w), ENG_EINVAL);
}
END_TEST

/* Equal-frequency quantisation gives each symbol w / alphabet segments; Gaussian
 * SAX of normal noise gives roughly equal counts too. */
START_TEST(test_quantile_and_gaussian_counts)
{
  enum { N = 4000, W = 400 };
  static double x[N];
  unsigned char out[W];
  for (int i = 0; i < N; i++)
    x[i] = urand() * 10.0 + sin(i * 0.01);
  eng_seq_ws *ws;
  ck_assert_int_eq(eng_seq_ws_create(&ws), 0);
  eng_sax_opts o;
  eng_sax_opts_init(&o);
  o.segments = W;
  o.alphabet = 8;
  o.method = ENG_SAX_QUANTILE;
  ck_assert_int_eq(eng_sax(x, N, &o, ws, out), 0);
  int cnt[8] = {0};
  for (int i = 0; i < W; i++) {
    ck_assert_int_lt(out[i], 8);
    cnt[out[i]]++;
  }
  for (int k = 0; k < 8; k++)
    ck_assert_int_eq(cnt[k], W / 8);
  /* Box-Muller normal noise, no reduction: Gaussian breakpoints split it evenly. */
  for (int i = 0; i + 1 < N; i += 2) {
    double u1 = urand() + 1e-300, u2 = urand();
    x[i] = sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
    x[i + 1] = sqrt(-2 * log(u1)) * sin(2 * M_PI * u2);
  }
  unsigned char *full = malloc(N);
  o.segments = 0;
  o.alphabet = 5;
  o.method = ENG_SAX_GAUSSIAN;
  ck_assert_int_eq(eng_sax(x, N, &o, ws, full), 0);
  int c5[5] = {0};
  for (int i = 0; i < N; i++)
    c5[full[i]]++;
  for (int k = 0; k < 5; k++)
    ck_assert_msg(abs(c5[k] - N / 5) < 120, "symbol %d count %d", k, c5[k]);
  free(full);
  eng_seq_ws_destroy(ws);
}
END_TEST

/* SAX words compare with the sequence kernels: a shifted copy is close. */
START_TEST(test_sax_then_edit)
{
  enum { N = 512 };
  double a[N], b[N];
  for (int i = 0; i < N; i++) {
    a[i] = sin(i * 0.05);
    b[i] = 3.0 * sin(i * 0.05) + 10.0; /* same shape after z-normalisation */
  }
  unsigned char sa[32], sb[32];
  eng_sax_opts o;
  eng_sax_opts_init(&o);
  o.segments = 32;
  o.alphabet = 6;
  ck_assert_int_eq(eng_sax(a, N, &o, NULL, sa), 0);
  ck_assert_int_eq(eng_sax(b, N, &o, NULL, sb), 0);
  size_t d;
  ck_assert_int_eq(eng_levenshtein(sa, 32, sb, 32, &d), 0);
  ck_assert_uint_eq(d, 0);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("sax");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_ppf);
  tcase_add_test(tc, test_breakpoints_table);
  tcase_add_test(tc, test_paa);
  tcase_add_test(tc, test_sax_words);
  tcase_add_test(tc, test_quantile_and_gaussian_counts);
  tcase_add_test(tc, test_sax_then_edit);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
