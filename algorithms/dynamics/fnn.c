/* fnn.c: embedding dimension by false nearest neighbours (Kennel et al. 1992) and Cao (1997), on a file-local k-d tree. */
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

/* ------------------------------------------------------------ k-d tree
 * An implicit tree over rows stored contiguously: the range [lo, hi) splits at
 * mid = (lo + hi) / 2 on dimension sdim[mid], rows left of mid are <= the split
 * row and rows right of it >=. Ranges of at most LEAF rows are scanned. */
#define LEAF 8

typedef struct kdtree {
  double *pts;         /* rows x m, in tree order */
  size_t *orig;        /* original row index of each tree position */
  unsigned char *sdim; /* split dimension at each mid position */
  size_t rows;
  unsigned m;
  int maxnorm;         /* 1: Chebyshev distance, 0: squared Euclidean */
} kdtree;

/* Quickselect on the permutation: puts the row of rank k by coordinate d of the
 * delay vectors (x[orig + d*tau]) at position k. Hoare partition with a
 * median-of-three pivot, which keeps the sorted runs common in series linear. */
static void select_rows(kdtree *t, const double *x, size_t tau, size_t lo, size_t hi, size_t k,
                        unsigned d)
{
  size_t *o = t->orig;
  const double *key = x + (size_t)d * tau;
  while (hi - lo > 1) {
    size_t mid = lo + (hi - lo) / 2;
    double a = key[o[lo]], b = key[o[mid]], c = key[o[hi - 1]];
    double piv = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
    size_t i = lo, j = hi - 1;
    for (;;) {
      while (key[o[i]] < piv) i++;
      while (key[o[j]] > piv) j--;
      if (i >= j) break;
      size_t tmp = o[i];
      o[i] = o[j];
      o[j] = tmp;
      i++;
      j--;
    }
    if (i == j) {
      /* Row j equals piv and sits at its final rank. */
      if (k == j) return;
      if (k < j) hi = j;
      else lo = j + 1;
    } else {
      /* A swap happened, so lo <= j < hi - 1: [lo, j] <= piv <= [j+1, hi). */
      if (k <= j) hi = j + 1;
      else lo = j + 1;
    }
  }
}

static void build(kdtree *t, const double *x, size_t tau, size_t lo, size_t hi)
{
  if (hi - lo <= LEAF) return;
  const unsigned m = t->m;
  unsigned best = 0;
  double spread = -1.0;
  /* The widest coordinate, judged on at most 64 evenly spaced rows: exact
   * spreads would cost O(n m) per tree level for little better splits. */
  size_t step = (hi - lo + 63) / 64;
  for (unsigned d = 0; d < m; d++) {
    const double *key = x + (size_t)d * tau;
    double mn = INFINITY, mx = -INFINITY;
    for (size_t i = lo; i < hi; i += step) {
      double v = key[t->orig[i]];
      if (v < mn) mn = v;
      if (v > mx) mx = v;
    }
    if (mx - mn > spread) {
      spread = mx - mn;
      best = d;
    }
  }
  size_t mid = lo + (hi - lo) / 2;
  select_rows(t, x, tau, lo, hi, mid, best);
  t->sdim[mid] = (unsigned char)best;
  build(t, x, tau, lo, mid);
  build(t, x, tau, mid + 1, hi);
}

typedef struct query {
  const double *q;
  size_t self, theiler;
  double best;  /* current distance (squared for Euclidean) */
  size_t arg;   /* original index of the best row, SIZE_MAX for none */
} query;

