/* neighbors.c: k-d tree over delay vectors (the shared search core and the public tree): nearest, k nearest and fixed-radius queries with a Theiler window. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "attr_internal.h"
#include "dyn_internal.h"

#define LEAF ENG__NN_LEAF

struct eng_kdtree {
  eng__nn nn;
  void *work; /* the core's workspace */
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

size_t eng_kdtree_size(const eng_kdtree *t) { return t ? t->nn.n : 0; }

/* ------------------------------------------------------------ the core */

static size_t align64(size_t b) { return (b + 63) & ~(size_t)63; }

size_t eng__nn_work_size(size_t n, unsigned m)
{
  size_t nleaf = (n + LEAF - 1) / LEAF, slots = nleaf * LEAF;
  return 64 + align64(slots * m * sizeof(double)) + align64(2 * nleaf * 2 * m * sizeof(double)) +
         align64(slots * sizeof(size_t)) + align64(n * sizeof(size_t)) + align64(2 * nleaf) +
         align64(slots * sizeof(double));
}

static inline double view_at(const eng__nn *t, size_t i, unsigned c)
{
  return t->base[i * t->pstride + (size_t)c * t->cstride];
}

/* Quickselect on (key, idx) pairs in [lo, hi) so that slot k holds the k-th
 * smallest key, smaller-or-equal ones to its left. The partition is Lomuto's
 * without branches (every element is swapped, the boundary advances by the
 * comparison's result): on random keys a branch per element mispredicts half
 * the time. Runs of keys equal to the pivot, common in series, are gathered
 * by a second pass only when the pivot is the minimum, so the loop always
 * makes progress. */
static size_t partition(double *key, size_t *idx, size_t lo, size_t hi, double piv, int le)
{
  size_t lt = lo;
  for (size_t i = lo; i < hi; i++) {
    double v = key[i];
    size_t ix = idx[i];
    size_t f = le ? v <= piv : v < piv;
    key[i] = key[lt];
    idx[i] = idx[lt];
    key[lt] = v;
    idx[lt] = ix;
    lt += f;
  }
  return lt;
}

static void select_pairs(double *key, size_t *idx, size_t lo, size_t hi, size_t k)
{
  while (hi - lo > 1) {
    size_t mid = lo + (hi - lo) / 2;
    double a = key[lo], b = key[mid], d = key[hi - 1];
    double piv = a < b ? (b < d ? b : (a < d ? d : a)) : (a < d ? a : (b < d ? d : b));
    size_t lt = partition(key, idx, lo, hi, piv, 0);
    if (k < lt) {
      hi = lt;
    } else if (lt > lo) {
      lo = lt;
    } else {
      size_t eq = partition(key, idx, lo, hi, piv, 1);
      /* eq == lo only for a NaN pivot (nothing compares <= to it): stop
       * rather than loop; the tree stays a valid, if poorer, partition */
      if (k < eq || eq == lo)
        return;
      lo = eq;
    }
  }
}

/* Splits node k over leaves [a, e), e - a >= 2: the left child takes the first
 * (e - a) / 2 leaves, so only the very last leaf of the set can be partial.
 * Returns the first leaf of the right child. */
static size_t split_node(eng__nn *t, size_t k, size_t a, size_t e)
{
  size_t c = a + (e - a) / 2, lo = a * LEAF, hi = e * LEAF < t->n ? e * LEAF : t->n;
  /* The widest coordinate, judged on at most 64 evenly spaced points: exact
   * spreads would cost O(n m) per level for little better splits. */
  size_t step = (hi - lo + 63) / 64;
  unsigned best = 0;
  double spread = -1.0;
  /* split dimensions are kept in a byte: beyond 256 coordinates only the
   * first 256 are split on (the search stays exact, only less pruned) */
  unsigned dims = t->m < 256 ? t->m : 256;
  for (unsigned d = 0; d < dims; d++) {
    double mn = INFINITY, mx = -INFINITY;
    for (size_t s = lo; s < hi; s += step) {
      double v = view_at(t, t->idx[s], d);
      mn = v < mn ? v : mn;
      mx = v > mx ? v : mx;
    }
    if (mx - mn > spread) {
      spread = mx - mn;
      best = d;
    }
  }
  for (size_t s = lo; s < hi; s++)
    t->key[s] = view_at(t, t->idx[s], best);
  select_pairs(t->key, t->idx, lo, hi, c * LEAF);
  t->sdim[k] = (unsigned char)best;
  return c;
}

