/* check_dtw_search.c: subsequence search against a brute-force z-normalised scan and a planted pattern. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/temporal.h"

static uint64_t rng_state = 0x2545F4914F6CDD1Dull;
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
static double gauss(void)
{
  double u = unif() + 1e-300, v = unif();
  return sqrt(-2 * log(u)) * cos(6.283185307179586 * v);
}

static double scale(void)
{
  const char *s = getenv("ENGINE_TEST_SCALE");
  if (s)
    return atof(s);
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  return 0.2;
#else
  return 1.0;
#endif
}

/* Band DTW on the full matrix, equal lengths, radius r. */
static double ref_dtw(const double *a, const double *b, size_t m, size_t r, int sq)
{
  double *D = malloc((m + 1) * (m + 1) * sizeof *D);
  for (size_t k = 0; k < (m + 1) * (m + 1); k++)
    D[k] = INFINITY;
  D[0] = 0;
  for (size_t i = 1; i <= m; i++)
    for (size_t j = 1; j <= m; j++) {
      if ((i > j ? i - j : j - i) > r)
        continue;
      double t = a[i - 1] - b[j - 1];
      double c = sq ? t * t : fabs(t);
      double best = D[(i - 1) * (m + 1) + j - 1];
      if (D[(i - 1) * (m + 1) + j] < best)
        best = D[(i - 1) * (m + 1) + j];
      if (D[i * (m + 1) + j - 1] < best)
        best = D[i * (m + 1) + j - 1];
      D[i * (m + 1) + j] = best + c;
    }
  double v = D[m * (m + 1) + m];
  free(D);
  return v;
}

/* Two-pass z-normalisation; a constant window becomes zeros. */
static void znorm(const double *x, size_t m, double *out)
{
  double mu = 0, var = 0, ms = 0;
  for (size_t i = 0; i < m; i++)
    mu += x[i];
  mu /= (double)m;
  for (size_t i = 0; i < m; i++) {
    var += (x[i] - mu) * (x[i] - mu);
    ms += x[i] * x[i];
  }
  var /= (double)m;
  ms /= (double)m;
  double inv = var > 1e-12 * ms && var > 0 ? 1 / sqrt(var) : 0;
  for (size_t i = 0; i < m; i++)
    out[i] = (x[i] - mu) * inv;
}

/* The pruning counters of two runs are equal: every instruction set makes
 * the same decision at every stage of the cascade. */
static void same_stats(const eng_dtw_search_stats *a, const eng_dtw_search_stats *b)
{
  ck_assert_uint_eq(a->windows, b->windows);
  ck_assert_uint_eq(a->kim, b->kim);
  ck_assert_uint_eq(a->keogh_eq, b->keogh_eq);
  ck_assert_uint_eq(a->keogh_ec, b->keogh_ec);
  ck_assert_uint_eq(a->dtw, b->dtw);
}

/* Runs every instruction set on one search and checks each against the
 * portable code: the same matches bit for bit and the same counters. Returns
 * the number of matches; the portable code's matches and counters go to out
 * and out_st when not NULL. */
static size_t isas_agree_out(const double *q, size_t m, const double *x, size_t n,
                             const eng_dtw_search_opts *o, eng_dtw_match *out,
                             eng_dtw_search_stats *out_st)
{
  eng_dtw_match ref[8], got[8];
  size_t nref = 0;
  eng_dtw_search_stats sref;
  ck_assert_uint_le(o->k, 8);
  ck_assert_int_eq(eng_dtw_search_isa(q, m, x, n, o, ENG_DTW_ISA_SCALAR, ref, &nref, &sref), 0);
  for (int isa = ENG_DTW_ISA_AUTO; isa <= ENG_DTW_ISA_AVX512; isa++) {
    size_t ng = 0;
    eng_dtw_search_stats st;
    int rc = eng_dtw_search_isa(q, m, x, n, o, (eng_dtw_isa)isa, got, &ng, &st);
    if (!eng_dtw_isa_supported((eng_dtw_isa)isa)) {
      ck_assert_int_eq(rc, ENG_ENOSYS);
      continue;
    }
    ck_assert_int_eq(rc, 0);
    ck_assert_uint_eq(ng, nref);
    for (size_t i = 0; i < ng; i++) {
      ck_assert_msg(got[i].pos == ref[i].pos, "isa %d m %zu match %zu: %zu vs %zu", isa, m, i,
                    got[i].pos, ref[i].pos);
      ck_assert(memcmp(&got[i].dist, &ref[i].dist, sizeof(double)) == 0);
    }
    same_stats(&st, &sref);
  }
  if (out)
    memcpy(out, ref, nref * sizeof *ref);
  if (out_st)
    *out_st = sref;
  return nref;
}