static inline void consider(const kdtree *t, query *s, size_t pos)
{
  size_t o = t->orig[pos];
  size_t gap = o > s->self ? o - s->self : s->self - o;
  if (gap <= s->theiler) return;
  const double *p = t->pts + pos * t->m;
  const double best = s->best;
  double d = 0.0;
  /* Partial distances stop as soon as they exceed the best so far. */
  if (t->maxnorm) {
    for (unsigned j = 0; j < t->m && d <= best; j++) {
      double v = fabs(p[j] - s->q[j]);
      if (v > d) d = v;
    }
  } else {
    for (unsigned j = 0; j < t->m && d <= best; j++) {
      double v = p[j] - s->q[j];
      d += v * v;
    }
  }
  /* Zero distances (repeated points) carry no information for either method.
   * Equal distances are common under the max norm (rows i-1 and i+1 share
   * coordinate differences with row i), so ties go to the earliest row: the
   * answer is then the same whatever order the tree visits the rows in. */
  if (d > 0.0 && (d < best || (d == best && o < s->arg))) {
    s->best = d;
    s->arg = o;
  }
}

/* Depth-first search with the incremental distance from the query to each
 * cell (Arya & Mount 1993): off[d] is the query's offset from the cell along d
 * and rd the resulting cell distance, so a far branch is skipped whenever its
 * whole box, not just its splitting plane, is farther than the best so far. */
static void search(const kdtree *t, query *s, size_t lo, size_t hi, double rd, double *off)
{
  while (hi - lo > LEAF) {
    size_t mid = lo + (hi - lo) / 2;
    unsigned d = t->sdim[mid];
    double diff = s->q[d] - t->pts[mid * t->m + d];
    consider(t, s, mid);
    size_t nlo, nhi, flo, fhi;
    if (diff < 0) {
      nlo = lo; nhi = mid; flo = mid + 1; fhi = hi;
    } else {
      nlo = mid + 1; nhi = hi; flo = lo; fhi = mid;
    }
    search(t, s, nlo, nhi, rd, off);
    double old = off[d], frd;
    if (t->maxnorm) frd = rd > fabs(diff) ? rd : fabs(diff);
    else frd = rd - old * old + diff * diff;
    /* <=: a cell at exactly the best distance may hold an earlier tie. */
    if (!(frd <= s->best)) return;
    /* Tail-iterate into the far child with the updated cell distance. */
    off[d] = diff;
    lo = flo;
    hi = fhi;
    rd = frd;
    search(t, s, lo, hi, rd, off);
    off[d] = old;
    return;
  }
  for (size_t i = lo; i < hi; i++) consider(t, s, i);
}

/* Builds the tree over the first rows delay vectors of dimension m of x. */
static void tree_init(kdtree *t, void *work, const double *x, size_t rows, unsigned m,
                      unsigned tau, int maxnorm)
{
  t->pts = work;
  t->orig = (size_t *)(t->pts + rows * m);
  t->sdim = (unsigned char *)(t->orig + rows);
  t->rows = rows;
  t->m = m;
  t->maxnorm = maxnorm;
  for (size_t i = 0; i < rows; i++) t->orig[i] = i;
  build(t, x, tau, 0, rows);
  /* Rows in tree order, contiguous, for the distance loops. */
  for (size_t pos = 0; pos < rows; pos++)
    for (unsigned j = 0; j < m; j++) t->pts[pos * m + j] = x[t->orig[pos] + (size_t)j * tau];
}

/* Squared Euclidean or max-norm distance between rows a and b of the series. */
static double row_dist(const kdtree *t, const double *x, size_t tau, size_t a, const double *q)
{
  double d = 0.0;
  for (unsigned j = 0; j < t->m; j++) {
    double v = fabs(x[a + (size_t)j * tau] - q[j]);
    if (t->maxnorm) d = v > d ? v : d;
    else d += v * v;
  }
  return d;
}

/* Nearest neighbour of the row at tree position pos (outside the Theiler
 * window). Queries run in tree order, so the previous query's row and its
 * neighbour are spatially close to this one: the smaller of their distances
 * is the starting bound, which prunes most of the tree at once. */