/* Node k over leaves [a, e) and everything below it (preorder numbering: the
 * left child is k + 1, the right one k + 2 (c - a)). */
static void build_rec(eng__nn *t, size_t k, size_t a, size_t e)
{
  if (e - a < 2)
    return;
  size_t c = split_node(t, k, a, e);
  build_rec(t, k + 1, a, c);
  build_rec(t, k + 2 * (c - a), c, e);
}

/* Copies the points of leaves [a, e) into their slots (after their subtree
 * is built: the order of the slots is final). */
static void fill_leaves(eng__nn *t, size_t a, size_t e)
{
  unsigned m = t->m;
  for (size_t s = a * LEAF; s < e * LEAF; s++) {
    size_t i = t->idx[s];
    double *P = t->leaf + (s / LEAF) * m * LEAF + s % LEAF;
    if (i == SIZE_MAX) {
      /* padding is infinitely far: it never passes a distance test */
      for (unsigned c = 0; c < m; c++)
        P[c * LEAF] = INFINITY;
      continue;
    }
    t->slot[i] = s;
    for (unsigned c = 0; c < m; c++)
      P[c * LEAF] = view_at(t, i, c);
  }
}

/* Node k's box: the union of its children kl and kr's. */
static void box_join(eng__nn *t, size_t k, size_t kl, size_t kr)
{
  unsigned m = t->m;
  double *mn = t->box + k * 2 * m, *mx = mn + m;
  const double *lm = t->box + kl * 2 * m, *rm = t->box + kr * 2 * m;
  for (unsigned d = 0; d < m; d++) {
    mn[d] = lm[d] < rm[d] ? lm[d] : rm[d];
    mx[d] = lm[m + d] > rm[m + d] ? lm[m + d] : rm[m + d];
  }
}

/* Bounding boxes bottom-up: node k over leaves [a, e), preorder numbering, so
 * the left child is k + 1 and the right one k + 2 (c - a). */
static void boxes(eng__nn *t, size_t k, size_t a, size_t e)
{
  unsigned m = t->m;
  double *mn = t->box + k * 2 * m, *mx = mn + m;
  if (e - a == 1) {
    const double *P = t->leaf + a * m * LEAF;
    const size_t *ix = t->idx + a * LEAF;
    for (unsigned c = 0; c < m; c++) {
      double lo = INFINITY, hi = -INFINITY;
      for (size_t p = 0; p < LEAF; p++)
        if (ix[p] != SIZE_MAX) {
          double v = P[c * LEAF + p];
          lo = v < lo ? v : lo;
          hi = v > hi ? v : hi;
        }
      mn[c] = lo;
      mx[c] = hi;
    }
    return;
  }
  size_t c = a + (e - a) / 2, kl = k + 1, kr = k + 2 * (c - a);
  boxes(t, kl, a, c);
  boxes(t, kr, c, e);
  box_join(t, k, kl, kr);
}

