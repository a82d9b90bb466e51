/* check_neighbors.c: k-d tree k-NN and radius queries against brute force, with a Theiler window. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "engine/attractor.h"

static uint64_t rng_s = 0x1234567;
static double urand(void)
{
  rng_s ^= rng_s << 13;
  rng_s ^= rng_s >> 7;
  rng_s ^= rng_s << 17;
  return (double)(rng_s >> 11) * 0x1.0p-53;
}

static double bdist(const double *a, const double *b, unsigned m, eng_norm norm)
{
  double acc = 0;
  for (unsigned c = 0; c < m; c++) {
    double d = fabs(a[c] - b[c]);
    if (norm == ENG_NORM_MAX)
      acc = d > acc ? d : acc;
    else
      acc += d * d;
  }
  return norm == ENG_NORM_MAX ? acc : sqrt(acc);
}

static int skip(size_t j, size_t self, size_t w)
{
  if (self == ENG_NO_SELF)
    return 0;
  size_t d = j > self ? j - self : self - j;
  return d <= w;
}

/* k nearest by brute force: (distance, index) order, exclusion applied. */
static size_t brute_knn(const double *pts, size_t n, unsigned m, eng_norm norm, const double *q,
                        size_t self, size_t w, size_t k, size_t *idx, double *dist)
{
  size_t found = 0;
  for (size_t j = 0; j < n; j++) {
    if (skip(j, self, w))
      continue;
    double d = bdist(pts + j * m, q, m, norm);
    size_t pos = found < k ? found++ : k;
    if (pos == k && !(d < dist[k - 1] || (d == dist[k - 1] && j < idx[k - 1])))
      continue;
    if (pos == k)
      pos = k - 1;
    while (pos > 0 && (dist[pos - 1] > d || (dist[pos - 1] == d && idx[pos - 1] > j))) {
      dist[pos] = dist[pos - 1];
      idx[pos] = idx[pos - 1];
      pos--;
    }
    dist[pos] = d;
    idx[pos] = j;
  }
  return found;
}

static void check_set(const double *pts, size_t n, unsigned m, eng_norm norm)
{
  eng_points p;
  ck_assert_int_eq(eng_points_rows(&p, pts, n, m), 0);
  eng_kdtree *t;
  ck_assert_int_eq(eng_kdtree_create(&t, &p, norm), 0);
  ck_assert_uint_eq(eng_kdtree_size(t), n);
  /* the last window is wider than the set: nothing may be found */
  size_t ws[4] = {0, 3, 17, n + 5};
  size_t idx[16], bidx[16], got;
  double dist[16], bd[16];
  for (size_t qi = 0; qi < n; qi += 7) {
    for (int wi = 0; wi < 4; wi++) {
      size_t self = wi == 0 && qi % 2 ? ENG_NO_SELF : qi;
      size_t k = 1 + qi % 9;
      ck_assert_int_eq(eng_kdtree_knn(t, pts + qi * m, self, ws[wi], k, idx, dist, &got), 0);
      size_t bf = brute_knn(pts, n, m, norm, pts + qi * m, self, ws[wi], k, bidx, bd);
      ck_assert_uint_eq(got, bf);
      for (size_t a = 0; a < got; a++) {
        ck_assert_uint_eq(idx[a], bidx[a]);
        ck_assert_double_eq_tol(dist[a], bd[a], 1e-12);
      }
      /* radius: exactly the points strictly closer than r */
      double r = 0.05 + 0.3 * urand();
      size_t cnt = 0, bc = 0;
      ck_assert_int_eq(eng_kdtree_count(t, pts + qi * m, self, ws[wi], r, &cnt), 0);
      size_t *list = malloc(n * sizeof *list), lf = 0;
      ck_assert_int_eq(eng_kdtree_radius(t, pts + qi * m, self, ws[wi], r, list, n, &lf), 0);
      unsigned char *seen = calloc(n, 1);
      for (size_t a = 0; a < lf; a++) {
        ck_assert(!seen[list[a]]);
        seen[list[a]] = 1;
      }
      /* one assertion for the whole scan: Check logs every assertion */
      size_t wrong = 0;
      for (size_t j = 0; j < n; j++) {
        int in = !skip(j, self, ws[wi]) && bdist(pts + j * m, pts + qi * m, m, norm) < r;
        bc += in;
        wrong += in != seen[j];
      }
      ck_assert_uint_eq(wrong, 0);
      ck_assert_uint_eq(cnt, bc);
      ck_assert_uint_eq(lf, bc);
      /* a short buffer still reports the total */
      ck_assert_int_eq(eng_kdtree_radius(t, pts + qi * m, self, ws[wi], r, list, 1, &lf), 0);
      ck_assert_uint_eq(lf, bc);
      free(seen);
      free(list);
    }
  }
  eng_kdtree_destroy(t);
}