static size_t isas_agree(const double *q, size_t m, const double *x, size_t n,
                         const eng_dtw_search_opts *o)
{
  return isas_agree_out(q, m, x, n, o, NULL, NULL);
}

/* Every window's distance, then greedy best-k with the exclusion zone. */
static size_t brute(const double *q, size_t m, const double *x, size_t n, size_t r, int sq,
                    int zn, size_t k, size_t excl, eng_dtw_match *out)
{
  size_t ns = n - m + 1;
  double *d = malloc(ns * sizeof *d), *qn = malloc(m * sizeof *qn), *w = malloc(m * sizeof *w);
  if (zn)
    znorm(q, m, qn);
  else
    memcpy(qn, q, m * sizeof *qn);
  for (size_t s = 0; s < ns; s++) {
    if (zn)
      znorm(x + s, m, w);
    else
      memcpy(w, x + s, m * sizeof *w);
    d[s] = ref_dtw(qn, w, m, r, sq);
  }
  size_t nf = 0;
  while (nf < k) {
    size_t best = SIZE_MAX;
    for (size_t s = 0; s < ns; s++) {
      int ex = 0;
      for (size_t f = 0; f < nf; f++)
        if ((out[f].pos > s ? out[f].pos - s : s - out[f].pos) < excl)
          ex = 1;
      if (!ex && (best == SIZE_MAX || d[s] < d[best]))
        best = s;
    }
    if (best == SIZE_MAX)
      break;
    out[nf].pos = best;
    out[nf].dist = d[best];
    nf++;
  }
  free(d);
  free(qn);
  free(w);
  return nf;
}

START_TEST(matches_brute_force)
{
  size_t iters = (size_t)(250 * scale()) + 5;
  for (size_t it = 0; it < iters; it++) {
    size_t m = 4 + rnd() % 40, n = m + rnd() % 400;
    double *q = malloc(m * sizeof *q), *x = malloc(n * sizeof *x);
    double v = 0;
    for (size_t i = 0; i < n; i++)
      x[i] = (v += gauss());
    v = 0;
    for (size_t i = 0; i < m; i++)
      q[i] = (v += gauss());
    eng_dtw_search_opts o;
    eng_dtw_search_opts_init(&o);
    o.cost = rnd() & 1 ? ENG_DTW_SQUARED : ENG_DTW_ABSOLUTE;
    o.window = rnd() % 3 == 0 ? ENG_DTW_NOWINDOW : (ptrdiff_t)(rnd() % (m / 2 + 1));
    o.k = 1 + rnd() % 4;
    o.znorm = rnd() % 4 != 0;
    if (rnd() & 1)
      o.exclusion = 1 + rnd() % (2 * m);
    size_t r = o.window == ENG_DTW_NOWINDOW ? m : (size_t)o.window;
    size_t excl = o.exclusion ? o.exclusion : m;
    eng_dtw_match want[4], ref[4];
    size_t nw = brute(q, m, x, n, r, o.cost == ENG_DTW_SQUARED, o.znorm, o.k, excl, want);
    /* The portable code and every vector one the CPU has give the same
     * matches bit for bit and the same counters, so checking the portable
     * result against brute force checks them all. */
    eng_dtw_search_stats sref;
    size_t nref = isas_agree_out(q, m, x, n, &o, ref, &sref);
    ck_assert_uint_eq(nref, nw);
    for (size_t i = 0; i < nref; i++) {
      ck_assert_msg(ref[i].pos == want[i].pos, "it %zu match %zu: pos %zu vs %zu (%g vs %g)",
                    it, i, ref[i].pos, want[i].pos, ref[i].dist, want[i].dist);
      ck_assert(fabs(ref[i].dist - want[i].dist) <= 1e-9 * (1 + want[i].dist));
    }
    ck_assert_uint_eq(sref.kim + sref.keogh_eq + sref.keogh_ec + sref.dtw, sref.windows);
    free(q);
    free(x);
  }
}
END_TEST