unsigned eng__nn_build_top(eng__nn *t, void *work, const double *base, size_t n, unsigned m,
                           size_t pstride, size_t cstride, int maxnorm)
{
  size_t nleaf = (n + LEAF - 1) / LEAF, slots = nleaf * LEAF;
  char *w = (char *)(((uintptr_t)work + 63) & ~(uintptr_t)63);
  t->n = n;
  t->nleaf = nleaf;
  t->m = m;
  t->maxnorm = maxnorm;
#if ENG__NN_AVX2
  t->avx2 = __builtin_cpu_supports("avx2") != 0;
#else
  t->avx2 = 0;
#endif
  t->base = base;
  t->pstride = pstride;
  t->cstride = cstride;
  t->leaf = (double *)w;
  w += align64(slots * m * sizeof(double));
  t->box = (double *)w;
  w += align64(2 * nleaf * 2 * m * sizeof(double));
  t->idx = (size_t *)w;
  w += align64(slots * sizeof(size_t));
  t->slot = (size_t *)w;
  w += align64(n * sizeof(size_t));
  t->sdim = (unsigned char *)w;
  w += align64(2 * nleaf);
  /* Keys have their own area (not the leaves, which a finished part fills
   * while the other part still splits). */
  t->key = (double *)w;
  for (size_t s = 0; s < slots; s++)
    t->idx[s] = s < n ? s : SIZE_MAX;
  /* Two parts only when each has a split of its own to do. */
  t->parts = nleaf >= 4 ? 2 : 1;
  if (t->parts == 2)
    split_node(t, 0, 0, nleaf);
  return t->parts;
}

void eng__nn_build_part(eng__nn *t, unsigned i)
{
  size_t nleaf = t->nleaf, c = nleaf / 2;
  size_t k = 0, a = 0, e = nleaf;
  if (t->parts == 2) {
    k = i == 0 ? 1 : 2 * c;
    a = i == 0 ? 0 : c;
    e = i == 0 ? c : nleaf;
  }
  build_rec(t, k, a, e);
  fill_leaves(t, a, e);
  boxes(t, k, a, e);
}

void eng__nn_build_finish(eng__nn *t)
{
  if (t->parts == 2)
    box_join(t, 0, 1, 2 * (t->nleaf / 2));
  t->base = NULL;
  t->key = NULL;
}

void eng__nn_build(eng__nn *t, void *work, const double *base, size_t n, unsigned m,
                   size_t pstride, size_t cstride, int maxnorm)
{
  unsigned parts = eng__nn_build_top(t, work, base, n, m, pstride, cstride, maxnorm);
  for (unsigned i = 0; i < parts; i++)
    eng__nn_build_part(t, i);
  eng__nn_build_finish(t);
}

/* Raw distances (squared for Euclidean) from q to the LEAF slots of leaf L,
 * into d, and a bit mask of the slots whose distance is <= bound (a NaN
 * distance never is). Every slot's distance is the same sequence of IEEE
 * operations as the obvious scalar loop (coordinates in order from 0.0, no
 * fused multiply-add), so results do not depend on the code path.
 *
 * With GCC/clang vector extensions the 16 running distances stay in eight
 * 2-lane SSE2 registers (four AVX2 ones in self_leaf_avx2) instead of an
 * array re-read for every coordinate, and the mask lets the caller visit
 * only the candidates rather than branch on each slot (a mispredicted
 * branch per slot cost more than the arithmetic). Other compilers get the
 * plain loops. */
#if defined(__GNUC__)
typedef double v2d __attribute__((vector_size(16)));
typedef long long v2l __attribute__((vector_size(16)));
_Static_assert(LEAF == 16, "leaf_scan holds a leaf in eight 2-lane vectors");

#define VLOAD(v, p) memcpy(&(v), (p), sizeof(v))
/* a > b ? a : b lane by lane, keeping b when either is NaN as the scalar
 * form does */
#define VMAX(a, b) ((v2d)(((v2l)(a) & ((a) > (b))) | ((v2l)(b) & ~((a) > (b)))))
/* the 2-bit candidate mask of a pair of slots, shifted to slot 2 * i */
#define VBITS(a, b, i) ((unsigned)(((a) <= (b))[0] & 1) << (2 * (i)) | \
                        (unsigned)(((a) <= (b))[1] & 1) << (2 * (i) + 1))