START_TEST(random_sets)
{
  for (unsigned m = 1; m <= 5; m++) {
    size_t n = 300 + 97 * m;
    double *pts = malloc(n * m * sizeof *pts);
    for (size_t i = 0; i < n * m; i++)
      pts[i] = urand();
    check_set(pts, n, m, ENG_NORM_EUCLID);
    check_set(pts, n, m, ENG_NORM_MAX);
    free(pts);
  }
}
END_TEST

START_TEST(duplicates_and_ties)
{
  /* coordinates on a coarse grid: many equal points and equal distances, so
   * the (distance, index) tie rule and equal-key splits are exercised */
  unsigned m = 2;
  size_t n = 600;
  double *pts = malloc(n * m * sizeof *pts);
  for (size_t i = 0; i < n * m; i++)
    pts[i] = floor(urand() * 5.0) / 5.0;
  check_set(pts, n, m, ENG_NORM_EUCLID);
  check_set(pts, n, m, ENG_NORM_MAX);
  for (size_t i = 0; i < n * m; i++)
    pts[i] = 1.0; /* all identical */
  check_set(pts, n, m, ENG_NORM_MAX);
  free(pts);
}
END_TEST

START_TEST(edge_dimensions_and_sets)
{
  /* dimension 1 and 10 (leaves are coordinate-major blocks: every m must
   * index them right), sizes around the leaf size (a partial last leaf,
   * a single leaf, a single point), duplicates in 10 dimensions, and an
   * all-equal set under both norms */
  size_t sizes[5] = {1, 15, 16, 17, 333};
  unsigned dims[2] = {1, 10};
  for (int di = 0; di < 2; di++)
    for (int si = 0; si < 5; si++) {
      unsigned m = dims[di];
      size_t n = sizes[si];
      double *pts = malloc(n * m * sizeof *pts);
      for (size_t i = 0; i < n * m; i++)
        pts[i] = urand();
      check_set(pts, n, m, ENG_NORM_EUCLID);
      check_set(pts, n, m, ENG_NORM_MAX);
      /* every point repeated three times, on a coarse grid (ties) */
      for (size_t i = 0; i < n; i++)
        for (unsigned c = 0; c < m; c++)
          pts[i * m + c] = floor(pts[(i / 3) * m + c] * 4.0) / 4.0;
      check_set(pts, n, m, ENG_NORM_EUCLID);
      check_set(pts, n, m, ENG_NORM_MAX);
      for (size_t i = 0; i < n * m; i++)
        pts[i] = -2.5;
      check_set(pts, n, m, ENG_NORM_EUCLID);
      check_set(pts, n, m, ENG_NORM_MAX);
      free(pts);
    }
}
END_TEST

START_TEST(nan_points_terminate)
{
  /* the tree does not validate coordinates: NaN keys (even as the pivot of
   * every split) must still let create and the queries finish */
  size_t n = 200;
  double *pts = malloc(n * 2 * sizeof *pts);
  for (size_t i = 0; i < n * 2; i++)
    pts[i] = i % 3 ? NAN : urand();
  eng_points p;
  eng_points_rows(&p, pts, n, 2);
  eng_kdtree *t;
  ck_assert_int_eq(eng_kdtree_create(&t, &p, ENG_NORM_EUCLID), 0);
  size_t idx[4], got = 9, cnt = 9;
  double q[2] = {0.5, 0.5};
  ck_assert_int_eq(eng_kdtree_knn(t, q, ENG_NO_SELF, 0, 4, idx, NULL, &got), 0);
  ck_assert_uint_le(got, 4);
  ck_assert_int_eq(eng_kdtree_count(t, q, ENG_NO_SELF, 0, 0.5, &cnt), 0);
  ck_assert_uint_le(cnt, n);
  eng_kdtree_destroy(t);
  free(pts);
}
END_TEST

