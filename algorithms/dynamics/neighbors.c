/* neighbors.c: k-d tree over delay vectors: k nearest and fixed-radius queries with a Theiler window. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "attr_internal.h"

/* Buckets this small keep the leaf scan short; median splits guarantee every
 * leaf holds at least BUCKET/2 points, which bounds the node count. */
#define BUCKET 8

typedef struct node {
  size_t lo, hi;   /* slots [lo, hi) */
  long left, right; /* child node indexes, -1 for a leaf */
} node;

struct eng_kdtree {
  size_t n;
  unsigned m;
  eng_norm norm;
  double *pts;  /* n * m coordinates in slot order */
  size_t *idx;  /* slot -> original point index */
  node *nodes;
  double *box;  /* per node: m minima then m maxima */
  size_t nnodes, cap;
};

int eng_points_delay(eng_points *p, const double *x, size_t n, unsigned m, unsigned tau)
{
  if (!p || !x || m == 0 || tau == 0)
    return ENG_EINVAL;
  size_t span = (size_t)(m - 1) * tau;
  if (n <= span)
    return ENG_ESHORT;
  p->base = x;
  p->n = n - span;
  p->m = m;
  p->pstride = 1;
  p->cstride = tau;
  return 0;
}

int eng_points_rows(eng_points *p, const double *rows, size_t n, unsigned m)
{
  if (!p || !rows || n == 0 || m == 0)
    return ENG_EINVAL;
  p->base = rows;
  p->n = n;
  p->m = m;
  p->pstride = m;
  p->cstride = 1;
  return 0;
}

size_t eng_kdtree_size(const eng_kdtree *t) { return t ? t->n : 0; }
const double *eng__kdtree_points(const eng_kdtree *t) { return t->pts; }
const size_t *eng__kdtree_index(const eng_kdtree *t) { return t->idx; }

/* Quickselect on idx[lo, hi) by coordinate c so that slot k holds the k-th
 * smallest, smaller-or-equal ones to its left. Three-way partition: series
 * often repeat values, and equal keys must not stall the loop. */
static void select_k(const eng_points *p, size_t *idx, size_t lo, size_t hi, size_t k, unsigned c)
{
  while (hi - lo > 1) {
    size_t mid = lo + (hi - lo) / 2;
    double a = eng_points_at(p, idx[lo], c), b = eng_points_at(p, idx[mid], c),
           d = eng_points_at(p, idx[hi - 1], c);
    double piv = a < b ? (b < d ? b : (a < d ? d : a)) : (a < d ? a : (b < d ? d : b));
    size_t lt = lo, i = lo, gt = hi, t;
    while (i < gt) {
      double v = eng_points_at(p, idx[i], c);
      if (v < piv) {
        t = idx[lt];
        idx[lt++] = idx[i];
        idx[i++] = t;
      } else if (v > piv) {
        t = idx[--gt];
        idx[gt] = idx[i];
        idx[i] = t;
      } else {
        i++;
      }
    }
    if (k < lt)
      hi = lt;
    else if (k >= gt)
      lo = gt;
    else
      return;
  }
}

static long build(eng_kdtree *t, const eng_points *p, size_t lo, size_t hi)
{
  long id = (long)t->nnodes++;
  unsigned m = t->m;
  double *mn = t->box + (size_t)id * 2 * m, *mx = mn + m;
  for (unsigned c = 0; c < m; c++) {
    mn[c] = INFINITY;
    mx[c] = -INFINITY;
  }
  for (size_t s = lo; s < hi; s++)
    for (unsigned c = 0; c < m; c++) {
      double v = eng_points_at(p, t->idx[s], c);
      if (v < mn[c])
        mn[c] = v;
      if (v > mx[c])
        mx[c] = v;
    }
  unsigned best = 0;
  double ext = -1.0;
  for (unsigned c = 0; c < m; c++)
    if (mx[c] - mn[c] > ext) {
      ext = mx[c] - mn[c];
      best = c;
    }
  t->nodes[id].lo = lo;
  t->nodes[id].hi = hi;
  t->nodes[id].left = t->nodes[id].right = -1;
  if (hi - lo <= BUCKET || !(ext > 0.0) || t->nnodes + 2 > t->cap)
    return id;
  size_t mid = lo + (hi - lo) / 2;
  select_k(p, t->idx, lo, hi, mid, best);
  long l = build(t, p, lo, mid);
  long r = build(t, p, mid, hi);
  t->nodes[id].left = l;
  t->nodes[id].right = r;
  return id;
}