static inline __attribute__((always_inline)) unsigned
leaf_scan(const eng__nn *t, size_t L, const double *q, double bound, double *restrict d)
{
  const unsigned m = t->m;
  const double *P = t->leaf + L * m * LEAF;
  v2d a[8], v[8];
#pragma GCC unroll 8
  for (int k = 0; k < 8; k++)
    a[k] = (v2d){0.0, 0.0};
  if (!t->maxnorm) {
    for (unsigned c = 0; c < m; c++) {
      const double *pc = P + (size_t)c * LEAF;
      v2d qc = {q[c], q[c]};
#pragma GCC unroll 8
      for (int k = 0; k < 8; k++) {
        VLOAD(v[k], pc + 2 * k);
        v[k] -= qc;
        a[k] += v[k] * v[k];
      }
    }
  } else {
    const v2l abs = {INT64_MAX, INT64_MAX};
    for (unsigned c = 0; c < m; c++) {
      const double *pc = P + (size_t)c * LEAF;
      v2d qc = {q[c], q[c]};
#pragma GCC unroll 8
      for (int k = 0; k < 8; k++) {
        VLOAD(v[k], pc + 2 * k);
        v[k] = (v2d)((v2l)(v[k] - qc) & abs);
        a[k] = VMAX(v[k], a[k]);
      }
    }
  }
  v2d b = {bound, bound};
  unsigned bits = 0;
#pragma GCC unroll 8
  for (int k = 0; k < 8; k++) {
    memcpy(d + 2 * k, &a[k], sizeof a[k]);
    bits |= VBITS(a[k], b, k);
  }
  return bits;
}

static inline unsigned next_bit(unsigned *bits)
{
  unsigned p = (unsigned)__builtin_ctz(*bits);
  *bits &= *bits - 1;
  return p;
}
#else
static inline unsigned leaf_scan(const eng__nn *t, size_t L, const double *q, double bound,
                                 double *restrict d)
{
  const unsigned m = t->m;
  const double *P = t->leaf + L * m * LEAF;
  for (size_t p = 0; p < LEAF; p++)
    d[p] = 0.0;
  for (unsigned c = 0; c < m; c++) {
    const double qc = q[c], *pc = P + (size_t)c * LEAF;
    for (size_t p = 0; p < LEAF; p++) {
      double v = fabs(pc[p] - qc);
      if (t->maxnorm)
        d[p] = v > d[p] ? v : d[p];
      else
        d[p] += v * v;
    }
  }
  unsigned bits = 0;
  for (size_t p = 0; p < LEAF; p++)
    bits |= (unsigned)(d[p] <= bound) << p;
  return bits;
}

static inline unsigned next_bit(unsigned *bits)
{
  unsigned p = 0;
  while (!(*bits >> p & 1u))
    p++;
  *bits &= *bits - 1;
  return p;
}
#endif

/* Raw distances from q to the LEAF slots of leaf L (the radius and k-nearest
 * queries filter themselves). */
static inline void leaf_dists(const eng__nn *t, size_t L, const double *q, double *restrict d)
{
  (void)leaf_scan(t, L, q, 0.0, d);
}

/* Raw distance from q to the box of node k: never more than the distance to
 * any point inside (each rounded term is no larger), so pruning is exact. */
static inline double box_dist(const eng__nn *t, size_t k, const double *q)
{
  const unsigned m = t->m;
  const double *mn = t->box + k * 2 * m, *mx = mn + m;
  double acc = 0.0;
  /* branch-free: the gap along a coordinate is max(lo - q, q - hi, 0) */
  if (t->maxnorm) {
    for (unsigned c = 0; c < m; c++) {
      double a = mn[c] - q[c], b = q[c] - mx[c];
      double d = a > b ? a : b;
      acc = d > acc ? d : acc;
    }
  } else {
    for (unsigned c = 0; c < m; c++) {
      double a = mn[c] - q[c], b = q[c] - mx[c];
      double d = a > b ? a : b;
      d = d > 0.0 ? d : 0.0;
      acc += d * d;
    }
  }
  return acc;
}

