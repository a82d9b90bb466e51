/* check_fnn.c: false nearest neighbours and Cao's method: brute-force agreement and published dimensions. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The nearest-neighbour core is internal to the library. A private copy of
 * its source, every external name renamed so that nothing clashes with the
 * library's, lets the tests below drive both of its leaf-scan paths (AVX2
 * and portable) on the same trees. */
#define eng_points_delay fnntest_points_delay
#define eng_points_rows fnntest_points_rows
#define eng_kdtree_size fnntest_kdtree_size
#define eng__kdtree_points fnntest_kdtree_points
#define eng__kdtree_index fnntest_kdtree_index
#define eng__nn_work_size fnntest_nn_work_size
#define eng__nn_build fnntest_nn_build
#define eng__nn_self fnntest_nn_self
#define eng_kdtree_destroy fnntest_kdtree_destroy
#define eng_kdtree_create fnntest_kdtree_create
#define eng_kdtree_knn fnntest_kdtree_knn
#define eng__kdtree_visit fnntest_kdtree_visit
#define eng_kdtree_count fnntest_kdtree_count
#define eng_kdtree_radius fnntest_kdtree_radius
#define eng__series_check fnntest_series_check
#define eng__mean_period fnntest_mean_period
#define eng__auto_theiler fnntest_auto_theiler
#define eng__t975 fnntest_t975
#include "../algorithms/dynamics/neighbors.c"

#include "engine.h"
#include "engine/dynamics.h"

static int scale(void)
{
  const char *s = getenv("ENGINE_TEST_SCALE");
  int k = s ? atoi(s) : 1;
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  k = 4;
#endif
  return k < 1 ? 1 : k;
}

/* Brute-force O(n^2) references written from the papers, independent of the k-d tree. */
static double fnn_brute(const double *x, size_t n, const eng_dim_opts *o, unsigned m)
{
  size_t rows = n - (size_t)m * o->tau;
  double mean = 0, ss = 0;
  for (size_t i = 0; i < n; i++) mean += x[i];
  mean /= n;
  for (size_t i = 0; i < n; i++) ss += (x[i] - mean) * (x[i] - mean);
  double ra = sqrt(ss / n);
  size_t nf = 0, cnt = 0;
  for (size_t i = 0; i < rows; i++) {
    double best = INFINITY;
    size_t arg = 0;
    for (size_t j = 0; j < rows; j++) {
      if ((i > j ? i - j : j - i) <= o->theiler) continue;
      double d = 0;
      for (unsigned k = 0; k < m; k++) {
        double v = x[i + k * o->tau] - x[j + k * o->tau];
        d += v * v;
      }
      if (d > 0 && d < best) {
        best = d;
        arg = j;
      }
    }
    if (best == INFINITY) continue;
    double e = fabs(x[i + m * o->tau] - x[arg + m * o->tau]);
    if (e / sqrt(best) > o->rtol || sqrt(best + e * e) / ra > o->atol) nf++;
    cnt++;
  }
  return (double)nf / cnt;
}

static void cao_brute(const double *x, size_t n, const eng_dim_opts *o, unsigned d, double *E,
                      double *Es)
{
  size_t rows = n - (size_t)d * o->tau, cnt = 0;
  double sa = 0, sb = 0;
  for (size_t i = 0; i < rows; i++) {
    double best = INFINITY;
    size_t arg = 0;
    for (size_t j = 0; j < rows; j++) {
      if ((i > j ? i - j : j - i) <= o->theiler) continue;
      double dist = 0;
      for (unsigned k = 0; k < d; k++) dist = fmax(dist, fabs(x[i + k * o->tau] - x[j + k * o->tau]));
      if (dist > 0 && dist < best) {
        best = dist;
        arg = j;
      }
    }
    if (best == INFINITY) continue;
    double e = fabs(x[i + d * o->tau] - x[arg + d * o->tau]);
    sa += fmax(best, e) / best;
    sb += e;
    cnt++;
  }
  *E = sa / cnt;
  *Es = sb / cnt;
}

