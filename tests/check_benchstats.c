/* check_benchstats.c: the benchmark runner's statistics against values computed by hand. */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include "stats.h"

START_TEST(test_median) {
  double odd[] = {3, 1, 2}, even[] = {4, 1, 3, 2};
  ck_assert_double_eq(bench_median(odd, 3), 2.0);
  ck_assert_double_eq(bench_median(even, 4), 2.5);
  ck_assert_double_eq(bench_median(odd, 0), 0.0);
  /* the input is left as it was */
  ck_assert_double_eq(odd[0], 3.0);
}
END_TEST

START_TEST(test_percentile) {
  double s[] = {1, 2, 3, 4, 5};
  /* h = (n-1)p; p90 -> h = 3.6 -> 4 + 0.6 * (5 - 4) */
  ck_assert_double_eq_tol(bench_percentile_sorted(s, 5, 90), 4.6, 1e-12);
  ck_assert_double_eq_tol(bench_percentile_sorted(s, 5, 25), 2.0, 1e-12);
  ck_assert_double_eq(bench_percentile_sorted(s, 5, 0), 1.0);
  ck_assert_double_eq(bench_percentile_sorted(s, 5, 100), 5.0);
  uint64_t v[] = {50, 10, 40, 20, 30};
  /* sorted 10..50; p50 -> h = 2 -> 30; p99.9 -> h = 3.996 -> 40 + 0.996 * 10 */
  ck_assert_double_eq_tol(bench_percentile_u64(v, 5, 50), 30.0, 1e-12);
  ck_assert_double_eq_tol(bench_percentile_u64(v, 5, 99.9), 49.96, 1e-9);
  ck_assert_uint_eq(v[0], 10); /* sorted in place */
}
END_TEST

START_TEST(test_cv) {
  double x[] = {2, 4, 4, 4, 5, 5, 7, 9};
  /* mean 5, squared deviations sum 32, sample variance 32/7 */
  ck_assert_double_eq_tol(bench_cv(x, 8), sqrt(32.0 / 7.0) / 5.0, 1e-12);
  ck_assert_double_eq(bench_cv(x, 1), 0.0);
}
END_TEST

START_TEST(test_median_of_means) {
  double x[] = {1, 2, 3, 4, 100, 6, 7, 8, 9};
  /* groups (1,2,3) (4,100,6) (7,8,9): means 2, 36.67, 8 -> median 8 */
  ck_assert_double_eq_tol(bench_median_of_means(x, 9, 3), 8.0, 1e-12);
  /* k = 1: the plain mean 140/9 */
  ck_assert_double_eq_tol(bench_median_of_means(x, 9, 1), 140.0 / 9.0, 1e-12);
  /* uneven: k = 2 of 9 -> (1..4) mean 2.5 and (100,6,7,8,9) mean 26 -> median 14.25 */
  ck_assert_double_eq_tol(bench_median_of_means(x, 9, 2), 14.25, 1e-12);
}
END_TEST

START_TEST(test_summary) {
  double x[] = {10, 12, 11, 13, 9};
  bench_summary s;
  bench_summarize(x, 5, &s);
  ck_assert_uint_eq(s.n, 5);
  ck_assert_double_eq(s.median, 11.0);
  ck_assert_double_eq(s.min, 9.0);
  ck_assert_double_eq(s.max, 13.0);
  ck_assert_double_eq_tol(s.mean, 11.0, 1e-12);
  /* deviations -1 1 0 2 -2: 10/4 */
  ck_assert_double_eq_tol(s.cv, sqrt(2.5) / 11.0, 1e-12);
  /* floor(sqrt 5) = 2 groups: (10,12) 11 and (11,13,9) 11 */
  ck_assert_double_eq_tol(s.median_of_means, 11.0, 1e-12);
  bench_summarize(x, 0, &s);
  ck_assert_uint_eq(s.n, 0);
  ck_assert_double_eq(s.median, 0.0);
}
END_TEST

START_TEST(test_paired) {
  double a[] = {10, 10, 10, 10}, b[] = {11, 9, 12, 10};
  bench_paired p;
  ck_assert_int_eq(bench_paired_deltas(a, b, 4, 1, &p), 0);
  /* deltas 0.1 -0.1 0.2 0 -> sorted -0.1 0 0.1 0.2 */
  ck_assert_uint_eq(p.n, 4);
  ck_assert_double_eq_tol(p.median_delta, 0.05, 1e-12);
  ck_assert_double_eq_tol(p.p10, -0.07, 1e-12);
  ck_assert_double_eq_tol(p.p90, 0.17, 1e-12);
  ck_assert_uint_eq(p.b_wins, 1);
  ck_assert_int_eq(bench_paired_deltas(a, b, 4, 0, &p), 0);
  ck_assert_uint_eq(p.b_wins, 2);
  ck_assert_int_eq(bench_paired_deltas(a, b, 0, 1, &p), -1);
}
END_TEST