/* Raw distance from q to the box of node k along coordinate d alone: a lower
 * bound of box_dist for one load and compare. */
static inline double lb1(const eng__nn *t, size_t k, unsigned d, const double *q)
{
  const double *mn = t->box + k * 2 * t->m, *mx = mn + t->m;
  double a = mn[d] - q[d], b = q[d] - mx[d];
  double g = a > b ? a : b;
  if (!(g > 0.0))
    return 0.0;
  return t->maxnorm ? g : g * g;
}

/* Whether the subtree at node k can hold a point within raw distance bound
 * (<=): the one-coordinate bound first, the whole box only when it passes. */
static inline int may_hold(const eng__nn *t, size_t k, unsigned d, const double *q, double bound)
{
  return lb1(t, k, d, q) <= bound && box_dist(t, k, q) <= bound;
}

static inline int excluded(size_t j, size_t self, size_t w)
{
  if (self == ENG_NO_SELF)
    return 0;
  size_t d = j > self ? j - self : self - j;
  return d <= w;
}

typedef struct sq {
  const double *q;
  size_t self, w;
  double best; /* raw distance of arg */
  size_t arg;  /* SIZE_MAX: none yet */
} sq;

/* The candidates of one leaf (bits from leaf_scan) against the best so far. */
static inline __attribute__((always_inline)) void take(const eng__nn *t, size_t L, sq *s,
                                                       const double *d, unsigned bits)
{
  const size_t *ix = t->idx + L * LEAF;
  while (bits) {
    unsigned p = next_bit(&bits);
    /* best may have shrunk since the mask was taken */
    if (!(d[p] <= s->best))
      continue;
    size_t j = ix[p];
    /* zero distances (repeated points) carry no information for any user */
    if (j == SIZE_MAX || !(d[p] > 0.0) || excluded(j, s->self, s->w))
      continue;
    if (d[p] < s->best || j < s->arg) {
      s->best = d[p];
      s->arg = j;
    }
  }
}

static void self_leaf(const eng__nn *t, size_t L, sq *s)
{
  double d[LEAF];
  take(t, L, s, d, leaf_scan(t, L, s->q, s->best, d));
}

#if ENG__NN_AVX2
/* leaf_scan with 4-lane AVX2 vectors: the same operations lane by lane (the
 * target has no FMA, so nothing is fused), half the instructions. */
typedef double v4d __attribute__((vector_size(32)));
typedef long long v4l __attribute__((vector_size(32)));
#define VMAX4(a, b) ((v4d)(((v4l)(a) & ((a) > (b))) | ((v4l)(b) & ~((a) > (b)))))

__attribute__((target("avx2"))) static void self_leaf_avx2(const eng__nn *t, size_t L, sq *s)
{
  const unsigned m = t->m;
  const double *P = t->leaf + L * m * LEAF, *q = s->q;
  v4d a[4], v[4];
  for (int k = 0; k < 4; k++)
    a[k] = (v4d){0.0, 0.0, 0.0, 0.0};
  if (!t->maxnorm) {
    for (unsigned c = 0; c < m; c++) {
      const double *pc = P + (size_t)c * LEAF;
      v4d qc = {q[c], q[c], q[c], q[c]};
#pragma GCC unroll 4
      for (int k = 0; k < 4; k++) {
        VLOAD(v[k], pc + 4 * k);
        v[k] -= qc;
        a[k] += v[k] * v[k];
      }
    }
  } else {
    const v4l abs = {INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX};
    for (unsigned c = 0; c < m; c++) {
      const double *pc = P + (size_t)c * LEAF;
      v4d qc = {q[c], q[c], q[c], q[c]};
#pragma GCC unroll 4
      for (int k = 0; k < 4; k++) {
        VLOAD(v[k], pc + 4 * k);
        v[k] = (v4d)((v4l)(v[k] - qc) & abs);
        a[k] = VMAX4(v[k], a[k]);
      }
    }
  }
  double d[LEAF];
  v4d b = {s->best, s->best, s->best, s->best};
  const v4l w0 = {1, 2, 4, 8};
  v4l k4 = {0, 0, 0, 0};
#pragma GCC unroll 4
  for (int k = 0; k < 4; k++) {
    memcpy(d + 4 * k, &a[k], sizeof a[k]);
    k4 |= (a[k] <= b) & (w0 << (4 * k));
  }
  take(t, L, s, d, (unsigned)(k4[0] | k4[1] | k4[2] | k4[3]));
}
#endif