START_TEST(tree_equals_brute_force)
{
  /* Random point sets (uniform, Gaussian, and an integer random walk full of
   * repeated values and equal distances) over several m, tau and Theiler
   * windows: every nearest neighbour must agree, or the fractions and the sums
   * of ratios would differ. */
  eng_rng r;
  eng_rng_seed(&r, 11);
  size_t n = 1200 / scale() + 100;
  double *x = malloc(n * sizeof *x);
  for (int set = 0; set < 3; set++) {
    double acc = 0;
    for (size_t i = 0; i < n; i++) {
      if (set == 0) x[i] = eng_rng_uniform(&r);
      else if (set == 1) x[i] = eng_rng_normal(&r);
      else x[i] = (acc += floor(eng_rng_uniform(&r) * 5) - 2); /* integer walk: many ties */
    }
    eng_dim_opts o;
    eng_dim_opts_init(&o);
    o.tau = 1 + set;
    o.theiler = set == 2 ? 0 : 3 * set;
    o.m_max = 5;
    for (unsigned m = 1; m <= 5; m++) {
      double f, E, Es, Eb, Esb;
      ck_assert_int_eq(eng_dim_fnn_one(x, n, &o, m, &f, NULL), 0);
      ck_assert_double_eq_tol(f, fnn_brute(x, n, &o, m), 1e-15);
      ck_assert_int_eq(eng_dim_cao_one(x, n, &o, m, &E, &Es, NULL), 0);
      cao_brute(x, n, &o, m, &Eb, &Esb);
      /* Ties (frequent with the integer walk and under the max norm) go to
       * the earliest row in both, so even then the answers are identical. */
      ck_assert_double_eq_tol(E, Eb, 1e-12 * Eb);
      ck_assert_double_eq_tol(Es, Esb, 1e-12 * Esb + 1e-300);
    }
  }
  free(x);
}
END_TEST

START_TEST(all_dimensions_equal_brute_force)
{
  /* The serial versions reuse one workspace across dimensions and seed
   * each search with hints from rows already answered: m = 1..10 in one call
   * must still agree with the brute force in every dimension, on a tie-rich
   * integer walk and on Gaussian noise, with Theiler windows 0 and 40, and
   * with a window wider than the series for the top dimensions (no
   * neighbour at all). */
  eng_rng r;
  eng_rng_seed(&r, 5);
  size_t n = 800 / scale() + 60;
  double *x = malloc(n * sizeof *x);
  for (int set = 0; set < 3; set++) {
    double acc = 0;
    for (size_t i = 0; i < n; i++)
      x[i] = set == 0 ? (acc += floor(eng_rng_uniform(&r) * 5) - 2) : eng_rng_normal(&r);
    eng_dim_opts o;
    eng_dim_opts_init(&o);
    o.tau = 2;
    o.m_max = 10;
    o.theiler = set == 0 ? 0 : (set == 1 ? 40 : (unsigned)(n - 12 * o.tau - 11));
    double frac[10], e1[10], e2[10];
    int rc = eng_dim_fnn(x, n, &o, frac, NULL, NULL);
    ck_assert(rc == 0 || rc == ENG_ERANGE);
    rc = eng_dim_cao(x, n, &o, e1, e2, NULL, NULL);
    ck_assert(rc == 0 || rc == ENG_ERANGE);
    double E[11], Es[11];
    for (unsigned d = 1; d <= 11; d++) {
      size_t rows = n - (size_t)d * o.tau;
      int any = rows > (size_t)o.theiler + 1;
      if (any) cao_brute(x, n, &o, d, &E[d - 1], &Es[d - 1]);
      else E[d - 1] = Es[d - 1] = 0.0;
    }
    for (unsigned m = 1; m <= 10; m++) {
      size_t rows = n - (size_t)m * o.tau;
      double fb = rows > (size_t)o.theiler + 1 ? fnn_brute(x, n, &o, m) : 0.0;
      ck_assert_double_eq_tol(frac[m - 1], fb, 1e-15);
      double a = E[m - 1] > 0.0 ? E[m] / E[m - 1] : 0.0;
      double b = Es[m - 1] > 0.0 ? Es[m] / Es[m - 1] : 0.0;
      ck_assert_double_eq_tol(e1[m - 1], a, 1e-12 * fabs(a) + 1e-300);
      ck_assert_double_eq_tol(e2[m - 1], b, 1e-12 * fabs(b) + 1e-300);
    }
  }
  free(x);
}
END_TEST