void eng_kdtree_destroy(eng_kdtree *t)
{
  if (!t)
    return;
  free(t->pts);
  free(t->idx);
  free(t->nodes);
  free(t->box);
  free(t);
}

int eng_kdtree_create(eng_kdtree **out, const eng_points *p, eng_norm norm)
{
  if (!out || !p || !p->base || p->n == 0 || p->m == 0 ||
      (norm != ENG_NORM_EUCLID && norm != ENG_NORM_MAX))
    return ENG_EINVAL;
  *out = NULL;
  eng_kdtree *t = calloc(1, sizeof *t);
  if (!t)
    return ENG_ENOMEM;
  t->n = p->n;
  t->m = p->m;
  t->norm = norm;
  t->cap = 2 * (p->n / (BUCKET / 2) + 1) + 1;
  t->pts = malloc(p->n * p->m * sizeof *t->pts);
  t->idx = malloc(p->n * sizeof *t->idx);
  t->nodes = malloc(t->cap * sizeof *t->nodes);
  t->box = malloc(t->cap * 2 * p->m * sizeof *t->box);
  if (!t->pts || !t->idx || !t->nodes || !t->box) {
    eng_kdtree_destroy(t);
    return ENG_ENOMEM;
  }
  for (size_t i = 0; i < p->n; i++)
    t->idx[i] = i;
  build(t, p, 0, p->n);
  for (size_t s = 0; s < p->n; s++)
    for (unsigned c = 0; c < p->m; c++)
      t->pts[s * p->m + c] = eng_points_at(p, t->idx[s], c);
  *out = t;
  return 0;
}

/* Distances are compared "raw": squared for the Euclidean norm. */
static inline double box_dist(const eng_kdtree *t, long id, const double *q)
{
  unsigned m = t->m;
  const double *mn = t->box + (size_t)id * 2 * m, *mx = mn + m;
  double acc = 0.0;
  for (unsigned c = 0; c < m; c++) {
    double d = 0.0;
    if (q[c] < mn[c])
      d = mn[c] - q[c];
    else if (q[c] > mx[c])
      d = q[c] - mx[c];
    if (t->norm == ENG_NORM_MAX) {
      if (d > acc)
        acc = d;
    } else {
      acc += d * d;
    }
  }
  return acc;
}

static inline double pt_dist(const eng_kdtree *t, size_t s, const double *q, double bound)
{
  unsigned m = t->m;
  const double *y = t->pts + s * m;
  double acc = 0.0;
  if (t->norm == ENG_NORM_MAX) {
    for (unsigned c = 0; c < m; c++) {
      double d = fabs(y[c] - q[c]);
      if (d > acc) {
        acc = d;
        if (acc > bound)
          return acc;
      }
    }
  } else {
    for (unsigned c = 0; c < m; c++) {
      double d = y[c] - q[c];
      acc += d * d;
      if (acc > bound)
        return acc;
    }
  }
  return acc;
}

static inline int excluded(size_t j, size_t self, size_t w)
{
  if (self == ENG_NO_SELF)
    return 0;
  size_t d = j > self ? j - self : self - j;
  return d <= w;
}

typedef struct knn_state {
  const double *q;
  size_t self, w, k, found;
  size_t *bi;
  double *bd;
} knn_state;

