/* check_dtw.c: DTW distance, path, envelopes and lower bounds against a plain full-matrix DP. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/temporal.h"

/* ------------------------------------------------------------ helpers */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void)
{
  uint64_t x = rng_state;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  rng_state = x;
  return x * 2685821657736338717ull;
}
static double unif(void) { return (double)(rnd() >> 11) * (1.0 / 9007199254740992.0); }

/* Test size factor: smaller under sanitizers or when ENGINE_TEST_SCALE says so. */
static double scale(void)
{
  const char *s = getenv("ENGINE_TEST_SCALE");
  if (s)
    return atof(s);
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  return 0.1;
#else
  return 1.0;
#endif
}

static void fill(double *x, size_t n, int walk)
{
  double v = 0;
  for (size_t i = 0; i < n; i++) {
    double u = unif() * 2 - 1;
    v = walk ? v + u : u * 3;
    x[i] = v;
  }
}

/* The obviously-correct DP: the whole (n+1) x (m+1) matrix, the band as a
 * radius widened to |n - m|, cells outside it infinite. */
static double ref_dtw(const double *a, size_t n, const double *b, size_t m, size_t d, int sq,
                      ptrdiff_t window)
{
  size_t diff = n > m ? n - m : m - n;
  size_t r = window == ENG_DTW_NOWINDOW ? (n > m ? n : m) : (size_t)window;
  if (r < diff)
    r = diff;
  double *D = malloc((n + 1) * (m + 1) * sizeof *D);
  for (size_t k = 0; k < (n + 1) * (m + 1); k++)
    D[k] = INFINITY;
  D[0] = 0;
  for (size_t i = 1; i <= n; i++)
    for (size_t j = 1; j <= m; j++) {
      size_t dd = i > j ? i - j : j - i;
      if (dd > r)
        continue;
      double c = 0;
      for (size_t k = 0; k < d; k++) {
        double t = a[(i - 1) * d + k] - b[(j - 1) * d + k];
        c += sq ? t * t : fabs(t);
      }
      double best = D[(i - 1) * (m + 1) + j - 1];
      if (D[(i - 1) * (m + 1) + j] < best)
        best = D[(i - 1) * (m + 1) + j];
      if (D[i * (m + 1) + j - 1] < best)
        best = D[i * (m + 1) + j - 1];
      D[i * (m + 1) + j] = best + c;
    }
  double v = D[n * (m + 1) + m];
  free(D);
  return v;
}

static size_t pick_len(void)
{
  static const size_t L[] = {1, 2, 3, 4, 5, 7, 16, 63, 64, 65, 127, 128, 129};
  if (rnd() % 40 == 0)
    return 1000;
  return L[rnd() % (sizeof L / sizeof L[0])];
}

static ptrdiff_t pick_window(size_t n, size_t m)
{
  switch (rnd() % 6) {
  case 0: return 0;
  case 1: return 1;
  case 2: return (ptrdiff_t)(rnd() % (n > m ? n : m) + 1);
  case 3: return (ptrdiff_t)((n > m ? n : m) + 5); /* larger than the length */
  case 4: return (ptrdiff_t)((n > m ? n : m) / 10);
  default: return ENG_DTW_NOWINDOW;
  }
}

/* -------------------------------------------------------- hand examples */