static double *series(eng_system_kind k, size_t n)
{
  eng_system s;
  double *x = malloc(n * sizeof *x);
  eng_system_init(&s, k);
  ck_assert_int_eq(eng_system_generate(&s, n, 1, NULL, x), 0);
  return x;
}

/* Brute-force nearest neighbour of row i of the delay vectors (dimension m,
 * delay tau): positive distance, |j - i| > theiler, ties to the smaller j,
 * the raw distance (squared Euclidean, or max norm) summed in coordinate
 * order as the definition reads. */
static size_t nn_brute(const double *x, size_t rows, unsigned m, unsigned tau, int maxnorm,
                       size_t theiler, size_t i, double *dist)
{
  double best = INFINITY;
  size_t arg = SIZE_MAX;
  for (size_t j = 0; j < rows; j++) {
    if ((i > j ? i - j : j - i) <= theiler) continue;
    double d = 0;
    for (unsigned c = 0; c < m; c++) {
      double v = x[i + c * tau] - x[j + c * tau];
      d = maxnorm ? fmax(d, fabs(v)) : d + v * v;
    }
    if (d > 0 && d < best) {
      best = d;
      arg = j;
    }
  }
  *dist = best;
  return arg;
}

START_TEST(core_paths_equal_brute_force)
{
  /* Every query of the core, through the portable leaf scan and (where the
   * CPU has it) the AVX2 one, with good, useless and out-of-range hints, on a
   * smooth flow, Gaussian noise and a tie-rich integer walk, under both
   * norms: the same neighbour and the bit-identical distance as the brute
   * force. */
  eng_rng r;
  eng_rng_seed(&r, 21);
  size_t n = 1200 / scale() + 80;
  double *x = series(ENG_SYS_LORENZ, n);
  double *y = malloc(n * sizeof *y), *z = malloc(n * sizeof *z);
  double acc = 0;
  for (size_t i = 0; i < n; i++) {
    y[i] = eng_rng_normal(&r);
    z[i] = (acc += floor(eng_rng_uniform(&r) * 5) - 2);
  }
  const double *sets[3] = {x, y, z};
  const unsigned ms[3] = {1, 3, 8};
  int paths = 1;
#if ENG__NN_AVX2
  paths = __builtin_cpu_supports("avx2") ? 2 : 1;
#endif
  for (int set = 0; set < 3; set++)
    for (int mi = 0; mi < 3; mi++)
      for (int maxnorm = 0; maxnorm < 2; maxnorm++)
        for (size_t theiler = 0; theiler <= 7; theiler += 7) {
          unsigned m = ms[mi], tau = 2;
          size_t rows = n - (size_t)(m - 1) * tau;
          void *work = malloc(fnntest_nn_work_size(rows, m));
          eng__nn t;
          fnntest_nn_build(&t, work, sets[set], rows, m, 1, tau, maxnorm);
          for (size_t i = 0; i < rows; i++) {
            double db;
            size_t jb = nn_brute(sets[set], rows, m, tau, maxnorm, theiler, i, &db);
            size_t hint[4] = {jb, i + 1, SIZE_MAX, eng_rng_next(&r) % (rows + 5)};
            for (int path = 0; path < paths; path++) {
              t.avx2 = path;
              for (unsigned nh = 0; nh <= 4; nh += 2) {
                double d;
                size_t j = fnntest_nn_self(&t, i, theiler, hint + (nh == 2 ? 2 : 0), nh, &d);
                ck_assert_uint_eq(j, jb);
                if (jb != SIZE_MAX) ck_assert(memcmp(&d, &db, sizeof d) == 0);
              }
            }
          }
          free(work);
        }
  free(x);
  free(y);
  free(z);
}
END_TEST