START_TEST(planted)
{
  /* A noisy, scaled and shifted copy of the query hidden in a random walk is
   * found where it was put, and z-normalisation makes its distance small. */
  size_t n = (size_t)(200000 * scale()) + 5000, m = 128, at = n / 3 + 17;
  double *x = malloc(n * sizeof *x), *q = malloc(m * sizeof *q);
  double v = 0;
  for (size_t i = 0; i < n; i++)
    x[i] = (v += gauss());
  for (size_t i = 0; i < m; i++)
    q[i] = sin(i * 0.15) + 0.5 * sin(i * 0.043 + 1) + (i > 60 && i < 70 ? 1.5 : 0);
  for (size_t i = 0; i < m; i++)
    x[at + i] = 40 + 7.5 * q[i] + 0.01 * gauss();
  eng_dtw_search_opts o;
  eng_dtw_search_opts_init(&o);
  o.window = 6;
  o.k = 3;
  eng_dtw_match got[3];
  size_t ng;
  ck_assert_int_eq(eng_dtw_search(q, m, x, n, &o, got, &ng, NULL), 0);
  ck_assert_uint_eq(ng, 3);
  ck_assert_uint_eq(got[0].pos, at);
  ck_assert(got[0].dist < 0.05);
  ck_assert(got[1].dist >= got[0].dist && got[2].dist >= got[1].dist);
  for (int i = 1; i < 3; i++) {
    size_t d = got[i].pos > at ? got[i].pos - at : at - got[i].pos;
    ck_assert_uint_ge(d, m); /* non-overlapping */
  }
  free(x);
  free(q);
}
END_TEST

START_TEST(long_series_isas)
{
  /* A series spanning several internal chunks and blocks, with a planted
   * match near a chunk edge: every instruction set reports the same matches,
   * bit for bit, and the same pruning counters. */
  size_t n = (size_t)(60000 * scale()) + 3000, m = 64 + rnd() % 80, at = n / 2 + 11;
  double *x = malloc(n * sizeof *x), *q = malloc(m * sizeof *q);
  double v = 0;
  for (size_t i = 0; i < n; i++)
    x[i] = (v += gauss());
  for (size_t i = 0; i < m; i++)
    q[i] = x[at + i] * 2 + 3 + 0.05 * gauss();
  eng_dtw_search_opts o;
  eng_dtw_search_opts_init(&o);
  o.window = (ptrdiff_t)(m / 20);
  o.k = 2;
  eng_dtw_match ref[2];
  ck_assert_uint_eq(isas_agree_out(q, m, x, n, &o, ref, NULL), 2);
  ck_assert_uint_eq(ref[0].pos, at);
  free(x);
  free(q);
}
END_TEST