START_TEST(textbook)
{
  /* a = (0, 1, 2), b = (1, 2, 3), absolute cost |a_i - b_j|:
   *        b: 1  2  3
   *   a=0:    1  2  3
   *   a=1:    0  1  2
   *   a=2:    1  0  1
   * Cumulative D(i,j) = c(i,j) + min(D(i-1,j-1), D(i-1,j), D(i,j-1)):
   *   row 0: 1  3  6
   *   row 1: 1  2  4
   *   row 2: 2  1  2      -> DTW = 2 via (0,0)(1,0)(2,1)(2,2): 1+0+0+1.
   * Window 0 forces the diagonal: 1 + 1 + 1 = 3. Window 1 drops (0,2) and
   * (2,0), neither on the optimal path: 2.
   * Squared cost: c = 1 4 9 / 0 1 4 / 1 0 1, D = 1 5 14 / 1 2 6 / 2 1 2 -> 2;
   * diagonal 1 + 1 + 1 = 3. Normalised by n + m = 6: 2/6. */
  const double a[] = {0, 1, 2}, b[] = {1, 2, 3};
  eng_dtw_opts o;
  eng_dtw_opts_init(&o);
  double d;
  o.cost = ENG_DTW_ABSOLUTE;
  ck_assert_int_eq(eng_dtw_distance(a, 3, b, 3, &o, &d), 0);
  ck_assert(d == 2.0);
  o.window = 0;
  ck_assert_int_eq(eng_dtw_distance(a, 3, b, 3, &o, &d), 0);
  ck_assert(d == 3.0);
  o.window = 1;
  ck_assert_int_eq(eng_dtw_distance(a, 3, b, 3, &o, &d), 0);
  ck_assert(d == 2.0);
  o.cost = ENG_DTW_SQUARED;
  o.window = ENG_DTW_NOWINDOW;
  ck_assert_int_eq(eng_dtw_distance(a, 3, b, 3, &o, &d), 0);
  ck_assert(d == 2.0);
  o.window = 0;
  ck_assert_int_eq(eng_dtw_distance(a, 3, b, 3, &o, &d), 0);
  ck_assert(d == 3.0);
  o.window = ENG_DTW_NOWINDOW;
  o.normalize = 1;
  ck_assert_int_eq(eng_dtw_distance(a, 3, b, 3, &o, &d), 0);
  ck_assert(fabs(d - 2.0 / 6.0) < 1e-15);

  /* a = (1, 2, 3), b = (1, 2, 2, 3): b repeats 2, so a warps onto it at
   * zero cost: path (0,0)(1,1)(1,2)(2,3). */
  const double c3[] = {1, 2, 3}, c4[] = {1, 2, 2, 3};
  eng_dtw_opts_init(&o);
  ck_assert_int_eq(eng_dtw_distance(c3, 3, c4, 4, &o, &d), 0);
  ck_assert(d == 0.0);
  size_t path[12], len;
  ck_assert_int_eq(eng_dtw_path(c3, 3, c4, 4, &o, path, 6, &len, &d), 0);
  ck_assert_uint_eq(len, 4);
  const size_t want[] = {0, 0, 1, 1, 1, 2, 2, 3};
  for (size_t k = 0; k < 8; k++)
    ck_assert_uint_eq(path[k], want[k]);

  /* One point against three: every path visits (0,0),(0,1),(0,2):
   * (5-1)^2 + (5-2)^2 + (5-3)^2 = 16 + 9 + 4 = 29. */
  const double one[] = {5}, three[] = {1, 2, 3};
  ck_assert_int_eq(eng_dtw_distance(one, 1, three, 3, &o, &d), 0);
  ck_assert(d == 29.0);
  ck_assert_int_eq(eng_dtw_distance(three, 3, one, 1, &o, &d), 0);
  ck_assert(d == 29.0);
}
END_TEST

