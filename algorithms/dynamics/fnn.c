/* fnn.c: embedding dimension by false nearest neighbours (Kennel et al. 1992) and Cao (1997), on the shared k-d tree core. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/dynamics.h"
#include "dyn_internal.h"

void eng_dim_opts_init(eng_dim_opts *o)
{
  if (!o) return;
  o->tau = 1;
  o->m_max = 10;
  o->theiler = 0;
  o->rtol = 15.0;
  o->atol = 2.0;
  o->fnn_max = 0.01;
  o->cao_tol = 0.1;
}

/* Neighbour search: the shared k-d tree core (neighbors.c), built per
 * dimension over the delay vectors read in place from x. */

size_t eng_dim_work_size(size_t n, unsigned m_max)
{
  /* Cao needs dimension m_max + 1; one extra array holds each vector's
   * neighbour, another its distance. */
  return eng__nn_work_size(n, m_max + 1) + 64 + n * (sizeof(size_t) + sizeof(double));
}

/* Nearest neighbour of every row of dimension m (rows of x with an (m+1)-th
 * coordinate) into nn[i] (SIZE_MAX for none), its raw distance into dd[i].
 *
 * Each query starts from hints that only tighten the search's starting
 * bound (the answer is the exact nearest neighbour either way). Queries go
 * in leaf order: consecutive ones are neighbours in space, so the previous
 * answer is a good hint and the leaves stay cached. A flow's neighbours also
 * move along together: when row i - 1 has neighbour j, row i usually has
 * j + 1 (and when i + 1 has j, i has j - 1). Each dimension is searched
 * from nothing else: the neighbour of the dimension below, tried as a
 * fourth hint, cost more to evaluate than it saved once these were there,
 * and leaving it out makes every dimension independent, so the scheduled
 * per-dimension jobs do exactly the serial kernel's work. */
static void all_nearest(const double *x, size_t rows, unsigned m, unsigned tau, size_t theiler,
                        int maxnorm, void *work, size_t *nn, double *dd)
{
  eng__nn t;
  eng__nn_build(&t, work, x, rows, m, 1, tau, maxnorm);
  for (size_t i = 0; i < rows; i++) nn[i] = SIZE_MAX;
  size_t prev = SIZE_MAX;
  for (size_t s = 0; s < t.nleaf * ENG__NN_LEAF; s++) {
    size_t i = t.idx[s];
    if (i == SIZE_MAX) continue;
    size_t before = i > 0 && nn[i - 1] != SIZE_MAX ? nn[i - 1] + 1 : SIZE_MAX;
    size_t after = i + 1 < rows && nn[i + 1] != SIZE_MAX && nn[i + 1] > 0 ? nn[i + 1] - 1
                                                                         : SIZE_MAX;
    size_t hint[3] = {prev, before, after};
    double d;
    size_t j = eng__nn_self(&t, i, theiler, hint, 3, &d);
    nn[i] = j;
    dd[i] = d;
    prev = j;
  }
}

static int check(const double *x, size_t n, const eng_dim_opts *o, unsigned m_top)
{
  if (!x || !o || o->tau == 0 || o->m_max == 0 || o->m_max > 200) return ENG_EINVAL;
  if (!(o->rtol > 0.0) || !(o->atol > 0.0)) return ENG_EINVAL;
  /* Need at least 10 vectors with m_top + 1 coordinates. */
  size_t rows = eng_embed_rows(n, m_top + 1, o->tau);
  if (rows < 10 || rows <= (size_t)o->theiler + 1) return ENG_ESHORT;
  return eng__dyn_scan(x, n);
}

static double series_std(const double *x, size_t n)
{
  double mean = 0.0, ss = 0.0;
  for (size_t i = 0; i < n; i++) mean += x[i];
  mean /= (double)n;
  for (size_t i = 0; i < n; i++) ss += (x[i] - mean) * (x[i] - mean);
  return sqrt(ss / (double)n);
}

/* Workspace layout: neighbours, their distances, then the tree. */
typedef struct dimwork {
  size_t *nn;
  double *dd;
  void *tree;
} dimwork;

static dimwork split_work(void *work, size_t n)
{
  dimwork w;
  w.nn = work;
  w.dd = (double *)(w.nn + n);
  w.tree = w.dd + n;
  return w;
}

/* Core of FNN for one m; x already validated, ra = std of x. w.nn receives
 * the neighbours of dimension m. */
static double fnn_one(const double *x, size_t n, const eng_dim_opts *o, unsigned m, double ra,
                      dimwork w)
{
  const unsigned tau = o->tau;
  size_t rows = n - (size_t)m * tau;
  all_nearest(x, rows, m, tau, o->theiler, 0, w.tree, w.nn, w.dd);
  size_t nfalse = 0, count = 0;
  for (size_t i = 0; i < rows; i++) {
    size_t j = w.nn[i];
    if (j == SIZE_MAX) continue;
    double rm = sqrt(w.dd[i]);
    double ext = fabs(x[i + (size_t)m * tau] - x[j + (size_t)m * tau]);
    double rm1 = sqrt(w.dd[i] + ext * ext);
    /* Kennel, Brown & Abarbanel (1992) eqs. (4) and (5). */
    if (ext / rm > o->rtol || rm1 / ra > o->atol) nfalse++;
    count++;
  }
  return count ? (double)nfalse / (double)count : 0.0;
}