START_TEST(flow_all_dimensions_equal_brute_force)
{
  /* On a smooth flow the hints carried between dimensions and along the
   * trajectory are nearly always right: FNN and Cao over m = 1..10, serial
   * and one dimension at a time, must still equal the brute force. */
  size_t n = 1500 / scale() + 150;
  double *x = series(ENG_SYS_LORENZ, n);
  eng_dim_opts o;
  eng_dim_opts_init(&o);
  o.tau = 5;
  o.m_max = 10;
  o.theiler = 3;
  double frac[10], e1[10], e2[10], E[11], Es[11];
  int rc = eng_dim_fnn(x, n, &o, frac, NULL, NULL);
  ck_assert(rc == 0 || rc == ENG_ERANGE);
  rc = eng_dim_cao(x, n, &o, e1, e2, NULL, NULL);
  ck_assert(rc == 0 || rc == ENG_ERANGE);
  for (unsigned d = 1; d <= 11; d++) {
    cao_brute(x, n, &o, d, &E[d - 1], &Es[d - 1]);
    double Eo, Eso;
    ck_assert_int_eq(eng_dim_cao_one(x, n, &o, d, &Eo, &Eso, NULL), 0);
    ck_assert_double_eq_tol(Eo, E[d - 1], 1e-12 * E[d - 1]);
    ck_assert_double_eq_tol(Eso, Es[d - 1], 1e-12 * Es[d - 1]);
  }
  for (unsigned m = 1; m <= 10; m++) {
    double fb = fnn_brute(x, n, &o, m), fo;
    ck_assert_double_eq_tol(frac[m - 1], fb, 1e-15);
    ck_assert_int_eq(eng_dim_fnn_one(x, n, &o, m, &fo, NULL), 0);
    ck_assert_double_eq_tol(fo, fb, 1e-15);
    ck_assert_double_eq_tol(e1[m - 1], E[m] / E[m - 1], 1e-12 * E[m] / E[m - 1]);
    ck_assert_double_eq_tol(e2[m - 1], Es[m] / Es[m - 1], 1e-12 * Es[m] / Es[m - 1]);
  }
  free(x);
}
END_TEST

START_TEST(fnn_henon_lorenz)
{
  /* Kennel, Brown & Abarbanel (1992): the false fraction drops to ~0 at m = 2
   * for the Henon map and at m = 3 for Lorenz x (their Fig. 1 and 2). */
  size_t n = 10000 / scale();
  double frac[10];
  unsigned m;
  eng_dim_opts o;
  eng_dim_opts_init(&o);
  double *h = series(ENG_SYS_HENON, n);
  ck_assert_int_eq(eng_dim_fnn(h, n, &o, frac, &m, NULL), 0);
  ck_assert_uint_eq(m, 2);
  ck_assert(frac[0] > 0.3);
  free(h);
  double *l = series(ENG_SYS_LORENZ, n);
  o.tau = 10;
  ck_assert_int_eq(eng_dim_fnn(l, n, &o, frac, &m, NULL), 0);
  ck_assert_uint_eq(m, 3);
  ck_assert(frac[0] > 0.5);
  free(l);
}
END_TEST

START_TEST(cao_henon_lorenz_noise)
{
  /* Cao (1997) Figs. 1-3: E1 saturates from d = 2 (Henon) and d = 3 (Lorenz);
   * for white noise E2(d) ~ 1 for every d. */
  size_t n = 10000 / scale();
  double e1[10], e2[10];
  unsigned m;
  eng_dim_opts o;
  eng_dim_opts_init(&o);
  double *h = series(ENG_SYS_HENON, n);
  ck_assert_int_eq(eng_dim_cao(h, n, &o, e1, e2, &m, NULL), 0);
  ck_assert_uint_eq(m, 2);
  ck_assert(e1[0] < 0.8);
  free(h);
  double *l = series(ENG_SYS_LORENZ, n);
  o.tau = 10;
  ck_assert_int_eq(eng_dim_cao(l, n, &o, e1, e2, &m, NULL), 0);
  ck_assert_uint_eq(m, 3);
  /* A deterministic series has E2 != 1 somewhere (Cao 1997). */
  double dev = 0;
  for (int d = 0; d < 10; d++) dev = fmax(dev, fabs(e2[d] - 1));
  ck_assert(dev > 0.1);
  free(l);
  eng_rng r;
  eng_rng_seed(&r, 3);
  double *w = malloc(n * sizeof *w);
  for (size_t i = 0; i < n; i++) w[i] = eng_rng_normal(&r);
  o.tau = 1;
  eng_dim_cao(w, n, &o, e1, e2, &m, NULL);
  for (int d = 0; d < 10; d++) ck_assert_double_eq_tol(e2[d], 1.0, 0.1);
  free(w);
}
END_TEST