START_TEST(isas_long_series)
{
  /* Query lengths around the vector widths (4 and 8 lanes) and the LB_Kim
   * special cases, both costs, several bands, with and without
   * normalisation and exclusion zones, over a series of several chunks. */
  static const size_t lens[] = {1, 2, 3, 4, 5, 7, 8, 9, 15, 17, 31, 64, 127, 128, 129, 300};
  size_t n = (size_t)(40000 * scale()) + 2000;
  double *x = malloc(n * sizeof *x), *q = malloc(300 * sizeof *q);
  double v = 0;
  for (size_t i = 0; i < n; i++)
    x[i] = (v += gauss());
  for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
    size_t m = lens[li];
    size_t at = rnd() % (n - m);
    for (size_t i = 0; i < m; i++)
      q[i] = x[at + i] * 0.5 - 1 + 0.3 * gauss();
    eng_dtw_search_opts o;
    eng_dtw_search_opts_init(&o);
    o.cost = li & 1 ? ENG_DTW_ABSOLUTE : ENG_DTW_SQUARED;
    o.window = li % 3 == 0 && m < 20 ? ENG_DTW_NOWINDOW : (ptrdiff_t)(m / 10 + li % 3);
    o.k = 1 + li % 4;
    o.znorm = li % 5 != 4;
    o.exclusion = li % 4 == 3 ? m / 2 + 1 : 0;
    ck_assert_uint_eq(isas_agree(q, m, x, n, &o), o.k);
  }
  free(x);
  free(q);
}
END_TEST

START_TEST(chunks_brute_force)
{
  /* Series a little past one, two and three internal chunks of windows (the
   * running sums restart at every chunk and are built two chunks at a time):
   * the matches equal the brute-force scan's. */
  static const size_t extra[] = {1, 700, 16384 + 1, 2 * 16384 + 33};
  size_t m = 16;
  for (size_t e = 0; e < sizeof extra / sizeof extra[0]; e++) {
    size_t n = 16384 + extra[e] + m - 1;
    double *x = malloc(n * sizeof *x), q[16];
    double v = 0;
    for (size_t i = 0; i < n; i++)
      x[i] = (v += gauss());
    v = 0;
    for (size_t i = 0; i < m; i++)
      q[i] = (v += gauss());
    eng_dtw_search_opts o;
    eng_dtw_search_opts_init(&o);
    o.window = 2;
    o.k = 3;
    o.cost = e & 1 ? ENG_DTW_ABSOLUTE : ENG_DTW_SQUARED;
    eng_dtw_match want[3], got[3];
    size_t nw = brute(q, m, x, n, 2, o.cost == ENG_DTW_SQUARED, 1, 3, m, want), ng = 0;
    ck_assert_int_eq(eng_dtw_search(q, m, x, n, &o, got, &ng, NULL), 0);
    ck_assert_uint_eq(ng, nw);
    for (size_t i = 0; i < ng; i++) {
      ck_assert_uint_eq(got[i].pos, want[i].pos);
      ck_assert(fabs(got[i].dist - want[i].dist) <= 1e-9 * (1 + want[i].dist));
    }
    ck_assert_uint_eq(isas_agree(q, m, x, n, &o), nw);
    free(x);
  }
}
END_TEST

START_TEST(isas_near_ties)
{
  /* A series of exact repeats: the windows one period apart hold the same
   * values, their sums differ only by rounding, and with a band of 0 LB_Keogh
   * equals the distance, so many lower bounds land within a few ulps of the
   * best so far. The vector bounds must still prune exactly where the
   * portable code does. */
  size_t p = 37, n = (size_t)(30000 * scale()) + 1000;
  double *x = malloc(n * sizeof *x), per[37], q[64];
  for (size_t i = 0; i < p; i++)
    per[i] = gauss();
  for (size_t i = 0; i < n; i++)
    x[i] = per[i % p] * 3 + 10;
  for (int c = 0; c < 8; c++) {
    size_t m = c < 4 ? 30 : 64;
    for (size_t i = 0; i < m; i++)
      q[i] = per[(i + 5) % p] + (c & 2 ? 1e-9 * gauss() : 0);
    eng_dtw_search_opts o;
    eng_dtw_search_opts_init(&o);
    o.cost = c & 1 ? ENG_DTW_ABSOLUTE : ENG_DTW_SQUARED;
    o.window = c < 6 ? 0 : 1;
    o.k = 5;
    o.exclusion = 1;
    ck_assert_uint_eq(isas_agree(q, m, x, n, &o), 5);
  }
  free(x);
}
END_TEST