static void nearest(const kdtree *t, const double *x, size_t tau, size_t pos, size_t g1,
                    size_t g2, size_t theiler, query *s)
{
  const unsigned m = t->m;
  size_t i = t->orig[pos];
  s->q = t->pts + pos * m;
  s->self = i;
  s->theiler = theiler;
  s->best = INFINITY;
  s->arg = SIZE_MAX;
  size_t gs[2] = {g1, g2};
  for (int k = 0; k < 2; k++) {
    size_t g = gs[k];
    size_t gap = g > i ? g - i : i - g;
    if (g >= t->rows || gap <= theiler) continue;
    double d = row_dist(t, x, tau, g, s->q);
    /* Slightly above, so that this candidate is found again through the tree
     * and ties resolve exactly as a search without a bound would. */
    if (d > 0.0 && d * (1.0 + 1e-12) < s->best) s->best = d * (1.0 + 1e-12);
  }
  double off[256];
  for (unsigned j = 0; j < m; j++) off[j] = 0.0;
  search(t, s, 0, t->rows, 0.0, off);
}

size_t eng_dim_work_size(size_t n, unsigned m_max)
{
  return n * ((size_t)(m_max + 1) * sizeof(double) + sizeof(size_t) + 1);
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

/* Core of FNN for one m; x already validated, ra = std of x. */
static double fnn_one(const double *x, size_t n, const eng_dim_opts *o, unsigned m, double ra,
                      void *work)
{
  kdtree t;
  const unsigned tau = o->tau;
  size_t rows = n - (size_t)m * tau;
  tree_init(&t, work, x, rows, m, tau, 0);
  size_t nfalse = 0, count = 0, g1 = SIZE_MAX, g2 = SIZE_MAX;
  for (size_t pos = 0; pos < rows; pos++) {
    query s;
    nearest(&t, x, tau, pos, g1, g2, o->theiler, &s);
    g1 = s.self;
    g2 = s.arg;
    if (s.arg == SIZE_MAX) continue;
    size_t i = s.self;
    size_t j = s.arg;
    double rm = sqrt(s.best);
    double ext = fabs(x[i + (size_t)m * tau] - x[j + (size_t)m * tau]);
    double rm1 = sqrt(s.best + ext * ext);
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
  *frac = fnn_one(x, n, o, m, series_std(x, n), mem);
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
  for (unsigned k = 1; k <= o->m_max; k++) f[k - 1] = fnn_one(x, n, o, k, ra, mem);
  if (mem != work) free(mem);
  unsigned chosen = 0;
  rc = eng_dim_fnn_choose(f, o->m_max, o->fnn_max, &chosen);
  if (m) *m = chosen;
  return rc;
}

/* Cao (1997) E(d) and E*(d) for one d; x validated. */
static void cao_one(const double *x, size_t n, const eng_dim_opts *o, unsigned d, double *E,
                    double *Es, void *work)
{
  kdtree t;
  const unsigned tau = o->tau;
  size_t rows = n - (size_t)d * tau;
  tree_init(&t, work, x, rows, d, tau, 1);
  double sa = 0.0, sb = 0.0;
  size_t count = 0, g1 = SIZE_MAX, g2 = SIZE_MAX;
  for (size_t pos = 0; pos < rows; pos++) {
    query s;
    nearest(&t, x, tau, pos, g1, g2, o->theiler, &s);
    g1 = s.self;
    g2 = s.arg;
    if (s.arg == SIZE_MAX) continue;
    size_t i = s.self;
    double ext = fabs(x[i + (size_t)d * tau] - x[s.arg + (size_t)d * tau]);
    /* Cao (1997) eq. (1): the (d+1)-dim max-norm distance over the d-dim one. */
    sa += (ext > s.best ? ext : s.best) / s.best;
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
  cao_one(x, n, o, d, E, Estar, mem);
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
  for (unsigned d = 1; d <= o->m_max + 1; d++) cao_one(x, n, o, d, &E[d - 1], &Es[d - 1], mem);
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