START_TEST(errors)
{
  double x[100], c[100];
  for (int i = 0; i < 100; i++) {
    x[i] = sin(i * 0.7) + 0.01 * i;
    c[i] = 2.0;
  }
  eng_dim_opts o;
  eng_dim_opts_init(&o);
  double f[10], e1[10], e2[10];
  unsigned m;
  ck_assert_int_eq(eng_dim_fnn(c, 100, &o, f, &m, NULL), ENG_ECONST);
  ck_assert_int_eq(eng_dim_cao(c, 100, &o, e1, e2, &m, NULL), ENG_ECONST);
  ck_assert_int_eq(eng_dim_fnn(x, 15, &o, f, &m, NULL), ENG_ESHORT);
  o.tau = 20;
  ck_assert_int_eq(eng_dim_cao(x, 100, &o, e1, e2, &m, NULL), ENG_ESHORT);
  o.tau = 0;
  ck_assert_int_eq(eng_dim_fnn(x, 100, &o, f, &m, NULL), ENG_EINVAL);
  o.tau = 1;
  o.m_max = 0;
  ck_assert_int_eq(eng_dim_cao(x, 100, &o, e1, e2, &m, NULL), ENG_EINVAL);
  ck_assert_int_eq(eng_dim_fnn(x, 100, NULL, f, &m, NULL), ENG_EINVAL);
  o.m_max = 3;
  ck_assert_int_eq(eng_dim_fnn_one(x, 100, &o, 4, f, NULL), ENG_EINVAL);
  ck_assert_int_eq(eng_dim_fnn_one(x, 100, &o, 0, f, NULL), ENG_EINVAL);
  x[50] = NAN;
  ck_assert_int_eq(eng_dim_fnn(x, 100, &o, f, &m, NULL), ENG_ENAN);
  ck_assert_int_eq(eng_dim_cao(x, 100, &o, e1, e2, &m, NULL), ENG_ENAN);
}
END_TEST

START_TEST(choose_rules)
{
  unsigned m;
  double f[4] = {0.8, 0.2, 0.005, 0.0};
  ck_assert_int_eq(eng_dim_fnn_choose(f, 4, 0.01, &m), 0);
  ck_assert_uint_eq(m, 3);
  ck_assert_int_eq(eng_dim_fnn_choose(f, 2, 0.01, &m), ENG_ERANGE);
  ck_assert_uint_eq(m, 2);
  double e[4] = {0.4, 0.97, 0.99, 1.0};
  ck_assert_int_eq(eng_dim_cao_choose(e, 4, 0.05, &m), 0);
  ck_assert_uint_eq(m, 2);
  double g[3] = {0.2, 0.5, 0.8};
  ck_assert_int_eq(eng_dim_cao_choose(g, 3, 0.05, &m), ENG_ERANGE);
}
END_TEST


static eng_engine *make_engine(unsigned workers)
{
  eng_config cfg;
  eng_engine *e = NULL;
  eng_config_init(&cfg);
  cfg.workers = workers;
  cfg.pin = 0;
  ck_assert_int_eq(eng_engine_create(&e, &cfg), 0);
  return e;
}

typedef struct par_call {
  eng_engine *e;
  const double *x;
  size_t n;
  eng_dim_opts o;
  double frac[10];
  unsigned m;
  int rc;
} par_call;

static void *par_on_worker(void *arg)
{
  par_call *c = arg;
  c->rc = eng_dim_fnn_par(c->e, c->x, c->n, &c->o, c->frac, &c->m);
  return NULL;
}