START_TEST(edge_cases)
{
  double x[50], q[8];
  for (int i = 0; i < 50; i++)
    x[i] = i % 7;
  for (int i = 0; i < 8; i++)
    q[i] = i % 7;
  eng_dtw_search_opts o;
  eng_dtw_search_opts_init(&o);
  eng_dtw_match m[8];
  size_t nm;
  ck_assert_int_eq(eng_dtw_search(q, 8, x, 7, &o, m, &nm, NULL), ENG_ESHORT);
  ck_assert_int_eq(eng_dtw_search(q, 0, x, 50, &o, m, &nm, NULL), ENG_EINVAL);
  ck_assert_int_eq(eng_dtw_search(NULL, 8, x, 50, &o, m, &nm, NULL), ENG_EINVAL);
  o.window = -2;
  ck_assert_int_eq(eng_dtw_search(q, 8, x, 50, &o, m, &nm, NULL), ENG_EINVAL);
  eng_dtw_search_opts_init(&o);
  o.k = 0;
  ck_assert_int_eq(eng_dtw_search(q, 8, x, 50, &o, m, &nm, NULL), ENG_EINVAL);
  eng_dtw_search_opts_init(&o);
  x[20] = NAN;
  ck_assert_int_eq(eng_dtw_search(q, 8, x, 50, &o, m, &nm, NULL), ENG_ENAN);
  x[20] = 20 % 7;
  /* The series itself: exact match at 0 (and every 7 points) with distance 0. */
  ck_assert_int_eq(eng_dtw_search(q, 8, x, 50, &o, m, &nm, NULL), 0);
  ck_assert_uint_eq(nm, 1);
  ck_assert_uint_eq(m[0].pos, 0);
  ck_assert(m[0].dist < 1e-20);
  /* Asking for 8 matches 8 apart among the 43 starts: the zero-distance
   * windows start at multiples of 7; greedy takes 0, skips 7 (too close),
   * takes 14, 28, 42, and no start is left 8 or more away from all of them
   * (the gaps are 14 wide), so only 4 are found. */
  o.k = 8;
  ck_assert_int_eq(eng_dtw_search(q, 8, x, 50, &o, m, &nm, NULL), 0);
  ck_assert_uint_le(nm, 7);
  for (size_t i = 0; i < nm; i++)
    for (size_t j = 0; j < i; j++)
      ck_assert_uint_ge(m[i].pos > m[j].pos ? m[i].pos - m[j].pos : m[j].pos - m[i].pos, 8);
  if (m[0].pos == 0 && m[1].pos == 14) {
    ck_assert_uint_eq(nm, 4);
    ck_assert_uint_eq(m[2].pos, 28);
    ck_assert_uint_eq(m[3].pos, 42);
  }
  /* Constant windows normalise to zeros; a constant query matches them at 0. */
  double flat[30], fq[5] = {2, 2, 2, 2, 2};
  for (int i = 0; i < 30; i++)
    flat[i] = i < 10 ? 5.0 : (double)i;
  eng_dtw_search_opts_init(&o);
  ck_assert_int_eq(eng_dtw_search(fq, 5, flat, 30, &o, m, &nm, NULL), 0);
  ck_assert_uint_eq(nm, 1);
  ck_assert_uint_eq(m[0].pos, 0);
  ck_assert(m[0].dist == 0.0);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("dtw_search");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, matches_brute_force);
  tcase_add_test(tc, planted);
  tcase_add_test(tc, long_series_isas);
  tcase_add_test(tc, isas_long_series);
  tcase_add_test(tc, chunks_brute_force);
  tcase_add_test(tc, isas_near_ties);
  tcase_add_test(tc, edge_cases);
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
