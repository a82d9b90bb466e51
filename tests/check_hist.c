/* check_hist.c: log-linear histogram buckets and percentiles against a sorted reference sample. */
#include <math.h>

#include "testutil.h"
#include "hist.h"

START_TEST(buckets_cover_values_without_gaps) {
  /* Every value maps into a bucket whose bounds contain it; consecutive
   * buckets tile the range; widths respect 2 significant digits. */
  ck_assert_uint_eq(eng__hist_lowest(0), 0);
  for (unsigned i = 0; i + 1 < ENG__HIST_BUCKETS; i++) {
    uint64_t lo = eng__hist_lowest(i), hi = eng__hist_highest(i);
    ck_assert_uint_le(lo, hi);
    ck_assert_uint_eq(hi + 1, eng__hist_lowest(i + 1));
    ck_assert_uint_eq(eng__hist_index(lo), i);
    ck_assert_uint_eq(eng__hist_index(hi), i);
    /* width / lowest <= 1/128 once past the linear part */
    if (lo >= 256) ck_assert_uint_le((hi - lo + 1) * 128, lo);
  }
  uint64_t seed = 1;
  for (int k = 0; k < 100000; k++) {
    uint64_t v = tu_rand(&seed) >> (tu_rand(&seed) % 64);
    unsigned i = eng__hist_index(v);
    ck_assert_uint_lt(i, ENG__HIST_BUCKETS);
    if (v < (1ull << (ENG__HIST_MAX_EXP + 1))) {
      ck_assert_uint_le(eng__hist_lowest(i), v);
      ck_assert_uint_ge(eng__hist_highest(i), v);
    } else {
      ck_assert_uint_eq(i, ENG__HIST_BUCKETS - 1);
    }
  }
  /* ns to seconds: 1 ns and 10 s are both represented exactly enough. */
  ck_assert_uint_eq(eng__hist_index(1), 1);
  uint64_t ten_s = 10000000000ull;
  ck_assert_uint_le(eng__hist_highest(eng__hist_index(ten_s)) - ten_s, ten_s / 128);
}
END_TEST

static void check_against_reference(uint64_t *vals, size_t n) {
  static eng__hist h;
  memset(&h, 0, sizeof h);
  for (size_t i = 0; i < n; i++) eng__hist_record(&h, vals[i]);
  static eng__hist_snap snap;
  memset(&snap, 0, sizeof snap);
  eng__hist_merge(&snap, &h);
  ck_assert_uint_eq(snap.count, n);
  qsort(vals, n, sizeof *vals, tu_cmp_u64);
  const double qs[] = {0.0, 0.01, 0.25, 0.5, 0.9, 0.99, 0.999, 1.0};
  for (size_t k = 0; k < sizeof qs / sizeof *qs; k++) {
    size_t rank = (size_t)ceil(qs[k] * (double)n);
    if (rank < 1) rank = 1;
    uint64_t ref = vals[rank - 1];
    uint64_t got = eng__hist_quantile(&snap, qs[k]);
    /* Within the bucket precision: never below the true value, above it by
     * at most 1/128 of it (values < 256 are exact). */
    ck_assert_uint_ge(got, ref);
    ck_assert_uint_le(got - ref, ref / 128);
  }
  eng_latency l;
  eng__hist_summary(&snap, &l);
  ck_assert_uint_eq(l.count, n);
  ck_assert_uint_le(l.min_ns, vals[0]);
  ck_assert_uint_ge(l.max_ns, vals[n - 1]);
  ck_assert_uint_le(vals[0] - l.min_ns, vals[0] / 128);
  ck_assert_uint_le(l.max_ns - vals[n - 1], vals[n - 1] / 128);
  long double sum = 0;
  for (size_t i = 0; i < n; i++) sum += vals[i];
  ck_assert_double_eq_tol(l.mean_ns, (double)(sum / n), 1e-6 * (double)(sum / n) + 1e-9);
}

START_TEST(percentiles_match_sorted_reference) {
  enum { N = 100000 };
  static uint64_t v[N];
  uint64_t seed = 99;
  /* Log-uniform from 1 ns to ~100 s. */
  for (size_t i = 0; i < N; i++) v[i] = (uint64_t)exp((double)(tu_rand(&seed) % 1000000) / 1000000.0 * 25.3) ;
  check_against_reference(v, N);
  /* A narrow latency-like distribution around 2 us with a tail. */
  for (size_t i = 0; i < N; i++) {
    uint64_t r = tu_rand(&seed);
    v[i] = 2000 + r % 300 + (r % 1000 == 0 ? 500000 : 0);
  }
  check_against_reference(v, N);
  /* Tiny samples. */
  v[0] = 12345;
  check_against_reference(v, 1);
  v[0] = 5;
  v[1] = 7;
  check_against_reference(v, 2);
}
END_TEST

START_TEST(subtract_baseline) {
  static eng__hist h;
  memset(&h, 0, sizeof h);
  for (uint64_t i = 1; i <= 1000; i++) eng__hist_record(&h, i * 1000);
  static eng__hist_snap base, now;
  memset(&base, 0, sizeof base);
  eng__hist_merge(&base, &h);
  for (uint64_t i = 1; i <= 10; i++) eng__hist_record(&h, 7);
  memset(&now, 0, sizeof now);
  eng__hist_merge(&now, &h);
  eng__hist_sub(&now, &base);
  ck_assert_uint_eq(now.count, 10);
  ck_assert_uint_eq(now.sum, 70);
  ck_assert_uint_eq(eng__hist_quantile(&now, 0.5), 7);
  ck_assert_uint_eq(eng__hist_quantile(&now, 1.0), 7);
  eng_latency l;
  memset(&now, 0, sizeof now);
  eng__hist_summary(&now, &l);
  ck_assert_uint_eq(l.count, 0);
  ck_assert_uint_eq(l.max_ns, 0);
}
END_TEST

int main(void) {
  Suite *s = suite_create("hist");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, buckets_cover_values_without_gaps);
  tcase_add_test(tc, percentiles_match_sorted_reference);
  tcase_add_test(tc, subtract_baseline);
  suite_add_tcase(s, tc);
  SRunner *r = srunner_create(s);
  srunner_run_all(r, CK_NORMAL);
  int failed = srunner_ntests_failed(r);
  srunner_free(r);
  return failed ? 1 : 0;
}