int eng_dim_fnn_one(const double *x, size_t n, const eng_dim_opts *o, unsigned m, double *frac,
                    void *work)
{
  if (!frac || m == 0 || (o && m > o->m_max)) return ENG_EINVAL;
  int rc = check(x, n, o, m);
  if (rc) return rc;
  void *mem = work;
  if (!mem && !(mem = malloc(eng_dim_work_size(n, m)))) return ENG_ENOMEM;
  dimwork w = split_work(mem, n);
  *frac = fnn_one(x, n, o, m, series_std(x, n), w);
  if (mem != work) free(mem);
  return 0;
}

int eng_dim_fnn_choose(const double *frac, unsigned m_max, double fnn_max, unsigned *m)
{
  if (!frac || !m || m_max == 0) return ENG_EINVAL;
  for (unsigned k = 1; k <= m_max; k++)
    if (frac[k - 1] <= fnn_max) {
      *m = k;
      return 0;
    }
  *m = m_max;
  return ENG_ERANGE;
}

int eng_dim_fnn(const double *x, size_t n, const eng_dim_opts *o, double *frac, unsigned *m,
                void *work)
{
  int rc = check(x, n, o, o ? o->m_max : 1);
  if (rc) return rc;
  double local[200], *f = frac ? frac : local;
  void *mem = work;
  if (!mem && !(mem = malloc(eng_dim_work_size(n, o->m_max)))) return ENG_ENOMEM;
  double ra = series_std(x, n);
  dimwork w = split_work(mem, n);
  for (unsigned k = 1; k <= o->m_max; k++) f[k - 1] = fnn_one(x, n, o, k, ra, w);
  if (mem != work) free(mem);
  unsigned chosen = 0;
  rc = eng_dim_fnn_choose(f, o->m_max, o->fnn_max, &chosen);
  if (m) *m = chosen;
  return rc;
}

/* Cao (1997) E(d) and E*(d) for one d; x validated; w.nn as for fnn_one. */
static void cao_one(const double *x, size_t n, const eng_dim_opts *o, unsigned d, double *E,
                    double *Es, dimwork w)
{
  const unsigned tau = o->tau;
  size_t rows = n - (size_t)d * tau;
  all_nearest(x, rows, d, tau, o->theiler, 1, w.tree, w.nn, w.dd);
  double sa = 0.0, sb = 0.0;
  size_t count = 0;
  for (size_t i = 0; i < rows; i++) {
    size_t j = w.nn[i];
    if (j == SIZE_MAX) continue;
    double best = w.dd[i];
    double ext = fabs(x[i + (size_t)d * tau] - x[j + (size_t)d * tau]);
    /* Cao (1997) eq. (1): the (d+1)-dim max-norm distance over the d-dim one. */
    sa += (ext > best ? ext : best) / best;
    sb += ext;
    count++;
  }
  *E = count ? sa / (double)count : 0.0;
  *Es = count ? sb / (double)count : 0.0;
}

int eng_dim_cao_one(const double *x, size_t n, const eng_dim_opts *o, unsigned d, double *E,
                    double *Estar, void *work)
{
  if (!E || !Estar || d == 0 || (o && d > o->m_max + 1)) return ENG_EINVAL;
  int rc = check(x, n, o, d);
  if (rc) return rc;
  void *mem = work;
  if (!mem && !(mem = malloc(eng_dim_work_size(n, d)))) return ENG_ENOMEM;
  dimwork w = split_work(mem, n);
  cao_one(x, n, o, d, E, Estar, w);
  if (mem != work) free(mem);
  return 0;
}

int eng_dim_cao_choose(const double *e1, unsigned m_max, double cao_tol, unsigned *m)
{
  if (!e1 || !m || m_max == 0) return ENG_EINVAL;
  for (unsigned d = 1; d < m_max; d++)
    if (fabs(e1[d] - e1[d - 1]) <= cao_tol && e1[d - 1] >= 1.0 - 2.0 * cao_tol) {
      *m = d;
      return 0;
    }
  *m = m_max;
  return ENG_ERANGE;
}

int eng_dim_cao(const double *x, size_t n, const eng_dim_opts *o, double *e1, double *e2,
                unsigned *m, void *work)
{
  int rc = check(x, n, o, o ? o->m_max + 1 : 1);
  if (rc) return rc;
  double E[201], Es[201], l1[200], l2[200];
  void *mem = work;
  if (!mem && !(mem = malloc(eng_dim_work_size(n, o->m_max)))) return ENG_ENOMEM;
  dimwork w = split_work(mem, n);
  for (unsigned d = 1; d <= o->m_max + 1; d++) cao_one(x, n, o, d, &E[d - 1], &Es[d - 1], w);
  if (mem != work) free(mem);
  double *a = e1 ? e1 : l1, *b = e2 ? e2 : l2;
  for (unsigned d = 1; d <= o->m_max; d++) {
    a[d - 1] = E[d - 1] > 0.0 ? E[d] / E[d - 1] : 0.0;
    b[d - 1] = Es[d - 1] > 0.0 ? Es[d] / Es[d - 1] : 0.0;
  }
  unsigned chosen = 0;
  rc = eng_dim_cao_choose(a, o->m_max, o->cao_tol, &chosen);
  if (m) *m = chosen;
  return rc;
}