START_TEST(bad_input)
{
  double a[4] = {1, 2, 3, 4}, b[4] = {1, 2, 3, 4}, d = -1, ws[32];
  ck_assert_uint_le(eng_dtw_workspace(4, 4), 32);
  eng_dtw_opts o;
  eng_dtw_opts_init(&o);
  ck_assert_int_eq(eng_dtw_distance(a, 0, b, 4, &o, &d), ENG_EINVAL);
  ck_assert_int_eq(eng_dtw_distance(a, 4, b, 0, &o, &d), ENG_EINVAL);
  ck_assert_int_eq(eng_dtw_distance(NULL, 4, b, 4, &o, &d), ENG_EINVAL);
  ck_assert_int_eq(eng_dtw_distance(a, 4, NULL, 4, &o, &d), ENG_EINVAL);
  ck_assert_int_eq(eng_dtw_distance(a, 4, b, 4, &o, NULL), ENG_EINVAL);
  ck_assert_int_eq(eng_dtw_distance_ws(a, 4, b, 4, &o, ws, eng_dtw_workspace(4, 4) - 1, &d), ENG_EINVAL);
  o.window = -1;
  ck_assert_int_eq(eng_dtw_distance(a, 4, b, 4, &o, &d), ENG_EINVAL);
  eng_dtw_opts_init(&o);
  o.cutoff = NAN;
  ck_assert_int_eq(eng_dtw_distance(a, 4, b, 4, &o, &d), ENG_EINVAL);
  eng_dtw_opts_init(&o);
  o.cost = (eng_dtw_cost)7;
  ck_assert_int_eq(eng_dtw_distance(a, 4, b, 4, &o, &d), ENG_EINVAL);
  eng_dtw_opts_init(&o);
  a[2] = NAN;
  ck_assert_int_eq(eng_dtw_distance(a, 4, b, 4, &o, &d), ENG_ENAN);
  a[2] = INFINITY;
  ck_assert_int_eq(eng_dtw_distance(a, 4, b, 4, &o, &d), ENG_ENAN);
  a[2] = 3;
  b[3] = -INFINITY;
  ck_assert_int_eq(eng_dtw_distance(a, 4, b, 4, &o, &d), ENG_ENAN);
  ck_assert_int_eq(eng_lb_kim(a, 4, b, 4, &o, &d), ENG_ENAN);
  ck_assert_int_eq(eng_lb_keogh(a, 4, b, 4, &o, &d), ENG_ENAN);
  b[3] = 4;
  ck_assert_int_eq(eng_dtw_distance_md(a, 2, 2, b, 2, 1, &o, ws, 32, &d), ENG_EDIM);
  ck_assert_int_eq(eng_dtw_distance_md(a, 2, 0, b, 2, 0, &o, ws, 32, &d), ENG_EINVAL);
  size_t path[8], len;
  ck_assert_int_eq(eng_dtw_path(a, 4, b, 4, &o, path, 6, &len, &d), ENG_ERANGE);
  ck_assert_int_eq(eng_dtw_path(a, 4, b, 4, &o, path, 7, &len, &d), 0);
  ck_assert(d == 0.0);
  double lo[4], up[4];
  ck_assert_int_eq(eng_dtw_envelope(a, 0, 1, lo, up), ENG_EINVAL);
  ck_assert_int_eq(eng_lb_keogh(a, 0, b, 4, &o, &d), ENG_EINVAL);
  ck_assert(d == 0.0); /* untouched by the failures */
}
END_TEST

/* --------------------------------------------------------- random sweeps */