static inline void visit_leaf(const eng__nn *t, size_t L, sq *s)
{
#if ENG__NN_AVX2
  if (t->avx2) {
    self_leaf_avx2(t, L, s);
    return;
  }
#endif
  self_leaf(t, L, s);
}

/* A subtree that does not hold the query: nearer child first; <= because a
 * box at exactly the best distance may hold an equally distant point with a
 * smaller index. */
static void other_rec(const eng__nn *t, size_t k, size_t a, size_t e, sq *s)
{
  while (e - a > 1) {
    size_t c = a + (e - a) / 2, kl = k + 1, kr = k + 2 * (c - a);
    unsigned d = t->sdim[k];
    double dl = lb1(t, kl, d, s->q), dr = lb1(t, kr, d, s->q);
    size_t kn = kl, an = a, en = c, kf = kr, af = c, ef = e;
    if (dr < dl) {
      kn = kr, an = c, en = e, kf = kl, af = a, ef = c;
      double tmp = dl;
      dl = dr;
      dr = tmp;
    }
    if (dl <= s->best)
      other_rec(t, kn, an, en, s);
    if (!(dr <= s->best) || !(box_dist(t, kf, s->q) <= s->best))
      return;
    k = kf;
    a = af;
    e = ef;
  }
  visit_leaf(t, a, s);
}

size_t eng__nn_self(const eng__nn *t, size_t i, size_t theiler, const size_t *hint,
                    unsigned ncand, double *dist)
{
  const unsigned m = t->m;
  double q[256];
  size_t si = t->slot[i];
  const double *P = t->leaf + (si / LEAF) * m * LEAF + si % LEAF;
  for (unsigned c = 0; c < m; c++)
    q[c] = P[c * LEAF];
  sq s = {q, i, theiler, INFINITY, SIZE_MAX};
  for (unsigned h = 0; h < ncand; h++) {
    size_t j = hint[h];
    if (j >= t->n || excluded(j, i, theiler))
      continue;
    size_t sj = t->slot[j];
    const double *Q = t->leaf + (sj / LEAF) * m * LEAF + sj % LEAF;
    /* the same operations, in the same order, as leaf_scan */
    double d = 0.0;
    if (t->maxnorm) {
      for (unsigned c = 0; c < m; c++) {
        double v = fabs(Q[c * LEAF] - q[c]);
        d = v > d ? v : d;
      }
    } else {
      for (unsigned c = 0; c < m; c++) {
        double v = Q[c * LEAF] - q[c];
        d += v * v;
      }
    }
    if (d > 0.0 && (d < s.best || (d == s.best && j < s.arg))) {
      s.best = d;
      s.arg = j;
    }
  }
  /* The query's own leaf first (down the path that holds it: no test
   * needed), then each sibling subtree from the bottom up, by far most of
   * them dismissed by the one-coordinate bound along their parent's split. */
  struct {
    size_t k, a, e;
    unsigned d;
  } sib[64];
  int depth = 0;
  size_t k = 0, a = 0, e = t->nleaf, ql = si / LEAF;
  while (e - a > 1) {
    size_t c = a + (e - a) / 2, kl = k + 1, kr = k + 2 * (c - a);
    unsigned d = t->sdim[k];
    if (ql < c) {
      sib[depth].k = kr, sib[depth].a = c, sib[depth].e = e, sib[depth].d = d;
      k = kl;
      e = c;
    } else {
      sib[depth].k = kl, sib[depth].a = a, sib[depth].e = c, sib[depth].d = d;
      k = kr;
      a = c;
    }
    depth++;
  }
  visit_leaf(t, a, &s);
  while (depth-- > 0)
    if (may_hold(t, sib[depth].k, sib[depth].d, q, s.best))
      other_rec(t, sib[depth].k, sib[depth].a, sib[depth].e, &s);
  *dist = s.best;
  return s.arg;
}