START_TEST(delay_view)
{
  /* the no-copy delay view: point i = (x[i], x[i+tau], x[i+2tau]) */
  double x[20];
  for (int i = 0; i < 20; i++)
    x[i] = i * i;
  eng_points p;
  ck_assert_int_eq(eng_points_delay(&p, x, 20, 3, 4), 0);
  ck_assert_uint_eq(p.n, 12);
  ck_assert_double_eq(eng_points_at(&p, 5, 0), 25.0);
  ck_assert_double_eq(eng_points_at(&p, 5, 2), 169.0);
  ck_assert_int_eq(eng_points_delay(&p, x, 8, 3, 4), ENG_ESHORT);
  ck_assert_int_eq(eng_points_delay(&p, x, 20, 0, 4), ENG_EINVAL);
  ck_assert_int_eq(eng_points_delay(&p, x, 20, 3, 0), ENG_EINVAL);
  ck_assert_int_eq(eng_points_delay(&p, x, 20, 3, 4), 0);
  eng_kdtree *t;
  ck_assert_int_eq(eng_kdtree_create(&t, &p, ENG_NORM_MAX), 0);
  size_t idx[2];
  double d[2];
  double q[3] = {25.0, 81.0, 169.0};
  ck_assert_int_eq(eng_kdtree_knn(t, q, ENG_NO_SELF, 0, 2, idx, d, NULL), 0);
  ck_assert_uint_eq(idx[0], 5);
  ck_assert_double_eq(d[0], 0.0);
  /* excluding 5 +- 1, the next nearest in max norm is point 3 or 7 by
   * hand: |9-25|,|49-81|,|121-169| = 48 vs |49-25|,|121-81|,|225-169| = 56 */
  ck_assert_int_eq(eng_kdtree_knn(t, q, 5, 1, 1, idx, d, NULL), 0);
  ck_assert_uint_eq(idx[0], 3);
  ck_assert_double_eq(d[0], 48.0);
  ck_assert_int_eq(eng_kdtree_knn(t, q, 5, 1, 0, idx, d, NULL), ENG_EINVAL);
  ck_assert_int_eq(eng_kdtree_create(NULL, &p, ENG_NORM_MAX), ENG_EINVAL);
  ck_assert_int_eq(eng_kdtree_create(&t, &p, (eng_norm)7), ENG_EINVAL);
  eng_kdtree_destroy(t);
  eng_kdtree_destroy(NULL);
}
END_TEST

START_TEST(large_not_quadratic)
{
  /* 10^5 points in 3 dimensions: every point's nearest neighbour must be
   * found far faster than the 5*10^9 pair checks of brute force would take;
   * checked on a sample against brute force. */
  size_t n = 100000;
  unsigned m = 3;
#if defined(__SANITIZE_ADDRESS__)
  n = 20000;
#endif
  double *pts = malloc(n * m * sizeof *pts);
  for (size_t i = 0; i < n * m; i++)
    pts[i] = urand();
  eng_points p;
  eng_points_rows(&p, pts, n, m);
  eng_kdtree *t;
  ck_assert_int_eq(eng_kdtree_create(&t, &p, ENG_NORM_EUCLID), 0);
  size_t idx, bidx;
  double d, bd;
  for (size_t i = 0; i < n; i++)
    ck_assert_int_eq(eng_kdtree_knn(t, pts + i * m, i, 0, 1, &idx, &d, NULL), 0);
  for (size_t i = 0; i < n; i += n / 50) {
    eng_kdtree_knn(t, pts + i * m, i, 0, 1, &idx, &d, NULL);
    brute_knn(pts, n, m, ENG_NORM_EUCLID, pts + i * m, i, 0, 1, &bidx, &bd);
    ck_assert_uint_eq(idx, bidx);
  }
  eng_kdtree_destroy(t);
  free(pts);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("neighbors");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, random_sets);
  tcase_add_test(tc, duplicates_and_ties);
  tcase_add_test(tc, edge_dimensions_and_sets);
  tcase_add_test(tc, nan_points_terminate);
  tcase_add_test(tc, delay_view);
  tcase_add_test(tc, large_not_quadratic);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