START_TEST(random_vs_reference)
{
  size_t iters = (size_t)(3000 * scale()) + 50;
  double *a = malloc(1000 * sizeof *a), *b = malloc(1000 * sizeof *b);
  size_t NWS = eng_dtw_workspace(1000, 1000);
  double *ws = malloc(NWS * sizeof *ws);
  for (size_t it = 0; it < iters; it++) {
    size_t n = pick_len(), m = rnd() % 3 == 0 ? n : pick_len();
    fill(a, n, rnd() & 1);
    fill(b, m, rnd() & 1);
    eng_dtw_opts o;
    eng_dtw_opts_init(&o);
    o.cost = rnd() & 1 ? ENG_DTW_SQUARED : ENG_DTW_ABSOLUTE;
    o.window = pick_window(n, m);
    double want = ref_dtw(a, n, b, m, 1, o.cost == ENG_DTW_SQUARED, o.window);
    double d = -1;
    ck_assert_int_eq(eng_dtw_distance_ws(a, n, b, m, &o, ws, NWS, &d), 0);
    /* Same additions in the same order as the reference: bit-identical. */
    ck_assert_msg(d == want, "n=%zu m=%zu w=%td: %.17g vs %.17g", n, m, o.window, d, want);
    /* Normalised. */
    o.normalize = 1;
    ck_assert_int_eq(eng_dtw_distance_ws(a, n, b, m, &o, ws, NWS, &d), 0);
    ck_assert(d == want / (double)(n + m));
    o.normalize = 0;
    /* Cutoffs just above, at and just below the true distance. */
    o.cutoff = want * (1 + 1e-9) + 1e-300;
    ck_assert_int_eq(eng_dtw_distance_ws(a, n, b, m, &o, ws, NWS, &d), 0);
    ck_assert(d == want);
    o.cutoff = want;
    ck_assert_int_eq(eng_dtw_distance_ws(a, n, b, m, &o, ws, NWS, &d), 0);
    ck_assert(d == want);
    if (want > 0) {
      o.cutoff = want * (1 - 1e-9);
      d = -7;
      ck_assert_int_eq(eng_dtw_distance_ws(a, n, b, m, &o, ws, NWS, &d), ENG_ECUTOFF);
      ck_assert(d == -7);
      o.normalize = 1;
      o.cutoff = want / (double)(n + m) * (1 - 1e-9);
      ck_assert_int_eq(eng_dtw_distance_ws(a, n, b, m, &o, ws, NWS, &d), ENG_ECUTOFF);
      o.cutoff = want / (double)(n + m) * (1 + 1e-9);
      ck_assert_int_eq(eng_dtw_distance_ws(a, n, b, m, &o, ws, NWS, &d), 0);
      ck_assert(d == want / (double)(n + m));
    }
    o.normalize = 0;
    o.cutoff = -1;
    ck_assert_int_eq(eng_dtw_distance_ws(a, n, b, m, &o, ws, NWS, &d), ENG_ECUTOFF);
    /* Lower bounds never exceed the distance (allowing float rounding of
     * sums taken in another order). */
    o.cutoff = INFINITY;
    double lb;
    ck_assert_int_eq(eng_lb_kim(a, n, b, m, &o, &lb), 0);
    ck_assert_msg(lb <= want * (1 + 1e-12) + 1e-12, "kim %g > %g", lb, want);
    ck_assert_int_eq(eng_lb_keogh(a, n, b, m, &o, &lb), 0);
    ck_assert_msg(lb <= want * (1 + 1e-12) + 1e-12, "keogh %g > %g", lb, want);
    ck_assert_int_eq(eng_lb_keogh(b, m, a, n, &o, &lb), 0);
    ck_assert_msg(lb <= want * (1 + 1e-12) + 1e-12, "keogh %g > %g", lb, want);
  }
  free(a);
  free(b);
  free(ws);
}
END_TEST

START_TEST(multivariate)
{
  size_t iters = (size_t)(600 * scale()) + 20;
  double *a = malloc(3 * 200 * sizeof *a), *b = malloc(3 * 200 * sizeof *b);
  double ws[3 * 202];
  for (size_t it = 0; it < iters; it++) {
    size_t d = 1 + rnd() % 3;
    size_t n = 1 + rnd() % 130, m = 1 + rnd() % 130;
    fill(a, n * d, 1);
    fill(b, m * d, 0);
    eng_dtw_opts o;
    eng_dtw_opts_init(&o);
    o.cost = rnd() & 1 ? ENG_DTW_SQUARED : ENG_DTW_ABSOLUTE;
    o.window = pick_window(n, m);
    double want = ref_dtw(a, n, b, m, d, o.cost == ENG_DTW_SQUARED, o.window), got;
    ck_assert_int_eq(eng_dtw_distance_md(a, n, d, b, m, d, &o, ws, 3 * 202, &got), 0);
    ck_assert_msg(got == want, "d=%zu n=%zu m=%zu: %.17g vs %.17g", d, n, m, got, want);
    if (want > 0) {
      o.cutoff = want * (1 - 1e-9);
      ck_assert_int_eq(eng_dtw_distance_md(a, n, d, b, m, d, &o, ws, 3 * 202, &got),
                       ENG_ECUTOFF);
    }
  }
  /* One dimension through either entry point agrees. */
  fill(a, 50, 1);
  fill(b, 40, 1);
  double d1, d2;
  ck_assert_int_eq(eng_dtw_distance_md(a, 50, 1, b, 40, 1, NULL, ws, 3 * 202, &d1), 0);
  ck_assert_int_eq(eng_dtw_distance(a, 50, b, 40, NULL, &d2), 0);
  ck_assert(d1 == d2);
  free(a);
  free(b);
}
END_TEST