START_TEST(scheduled_equals_serial)
{
  /* One task per dimension gives exactly the serial curves, from a foreign
   * thread and from inside a worker, on 1 and 2 workers. */
  size_t n = 4000 / scale();
  double *x = series(ENG_SYS_LORENZ, n);
  eng_dim_opts o;
  eng_dim_opts_init(&o);
  o.tau = 10;
  o.m_max = 6;
  double f0[6], f1[6], a0[6], b0[6], a1[6], b1[6];
  unsigned m0, m1, c0, c1;
  ck_assert_int_eq(eng_dim_fnn(x, n, &o, f0, &m0, NULL), 0);
  ck_assert_int_eq(eng_dim_cao(x, n, &o, a0, b0, &c0, NULL), 0);
  for (unsigned w = 1; w <= 2; w++) {
    eng_engine *e = make_engine(w);
    ck_assert_int_eq(eng_dim_fnn_par(e, x, n, &o, f1, &m1), 0);
    ck_assert_int_eq(eng_dim_cao_par(e, x, n, &o, a1, b1, &c1), 0);
    ck_assert_uint_eq(m0, m1);
    ck_assert_uint_eq(c0, c1);
    for (int k = 0; k < 6; k++) {
      ck_assert_double_eq(f0[k], f1[k]);
      ck_assert_double_eq(a0[k], a1[k]);
      ck_assert_double_eq(b0[k], b1[k]);
    }
    par_call c = {.e = e, .x = x, .n = n, .o = o};
    eng_future *fu;
    ck_assert_int_eq(eng_async(e, par_on_worker, &c, NULL, &fu), 0);
    ck_assert_int_eq(eng_future_wait(fu, NULL), 0);
    eng_future_release(fu);
    ck_assert_int_eq(c.rc, 0);
    for (int k = 0; k < 6; k++) ck_assert_double_eq(c.frac[k], f0[k]);
    /* Errors come back before any task is submitted. */
    ck_assert_int_eq(eng_dim_fnn_par(e, x, 20, &o, f1, &m1), ENG_ESHORT);
    ck_assert_int_eq(eng_dim_cao_par(NULL, x, n, &o, a1, b1, &c1), ENG_EINVAL);
    /* Helpers still queued when the engine goes away with CANCEL free their
     * share of the context through their future (checked by LeakSanitizer). */
    ck_assert_int_eq(eng_engine_destroy(e, w == 2 ? ENG_DRAIN_CANCEL : ENG_DRAIN_FINISH, NULL), 0);
  }
  free(x);
}
END_TEST

START_TEST(spectrum_scheduled)
{
  eng_engine *e = make_engine(2);
  eng_system sys[3];
  eng_system_init(&sys[0], ENG_SYS_HENON);
  eng_system_init(&sys[1], ENG_SYS_LOGISTIC);
  eng_system_init(&sys[2], ENG_SYS_LOGISTIC);
  sys[2].p[0] = 2.8;
  eng_spectrum_opts so = {100000, 1};
  double ex[9], one[3];
  int st[3];
  ck_assert_int_eq(eng_spectrum_par(e, sys, 3, &so, ex, st), 0);
  for (int i = 0; i < 3; i++) {
    ck_assert_int_eq(st[i], 0);
    ck_assert_int_eq(eng_spectrum(&sys[i], &so, one, NULL), 0);
    ck_assert_double_eq(ex[3 * i], one[0]);
  }
  ck_assert_double_eq_tol(ex[6], log(0.8), 1e-3);
  sys[1].kind = (eng_system_kind)9;
  ck_assert_int_eq(eng_spectrum_par(e, sys, 3, &so, ex, st), ENG_EINVAL);
  ck_assert_int_eq(st[1], ENG_EINVAL);
  ck_assert_int_eq(st[0], 0);
  ck_assert_int_eq(eng_engine_destroy(e, ENG_DRAIN_FINISH, NULL), 0);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("fnn");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, tree_equals_brute_force);
  tcase_add_test(tc, all_dimensions_equal_brute_force);
  tcase_add_test(tc, core_paths_equal_brute_force);
  tcase_add_test(tc, flow_all_dimensions_equal_brute_force);
  tcase_add_test(tc, fnn_henon_lorenz);
  tcase_add_test(tc, cao_henon_lorenz_noise);
  tcase_add_test(tc, errors);
  tcase_add_test(tc, choose_rules);
  tcase_add_test(tc, scheduled_equals_serial);
  tcase_add_test(tc, spectrum_scheduled);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