static void knn_rec(const eng_kdtree *t, long id, knn_state *st)
{
  const node *nd = &t->nodes[id];
  if (nd->left < 0) {
    for (size_t s = nd->lo; s < nd->hi; s++) {
      size_t j = t->idx[s];
      if (excluded(j, st->self, st->w))
        continue;
      double worst = st->found < st->k ? INFINITY : st->bd[st->k - 1];
      double d = pt_dist(t, s, st->q, worst);
      if (d > worst)
        continue;
      if (st->found == st->k && d == worst && j > st->bi[st->k - 1])
        continue;
      /* insertion into the sorted (distance, index) list */
      size_t pos = st->found < st->k ? st->found++ : st->k - 1;
      while (pos > 0 && (st->bd[pos - 1] > d || (st->bd[pos - 1] == d && st->bi[pos - 1] > j))) {
        st->bd[pos] = st->bd[pos - 1];
        st->bi[pos] = st->bi[pos - 1];
        pos--;
      }
      st->bd[pos] = d;
      st->bi[pos] = j;
    }
    return;
  }
  double dl = box_dist(t, nd->left, st->q), dr = box_dist(t, nd->right, st->q);
  long first = nd->left, second = nd->right;
  if (dr < dl) {
    double tmp = dl;
    dl = dr;
    dr = tmp;
    first = nd->right;
    second = nd->left;
  }
  if (st->found < st->k || dl <= st->bd[st->k - 1])
    knn_rec(t, first, st);
  if (st->found < st->k || dr <= st->bd[st->k - 1])
    knn_rec(t, second, st);
}

int eng_kdtree_knn(const eng_kdtree *t, const double *q, size_t self, size_t theiler, size_t k,
                   size_t *idx, double *dist, size_t *found)
{
  if (!t || !q || !idx || k == 0)
    return ENG_EINVAL;
  double small[64];
  double *bd = dist ? dist : (k <= 64 ? small : NULL);
  if (!bd) {
    bd = malloc(k * sizeof *bd);
    if (!bd)
      return ENG_ENOMEM;
  }
  knn_state st = {q, self, theiler, k, 0, idx, bd};
  knn_rec(t, 0, &st);
  if (t->norm == ENG_NORM_EUCLID)
    for (size_t i = 0; i < st.found; i++)
      bd[i] = sqrt(bd[i]);
  if (bd != dist && bd != small)
    free(bd);
  if (found)
    *found = st.found;
  return 0;
}

typedef struct rad_state {
  const double *q;
  size_t self, w, jlo;
  double r;
  eng__visit_fn fn;
  void *ud;
} rad_state;

static void rad_rec(const eng_kdtree *t, long id, const rad_state *st)
{
  const node *nd = &t->nodes[id];
  if (nd->left < 0) {
    for (size_t s = nd->lo; s < nd->hi; s++) {
      size_t j = t->idx[s];
      if (j < st->jlo || excluded(j, st->self, st->w))
        continue;
      if (pt_dist(t, s, st->q, st->r) < st->r)
        st->fn(st->ud, j);
    }
    return;
  }
  if (box_dist(t, nd->left, st->q) < st->r)
    rad_rec(t, nd->left, st);
  if (box_dist(t, nd->right, st->q) < st->r)
    rad_rec(t, nd->right, st);
}

void eng__kdtree_visit(const eng_kdtree *t, const double *q, size_t self, size_t theiler,
                       size_t jlo, double r, eng__visit_fn fn, void *ud)
{
  if (!(r > 0.0))
    return;
  rad_state st = {q, self, theiler, jlo, t->norm == ENG_NORM_EUCLID ? r * r : r, fn, ud};
  if (box_dist(t, 0, q) < st.r)
    rad_rec(t, 0, &st);
}

static void count_one(void *ud, size_t j)
{
  (void)j;
  (*(size_t *)ud)++;
}

int eng_kdtree_count(const eng_kdtree *t, const double *q, size_t self, size_t theiler, double r,
                     size_t *count)
{
  if (!t || !q || !count || isnan(r))
    return ENG_EINVAL;
  *count = 0;
  eng__kdtree_visit(t, q, self, theiler, 0, r, count_one, count);
  return 0;
}