START_TEST(path_validity)
{
  size_t iters = (size_t)(800 * scale()) + 20;
  double *a = malloc(200 * sizeof *a), *b = malloc(200 * sizeof *b);
  size_t *path = malloc(2 * 400 * sizeof *path);
  for (size_t it = 0; it < iters; it++) {
    size_t n = 1 + rnd() % 130, m = 1 + rnd() % 130;
    fill(a, n, rnd() & 1);
    fill(b, m, rnd() & 1);
    eng_dtw_opts o;
    eng_dtw_opts_init(&o);
    o.cost = rnd() & 1 ? ENG_DTW_SQUARED : ENG_DTW_ABSOLUTE;
    o.window = pick_window(n, m);
    int sq = o.cost == ENG_DTW_SQUARED;
    double want = ref_dtw(a, n, b, m, 1, sq, o.window), d;
    size_t len;
    ck_assert_int_eq(eng_dtw_path(a, n, b, m, &o, path, n + m - 1, &len, &d), 0);
    ck_assert(d == want);
    ck_assert_uint_ge(len, n > m ? n : m);
    ck_assert_uint_le(len, n + m - 1);
    ck_assert_uint_eq(path[0], 0);
    ck_assert_uint_eq(path[1], 0);
    ck_assert_uint_eq(path[2 * (len - 1)], n - 1);
    ck_assert_uint_eq(path[2 * (len - 1) + 1], m - 1);
    size_t diff = n > m ? n - m : m - n;
    size_t r = o.window == ENG_DTW_NOWINDOW ? n + m : (size_t)o.window;
    if (r < diff)
      r = diff;
    double sum = 0;
    for (size_t k = 0; k < len; k++) {
      size_t i = path[2 * k], j = path[2 * k + 1];
      ck_assert_uint_le(i > j ? i - j : j - i, r);
      if (k > 0) {
        size_t di = i - path[2 * (k - 1)], dj = j - path[2 * (k - 1) + 1];
        ck_assert(di <= 1 && dj <= 1 && di + dj >= 1); /* monotone, contiguous */
      }
      double t = a[i] - b[j];
      sum += sq ? t * t : fabs(t);
    }
    ck_assert_msg(sum == want, "path sum %.17g vs %.17g", sum, want);
    if (want > 0) {
      o.cutoff = want * (1 - 1e-9);
      ck_assert_int_eq(eng_dtw_path(a, n, b, m, &o, path, n + m - 1, &len, &d), ENG_ECUTOFF);
    }
  }
  free(a);
  free(b);
  free(path);
}
END_TEST