/* --------------------------------------------------------- public tree */

void eng_kdtree_destroy(eng_kdtree *t)
{
  if (!t)
    return;
  free(t->work);
  free(t);
}

int eng__kdtree_begin(eng_kdtree **out, const eng_points *p, eng_norm norm, unsigned *parts)
{
  if (!out || !p || !p->base || p->n == 0 || p->m == 0 ||
      (norm != ENG_NORM_EUCLID && norm != ENG_NORM_MAX))
    return ENG_EINVAL;
  *out = NULL;
  if (p->n > SIZE_MAX / 64 / p->m)
    return ENG_ENOMEM;
  eng_kdtree *t = calloc(1, sizeof *t);
  if (!t)
    return ENG_ENOMEM;
  t->work = malloc(eng__nn_work_size(p->n, p->m));
  if (!t->work) {
    eng_kdtree_destroy(t);
    return ENG_ENOMEM;
  }
  *parts = eng__nn_build_top(&t->nn, t->work, p->base, p->n, p->m, p->pstride, p->cstride,
                             norm == ENG_NORM_MAX);
  *out = t;
  return 0;
}

void eng__kdtree_part(eng_kdtree *t, unsigned i) { eng__nn_build_part(&t->nn, i); }

void eng__kdtree_end(eng_kdtree *t) { eng__nn_build_finish(&t->nn); }

int eng_kdtree_create(eng_kdtree **out, const eng_points *p, eng_norm norm)
{
  unsigned parts = 0;
  int rc = eng__kdtree_begin(out, p, norm, &parts);
  if (rc)
    return rc;
  for (unsigned i = 0; i < parts; i++)
    eng__kdtree_part(*out, i);
  eng__kdtree_end(*out);
  return 0;
}

typedef struct knn_state {
  const double *q;
  size_t self, w, k, found;
  size_t *bi;
  double *bd;
} knn_state;

static void knn_leaf(const eng__nn *t, size_t L, knn_state *st)
{
  double d[LEAF];
  leaf_dists(t, L, st->q, d);
  const size_t *ix = t->idx + L * LEAF;
  double worst = st->found < st->k ? INFINITY : st->bd[st->k - 1];
  for (size_t p = 0; p < LEAF; p++) {
    if (d[p] > worst)
      continue;
    size_t j = ix[p];
    if (j == SIZE_MAX || excluded(j, st->self, st->w))
      continue;
    if (st->found == st->k && d[p] == worst && j > st->bi[st->k - 1])
      continue;
    /* insertion into the sorted (distance, index) list */
    size_t pos = st->found < st->k ? st->found++ : st->k - 1;
    while (pos > 0 &&
           (st->bd[pos - 1] > d[p] || (st->bd[pos - 1] == d[p] && st->bi[pos - 1] > j))) {
      st->bd[pos] = st->bd[pos - 1];
      st->bi[pos] = st->bi[pos - 1];
      pos--;
    }
    st->bd[pos] = d[p];
    st->bi[pos] = j;
    worst = st->found < st->k ? INFINITY : st->bd[st->k - 1];
  }
}

/* Children ordered by the one-coordinate bound along the split; a child's
 * whole box is computed only when that bound does not already prune it. */