typedef struct collect {
  size_t *idx, cap, n;
} collect;

static void collect_one(void *ud, size_t j)
{
  collect *c = ud;
  if (c->n < c->cap)
    c->idx[c->n] = j;
  c->n++;
}

int eng_kdtree_radius(const eng_kdtree *t, const double *q, size_t self, size_t theiler, double r,
                      size_t *idx, size_t cap, size_t *found)
{
  if (!t || !q || !found || (cap > 0 && !idx) || isnan(r))
    return ENG_EINVAL;
  collect c = {idx, cap, 0};
  eng__kdtree_visit(t, q, self, theiler, 0, r, collect_one, &c);
  *found = c.n;
  return 0;
}

/* ---------------------------------------------------------- shared helpers */

int eng__series_check(const double *x, size_t n, double *mean, double *sd)
{
  if (!x)
    return ENG_EINVAL;
  double s = 0.0;
  for (size_t i = 0; i < n; i++) {
    if (!isfinite(x[i]))
      return ENG_ENAN;
    s += x[i];
  }
  if (n == 0)
    return ENG_ESHORT;
  double mu = s / (double)n, v = 0.0;
  int same = 1;
  for (size_t i = 0; i < n; i++) {
    double d = x[i] - mu;
    v += d * d;
    if (x[i] != x[0])
      same = 0;
  }
  if (same)
    return ENG_ECONST;
  double sdv = sqrt(v / (double)n);
  /* a spread below rounding noise of the mean is a constant series */
  if (!(sdv > 1e-12 * (fabs(mu) + 1e-300)))
    return ENG_ECONST;
  if (mean)
    *mean = mu;
  if (sd)
    *sd = sdv;
  return 0;
}

double eng__mean_period(const double *x, size_t n, double mean, double sd)
{
  /* Mean spacing of the maxima, each confirmed by a rise and then a fall of
   * at least h: small wiggles and noise below h do not count, while the lobe
   * switches of a Lorenz x series do not hide its orbital oscillation (a
   * mean-crossing count would). */
  (void)mean;
  double h = 0.1 * sd;
  if (n < 3)
    return 0.0;
  double lo = x[0], hi = x[0];
  size_t hiat = 0, first = 0, last = 0, count = 0;
  int rising = -1; /* -1 unknown, 1 looking for a max, 0 looking for a min */
  for (size_t i = 1; i < n; i++) {
    double v = x[i];
    if (rising != 0) {
      if (v > hi) {
        hi = v;
        hiat = i;
      }
      if (rising == -1 && v < lo)
        lo = v;
      if (rising == -1 && hi - lo >= h && v <= hi - h) {
        rising = 0;
        lo = v;
      } else if (rising == 1 && v <= hi - h) {
        if (count == 0)
          first = hiat;
        last = hiat;
        count++;
        rising = 0;
        lo = v;
      }
    } else {
      if (v < lo)
        lo = v;
      if (v >= lo + h) {
        rising = 1;
        hi = v;
        hiat = i;
      }
    }
  }
  if (count < 3)
    return 0.0;
  return (double)(last - first) / (double)(count - 1);
}

size_t eng__auto_theiler(double period, unsigned m, unsigned tau, size_t n)
{
  size_t w = (size_t)ceil(period);
  size_t span = (size_t)(m - 1) * tau + 1;
  if (w < span)
    w = span;
  if (w > n / 10)
    w = n / 10;
  return w;
}

double eng__t975(size_t df)
{
  static const double tab[30] = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306,
                                 2.262,  2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120,
                                 2.110,  2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
                                 2.060,  2.056, 2.052, 2.048, 2.045, 2.042};
  if (df == 0)
    return INFINITY;
  if (df <= 30)
    return tab[df - 1];
  return 1.960 + 2.4 / (double)df;
}