START_TEST(envelope)
{
  double x[300], lo[300], up[300], lb, lb2;
  for (int it = 0; it < 300; it++) {
    size_t n = 1 + rnd() % 300, r = rnd() % 40;
    if (it % 10 == 0)
      r = n + 3;
    fill(x, n, rnd() & 1);
    ck_assert_int_eq(eng_dtw_envelope(x, n, r, lo, up), 0);
    for (size_t i = 0; i < n; i++) {
      double mn = INFINITY, mx = -INFINITY;
      for (size_t j = i > r ? i - r : 0; j <= i + r && j < n; j++) {
        mn = x[j] < mn ? x[j] : mn;
        mx = x[j] > mx ? x[j] : mx;
      }
      ck_assert(lo[i] == mn && up[i] == mx);
    }
    /* LB_Keogh from a precomputed envelope equals the one-call form. */
    double y[300];
    fill(y, n, 1);
    eng_dtw_opts o;
    eng_dtw_opts_init(&o);
    o.window = (ptrdiff_t)r;
    ck_assert_int_eq(eng_lb_keogh(y, n, x, n, &o, &lb), 0);
    ck_assert_int_eq(eng_lb_keogh_env(y, n, lo, up, ENG_DTW_SQUARED, INFINITY, &lb2), 0);
    ck_assert(fabs(lb - lb2) <= 1e-12 * (1 + lb));
    if (lb2 > 0)
      ck_assert_int_eq(eng_lb_keogh_env(y, n, lo, up, ENG_DTW_SQUARED, lb2 * 0.5, &lb2),
                       ENG_ECUTOFF);
  }
}
END_TEST

/* ------------------------------------------------------ one against many */

START_TEST(many_equals_serial)
{
  /* Every instruction set this CPU has must give, pair by pair, exactly what
   * eng_dtw_distance_ws gives (codes, and values bit for bit), and the values
   * must be those of the full-matrix DP. Runs of equal lengths fill the
   * vector lanes; other lengths, NaN and empty items break them. */
  size_t iters = (size_t)(300 * scale()) + 10;
  enum { K = 23 };
  for (size_t it = 0; it < iters; it++) {
    size_t na = pick_len(), m = pick_len();
    if (na == 1000)
      na = 129;
    if (m == 1000)
      m = 200;
    double *a = malloc(na * sizeof *a), *data[K];
    eng_seq b[K];
    size_t nbmax = 0;
    int walk = (int)(rnd() & 1);
    fill(a, na, walk);
    for (size_t i = 0; i < K; i++) {
      size_t n = rnd() % 5 == 0 ? pick_len() % 150 : m; /* sometimes 0 (empty) */
      data[i] = malloc((n ? n : 1) * sizeof(double));
      fill(data[i], n, walk);
      if (n && rnd() % 40 == 0)
        data[i][rnd() % n] = rnd() & 1 ? NAN : INFINITY;
      b[i].data = data[i];
      b[i].n = n;
      nbmax = n > nbmax ? n : nbmax;
    }
    eng_dtw_opts o;
    eng_dtw_opts_init(&o);
    o.cost = rnd() & 1 ? ENG_DTW_SQUARED : ENG_DTW_ABSOLUTE;
    if (rnd() % 4 == 0)
      o.window = pick_window(na, m);
    if (rnd() % 4 == 0)
      o.normalize = 1;
    double want[K];
    int wrc[K];
    size_t nws1 = eng_dtw_workspace(na, nbmax ? nbmax : 1);
    double *ws1 = malloc(nws1 * sizeof *ws1);
    for (size_t i = 0; i < K; i++) {
      want[i] = -1;
      wrc[i] = eng_dtw_distance_ws(a, na, data[i], b[i].n, &o, ws1, nws1, &want[i]);
      if (wrc[i] == 0) {
        double r = ref_dtw(a, na, data[i], b[i].n, 1, o.cost == ENG_DTW_SQUARED, o.window);
        if (o.normalize)
          r /= (double)(na + b[i].n);
        ck_assert(fabs(want[i] - r) <= 1e-9 * (1 + r));
      }
    }
    if (rnd() % 3 == 0 && wrc[0] == 0) {
      /* A cutoff between the distances: some pairs above it. */
      o.cutoff = want[0];
      for (size_t i = 0; i < K; i++)
        wrc[i] = eng_dtw_distance_ws(a, na, data[i], b[i].n, &o, ws1, nws1, &want[i]);
    }
    size_t nws = eng_dtw_many_workspace(na, nbmax);
    double *ws = malloc(nws * sizeof *ws);
    for (int isa = ENG_DTW_ISA_AUTO; isa <= ENG_DTW_ISA_AVX512; isa++) {
      double got[K];
      int grc[K];
      for (size_t i = 0; i < K; i++)
        got[i] = want[i];
      int rc = eng_dtw_distance_many_isa(a, na, b, K, &o, (eng_dtw_isa)isa, ws, nws, got, grc);
      if (!eng_dtw_isa_supported((eng_dtw_isa)isa)) {
        ck_assert_int_eq(rc, ENG_ENOSYS);
        continue;
      }
      ck_assert_int_eq(rc, 0);
      for (size_t i = 0; i < K; i++) {
        ck_assert_msg(grc[i] == wrc[i], "isa %d it %zu pair %zu: rc %d vs %d", isa, it, i,
                      grc[i], wrc[i]);
        if (wrc[i] == 0)
          ck_assert_msg(memcmp(&got[i], &want[i], sizeof(double)) == 0,
                        "isa %d it %zu pair %zu: %.17g vs %.17g", isa, it, i, got[i], want[i]);
      }
    }
    free(ws);
    free(ws1);
    free(a);
    for (size_t i = 0; i < K; i++)
      free(data[i]);
  }
}
END_TEST