static uint64_t *fill(size_t *n, uint64_t v1, size_t n1, uint64_t v2, size_t n2) {
  uint64_t *v = malloc((n1 + n2) * sizeof *v);
  for (size_t i = 0; i < n1; i++) v[i] = v1;
  for (size_t i = 0; i < n2; i++) v[n1 + i] = v2;
  *n = n1 + n2;
  return v;
}

START_TEST(test_modes) {
  size_t n;
  double m[4];
  /* 120 ns and 530 ns at 20 bins per decade: bins 41 and 54, reported at the
   * geometric bin centres 10^(41.5/20) = 118.85 and 10^(54.5/20) = 530.88. */
  uint64_t *v = fill(&n, 120, 1000, 530, 1000);
  ck_assert_uint_eq(bench_modes(v, n, 20, 0.05, m, 4), 2);
  ck_assert_double_eq_tol(m[0], pow(10, 41.5 / 20), 1e-9);
  ck_assert_double_eq_tol(m[1], pow(10, 54.5 / 20), 1e-9);
  free(v);
  /* 120 and 125 share a hill: one mode */
  v = fill(&n, 120, 1000, 125, 500);
  ck_assert_uint_eq(bench_modes(v, n, 20, 0.05, m, 4), 1);
  free(v);
  /* a far cluster with under 5% of the samples is a tail, not a mode */
  v = fill(&n, 120, 1000, 5000, 10);
  ck_assert_uint_eq(bench_modes(v, n, 20, 0.05, m, 4), 1);
  ck_assert_double_eq_tol(m[0], pow(10, 41.5 / 20), 1e-9);
  free(v);
  ck_assert_uint_eq(bench_modes(NULL, 0, 20, 0.05, m, 4), 0);
}
END_TEST

START_TEST(test_ratio) {
  double r;
  ck_assert_int_eq(bench_ratio(300, 1, 150, 1, &r), BENCH_RATIO_OK);
  ck_assert_double_eq_tol(r, 2.0, 1e-12);
  /* a small but real ratio is kept: 2 ns over 1000 ns */
  ck_assert_int_eq(bench_ratio(2, 1, 1000, 1, &r), BENCH_RATIO_OK);
  ck_assert_double_eq_tol(r, 0.002, 1e-15);
  /* a p50 of 1 ns with a 1 ns clock floor is zero readings: no x0.00 */
  ck_assert_int_eq(bench_ratio(1, 1, 2e6, 1, &r), BENCH_RATIO_DEGENERATE);
  ck_assert(isnan(r));
  /* a base at the floor: no x inf */
  ck_assert_int_eq(bench_ratio(500, 1, 0.5, 1, &r), BENCH_RATIO_BASE_DEGENERATE);
  ck_assert(isnan(r));
  ck_assert_int_eq(bench_ratio(500, 0, 0, 0, &r), BENCH_RATIO_BASE_DEGENERATE);
  /* ns/op rows have floor 0: 0.4 ns/op is a figure, 0 is not */
  ck_assert_int_eq(bench_ratio(0.4, 0, 0.2, 0, &r), BENCH_RATIO_OK);
  ck_assert_double_eq_tol(r, 2.0, 1e-12);
  ck_assert_int_eq(bench_ratio(0, 0, 0.2, 0, &r), BENCH_RATIO_DEGENERATE);
  ck_assert_int_eq(bench_ratio(NAN, 0, 1, 0, &r), BENCH_RATIO_NO_FIGURE);
  ck_assert_int_eq(bench_ratio(1, 0, INFINITY, 0, &r), BENCH_RATIO_NO_FIGURE);
}
END_TEST

int main(void) {
  Suite *s = suite_create("benchstats");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_median);
  tcase_add_test(tc, test_percentile);
  tcase_add_test(tc, test_cv);
  tcase_add_test(tc, test_median_of_means);
  tcase_add_test(tc, test_summary);
  tcase_add_test(tc, test_paired);
  tcase_add_test(tc, test_modes);
  tcase_add_test(tc, test_ratio);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