static void knn_rec(const eng__nn *t, size_t k, size_t a, size_t e, knn_state *st)
{
  while (e - a > 1) {
    size_t c = a + (e - a) / 2, kl = k + 1, kr = k + 2 * (c - a);
    unsigned d = t->sdim[k];
    double dl = lb1(t, kl, d, st->q), dr = lb1(t, kr, d, st->q);
    size_t k1 = kl, a1 = a, e1 = c, k2 = kr, a2 = c, e2 = e;
    if (dr < dl) {
      double tmp = dl;
      dl = dr;
      dr = tmp;
      k1 = kr, a1 = c, e1 = e, k2 = kl, a2 = a, e2 = c;
    }
    if (st->found < st->k || may_hold(t, k1, d, st->q, st->bd[st->k - 1]))
      knn_rec(t, k1, a1, e1, st);
    if (!(st->found < st->k || may_hold(t, k2, d, st->q, st->bd[st->k - 1])))
      return;
    k = k2;
    a = a2;
    e = e2;
  }
  knn_leaf(t, a, st);
}

/* As knn_rec when q is point ql's leaf's own point: that leaf first, down
 * the path holding it, then the siblings on the way back up. */
static void knn_path(const eng__nn *t, size_t k, size_t a, size_t e, size_t ql, knn_state *st)
{
  if (e - a == 1) {
    knn_leaf(t, a, st);
    return;
  }
  size_t c = a + (e - a) / 2, kl = k + 1, kr = k + 2 * (c - a);
  unsigned d = t->sdim[k];
  size_t kn = kl, an = a, en = c, kf = kr, af = c, ef = e;
  if (ql >= c)
    kn = kr, an = c, en = e, kf = kl, af = a, ef = c;
  knn_path(t, kn, an, en, ql, st);
  if (st->found < st->k || may_hold(t, kf, d, st->q, st->bd[st->k - 1]))
    knn_rec(t, kf, af, ef, st);
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
  /* A query that is the set's own point self (the usual case: each delay
   * vector against the others) starts from its leaf. */
  const eng__nn *nn = &t->nn;
  size_t ql = SIZE_MAX;
  if (self < nn->n) {
    size_t s = nn->slot[self];
    const double *P = nn->leaf + (s / LEAF) * nn->m * LEAF + s % LEAF;
    unsigned c = 0;
    while (c < nn->m && P[(size_t)c * LEAF] == q[c])
      c++;
    if (c == nn->m)
      ql = s / LEAF;
  }
  if (ql != SIZE_MAX)
    knn_path(nn, 0, 0, nn->nleaf, ql, &st);
  else
    knn_rec(nn, 0, 0, nn->nleaf, &st);
  if (!t->nn.maxnorm)
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

static void rad_rec(const eng__nn *t, size_t k, size_t a, size_t e, const rad_state *st)
{
  while (e - a > 1) {
    size_t c = a + (e - a) / 2, kl = k + 1, kr = k + 2 * (c - a);
    int l = box_dist(t, kl, st->q) < st->r, r = box_dist(t, kr, st->q) < st->r;
    if (l && r)
      rad_rec(t, kl, a, c, st);
    if (r) {
      k = kr;
      a = c;
    } else if (l) {
      k = kl;
      e = c;
    } else {
      return;
    }
  }
  double d[LEAF];
  leaf_dists(t, a, st->q, d);
  const size_t *ix = t->idx + a * LEAF;
  for (size_t p = 0; p < LEAF; p++) {
    if (!(d[p] < st->r))
      continue;
    size_t j = ix[p];
    if (j == SIZE_MAX || j < st->jlo || excluded(j, st->self, st->w))
      continue;
    st->fn(st->ud, j);
  }
}

void eng__kdtree_visit(const eng_kdtree *t, const double *q, size_t self, size_t theiler,
                       size_t jlo, double r, eng__visit_fn fn, void *ud)
{
  if (!(r > 0.0))
    return;
  rad_state st = {q, self, theiler, jlo, t->nn.maxnorm ? r : r * r, fn, ud};
  if (box_dist(&t->nn, 0, q) < st.r)
    rad_rec(&t->nn, 0, 0, t->nn.nleaf, &st);
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