START_TEST(many_args)
{
  double a[4] = {0, 1, 2, 3}, d[2];
  int rc[2];
  eng_seq b[2] = {{a, 4}, {a, 3}};
  size_t nws = eng_dtw_many_workspace(4, 4);
  double *ws = malloc(nws * sizeof *ws);
  ck_assert_int_eq(eng_dtw_isa_supported(ENG_DTW_ISA_SCALAR), 1);
  ck_assert_int_eq(eng_dtw_isa_supported(ENG_DTW_ISA_AUTO), 1);
  ck_assert_int_eq(eng_dtw_distance_many(a, 4, b, 0, NULL, NULL, 0, NULL, NULL), 0);
  ck_assert_int_eq(eng_dtw_distance_many(a, 4, NULL, 2, NULL, ws, nws, d, rc), ENG_EINVAL);
  ck_assert_int_eq(eng_dtw_distance_many(a, 4, b, 2, NULL, ws, nws - 1, d, rc), ENG_EINVAL);
  ck_assert_int_eq(eng_dtw_distance_many(a, 4, b, 2, NULL, ws, nws, d, NULL), ENG_EINVAL);
  eng_dtw_opts o;
  eng_dtw_opts_init(&o);
  o.window = -1;
  ck_assert_int_eq(eng_dtw_distance_many(a, 4, b, 2, &o, ws, nws, d, rc), ENG_EINVAL);
  ck_assert_int_eq(eng_dtw_distance_many_isa(a, 4, b, 2, NULL, (eng_dtw_isa)99, ws, nws, d, rc),
                   ENG_ENOSYS);
  /* a empty: every pair EINVAL; the values: 0 and (3-2)^2 = 1 by hand. */
  ck_assert_int_eq(eng_dtw_distance_many(a, 0, b, 2, NULL, ws, nws, d, rc), 0);
  ck_assert_int_eq(rc[0], ENG_EINVAL);
  ck_assert_int_eq(rc[1], ENG_EINVAL);
  ck_assert_int_eq(eng_dtw_distance_many(a, 4, b, 2, NULL, ws, nws, d, rc), 0);
  ck_assert_int_eq(rc[0], 0);
  ck_assert_int_eq(rc[1], 0);
  ck_assert(d[0] == 0.0 && d[1] == 1.0);
  free(ws);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("dtw");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, textbook);
  tcase_add_test(tc, bad_input);
  tcase_add_test(tc, random_vs_reference);
  tcase_add_test(tc, multivariate);
  tcase_add_test(tc, path_validity);
  tcase_add_test(tc, envelope);
  tcase_add_test(tc, many_equals_serial);
  tcase_add_test(tc, many_args);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  SRunner *sr = srunner_create(suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
