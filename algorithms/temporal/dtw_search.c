/* dtw_search.c: best-k subsequence search under z-normalised DTW with the UCR-suite pruning cascade. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/temporal.h"
#include "dtw_internal.h"

/* Candidate starts handled per chunk: the data envelope and the running sums
 * are rebuilt at every chunk, which bounds memory and the drift of the sums. */
#define CHUNK 16384

void eng_dtw_search_opts_init(eng_dtw_search_opts *o)
{
  if (o == NULL)
    return;
  o->cost = ENG_DTW_SQUARED;
  o->window = ENG_DTW_NOWINDOW;
  o->k = 1;
  o->exclusion = 0;
  o->znorm = 1;
}

typedef struct keyed {
  double key;
  size_t idx;
} keyed;

static int by_key_desc(const void *pa, const void *pb)
{
  const keyed *a = pa, *b = pb;
  if (a->key != b->key)
    return a->key > b->key ? -1 : 1;
  return a->idx < b->idx ? -1 : (a->idx > b->idx);
}

typedef struct search {
  size_t m, r;
  int sq, znorm;
  const double *qn; /* normalised query */
  const size_t *order; /* query indices by decreasing |qn| (Rakthanmanon et al. 2012, sec. 4.2.2) */
  const double *qo, *lqo, *uqo; /* qn and its envelope, in that order */
  double *cb1, *cb2, *cb; /* per-index LB contributions and suffix sums */
  double *tz;             /* the candidate window, normalised */
  double *rows;           /* 2 * (m + 1) for the DTW */
  double *lx, *ux;        /* data envelope of the current window */
  double *envt;           /* 6 * m + 32 scratch for window_env(_avx512) */
  double *bsum, *bsq;     /* per window of a block: running sums */
  double *nsum, *nsq;     /* per window of the next chunk: its running sums */
  double *bmean, *binv, *bkim; /* per window of a block: mean, 1/std, LB_Kim */
  int vec;                /* 1: the vector block code (AVX-512F when filt is 2) */
  /* The vectorised LB_Keogh filter (see filter_avx512): the query envelope
   * by query index, cut into blocks of lanes visited largest |qn| first. */
  const double *lq, *uq;
  const size_t *bstart, *bcnt; /* first index and length of each block */
  size_t nblk;
  double ehi, elo; /* 1 +- the relative margin covering reassociation */
  int filt;        /* 0: none (scalar), 1: AVX2, 2: AVX-512F */
} search;

/* Windows whose statistics and LB_Kim are computed together, in one loop
 * without branches: the divisions and square roots of neighbouring windows
 * then overlap instead of waiting behind a mispredicted pruning test. */
#define BLK 256

/* Mean and 1/std of a window from its sums; a numerically constant window
 * maps to zeros (inv 0). Without z-normalisation: mean 0, inv 1. */
static inline void window_stats(const search *S, double sum, double sumsq, double *mean,
                                double *inv)
{
  if (!S->znorm) {
    *mean = 0;
    *inv = 1;
    return;
  }
  double m = (double)S->m;
  double mu = sum / m;
  double ms = sumsq / m;
  double var = ms - mu * mu;
  *mean = mu;
  *inv = var > 1e-12 * ms && var > 0 ? 1.0 / sqrt(var) : 0.0;
}

/* Statistics and LB_Kim of one window w from its sums. LB_Kim: the first and
 * last cells, then the cheapest second and second-to-last cells (distinct
 * from the ends once m >= 4). */
static inline __attribute__((always_inline)) void kim_one(const search *S, const double *w,
                                                         double sum, double sumsq, int sq,
                                                         double *mean_, double *inv_,
                                                         double *lb_)
{
  size_t m = S->m;
  const double *qn = S->qn;
  double mean, inv;
  window_stats(S, sum, sumsq, &mean, &inv);
  double f0 = (w[0] - mean) * inv, l0 = (w[m - 1] - mean) * inv;
  double lb = eng__dtw_cost(qn[0], f0, sq);
  if (m > 1)
    lb += eng__dtw_cost(qn[m - 1], l0, sq);
  if (m >= 4) {
    double f1 = (w[1] - mean) * inv, l1 = (w[m - 2] - mean) * inv;
    double a = eng__dtw_cost(qn[0], f1, sq), b = eng__dtw_cost(qn[1], f0, sq);
    double c = eng__dtw_cost(qn[1], f1, sq);
    double t = a < b ? a : b;
    lb += t < c ? t : c;
    a = eng__dtw_cost(qn[m - 1], l1, sq);
    b = eng__dtw_cost(qn[m - 2], l0, sq);
    c = eng__dtw_cost(qn[m - 2], l1, sq);
    t = a < b ? a : b;
    lb += t < c ? t : c;
  }
  *mean_ = mean;
  *inv_ = inv;
  *lb_ = lb;
}

static inline __attribute__((always_inline)) void block_scalar(search *S, const double *xs,
                                                              size_t nb, int sq)
{
  for (size_t b = 0; b < nb; b++)
    kim_one(S, xs + b, S->bsum[b], S->bsq[b], sq, &S->bmean[b], &S->binv[b], &S->bkim[b]);
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_AVX2_BLOCK 1
/* block_scalar four windows at a time. Consecutive windows start at
 * consecutive points, so each of w[0], w[1], w[m-2], w[m-1] is one contiguous
 * load for four windows. Every operation is the IEEE one the scalar code
 * performs (division, square root, min; no FMA), so the values are the same;
 * the one exception, a division by m when m is a power of two, is a
 * multiplication by 1/m instead, which is exact too: both round the same
 * real number (x / 2^k = x 2^-k) once. */
__attribute__((target("avx2"))) static void block_avx2(search *S, const double *xs, size_t nb,
                                                       int sq)
{
  size_t m = S->m, b = 0;
  const double *qn = S->qn;
  const __m256d vm = _mm256_set1_pd((double)m), one = _mm256_set1_pd(1.0);
  const __m256d vr = _mm256_set1_pd(1.0 / (double)m);
  int pow2 = (m & (m - 1)) == 0;
  const __m256d zero = _mm256_setzero_pd(), tiny = _mm256_set1_pd(1e-12);
  const __m256d sign = _mm256_set1_pd(-0.0);
  const __m256d q0 = _mm256_set1_pd(qn[0]), q1 = _mm256_set1_pd(qn[m > 1 ? 1 : 0]);
  const __m256d qz = _mm256_set1_pd(qn[m - 1]), qy = _mm256_set1_pd(qn[m > 1 ? m - 2 : 0]);
#define COST(q, v) (sq ? _mm256_mul_pd(_mm256_sub_pd(q, v), _mm256_sub_pd(q, v)) \
                       : _mm256_andnot_pd(sign, _mm256_sub_pd(q, v)))
  if (S->znorm && m >= 4) {
    for (; b + 4 <= nb; b += 4) {
      __m256d mean, ms;
      if (pow2) {
        mean = _mm256_mul_pd(_mm256_loadu_pd(S->bsum + b), vr);
        ms = _mm256_mul_pd(_mm256_loadu_pd(S->bsq + b), vr);
      } else {
        mean = _mm256_div_pd(_mm256_loadu_pd(S->bsum + b), vm);
        ms = _mm256_div_pd(_mm256_loadu_pd(S->bsq + b), vm);
      }
      __m256d var = _mm256_sub_pd(ms, _mm256_mul_pd(mean, mean));
      __m256d ok = _mm256_and_pd(_mm256_cmp_pd(var, _mm256_mul_pd(tiny, ms), _CMP_GT_OQ),
                                 _mm256_cmp_pd(var, zero, _CMP_GT_OQ));
      __m256d inv = _mm256_and_pd(ok, _mm256_div_pd(one, _mm256_sqrt_pd(_mm256_blendv_pd(one, var, ok))));
      const double *w = xs + b;
      __m256d f0 = _mm256_mul_pd(_mm256_sub_pd(_mm256_loadu_pd(w), mean), inv);
      __m256d l0 = _mm256_mul_pd(_mm256_sub_pd(_mm256_loadu_pd(w + m - 1), mean), inv);
      __m256d f1 = _mm256_mul_pd(_mm256_sub_pd(_mm256_loadu_pd(w + 1), mean), inv);
      __m256d l1 = _mm256_mul_pd(_mm256_sub_pd(_mm256_loadu_pd(w + m - 2), mean), inv);
      __m256d lb = _mm256_add_pd(COST(q0, f0), COST(qz, l0));
      __m256d t = _mm256_min_pd(_mm256_min_pd(COST(q0, f1), COST(q1, f0)), COST(q1, f1));
      lb = _mm256_add_pd(lb, t);
      t = _mm256_min_pd(_mm256_min_pd(COST(qz, l1), COST(qy, l0)), COST(qy, l1));
      lb = _mm256_add_pd(lb, t);
      _mm256_storeu_pd(S->bmean + b, mean);
      _mm256_storeu_pd(S->binv + b, inv);
      _mm256_storeu_pd(S->bkim + b, lb);
    }
  }
#undef COST
  for (; b < nb; b++)
    kim_one(S, xs + b, S->bsum[b], S->bsq[b], sq, &S->bmean[b], &S->binv[b], &S->bkim[b]);
}

/* block_avx2 eight windows at a time. */
__attribute__((target("avx512f"))) static void block_avx512(search *S, const double *xs,
                                                           size_t nb, int sq)
{
  size_t m = S->m, b = 0;
  const double *qn = S->qn;
  const __m512d vm = _mm512_set1_pd((double)m), one = _mm512_set1_pd(1.0);
  const __m512d vr = _mm512_set1_pd(1.0 / (double)m);
  int pow2 = (m & (m - 1)) == 0;
  const __m512d zero = _mm512_setzero_pd(), tiny = _mm512_set1_pd(1e-12);
  const __m512d q0 = _mm512_set1_pd(qn[0]), q1 = _mm512_set1_pd(qn[m > 1 ? 1 : 0]);
  const __m512d qz = _mm512_set1_pd(qn[m - 1]), qy = _mm512_set1_pd(qn[m > 1 ? m - 2 : 0]);
#define COST(q, v) (sq ? _mm512_mul_pd(_mm512_sub_pd(q, v), _mm512_sub_pd(q, v)) \
                       : _mm512_abs_pd(_mm512_sub_pd(q, v)))
  if (S->znorm && m >= 4) {
    for (; b + 8 <= nb; b += 8) {
      __m512d mean, ms;
      if (pow2) {
        mean = _mm512_mul_pd(_mm512_loadu_pd(S->bsum + b), vr);
        ms = _mm512_mul_pd(_mm512_loadu_pd(S->bsq + b), vr);
      } else {
        mean = _mm512_div_pd(_mm512_loadu_pd(S->bsum + b), vm);
        ms = _mm512_div_pd(_mm512_loadu_pd(S->bsq + b), vm);
      }
      __m512d var = _mm512_sub_pd(ms, _mm512_mul_pd(mean, mean));
      __mmask8 ok = _mm512_cmp_pd_mask(var, _mm512_mul_pd(tiny, ms), _CMP_GT_OQ) &
                    _mm512_cmp_pd_mask(var, zero, _CMP_GT_OQ);
      __m512d root = _mm512_sqrt_pd(_mm512_mask_blend_pd(ok, one, var));
      __m512d inv = _mm512_maskz_div_pd(ok, one, root);
      const double *w = xs + b;
      __m512d f0 = _mm512_mul_pd(_mm512_sub_pd(_mm512_loadu_pd(w), mean), inv);
      __m512d l0 = _mm512_mul_pd(_mm512_sub_pd(_mm512_loadu_pd(w + m - 1), mean), inv);
      __m512d f1 = _mm512_mul_pd(_mm512_sub_pd(_mm512_loadu_pd(w + 1), mean), inv);
      __m512d l1 = _mm512_mul_pd(_mm512_sub_pd(_mm512_loadu_pd(w + m - 2), mean), inv);
      __m512d lb = _mm512_add_pd(COST(q0, f0), COST(qz, l0));
      __m512d t = _mm512_min_pd(_mm512_min_pd(COST(q0, f1), COST(q1, f0)), COST(q1, f1));
      lb = _mm512_add_pd(lb, t);
      t = _mm512_min_pd(_mm512_min_pd(COST(qz, l1), COST(qy, l0)), COST(qy, l1));
      lb = _mm512_add_pd(lb, t);
      _mm512_storeu_pd(S->bmean + b, mean);
      _mm512_storeu_pd(S->binv + b, inv);
      _mm512_storeu_pd(S->bkim + b, lb);
    }
  }
#undef COST
  for (; b < nb; b++)
    kim_one(S, xs + b, S->bsum[b], S->bsq[b], sq, &S->bmean[b], &S->binv[b], &S->bkim[b]);
}
#endif

/* Keogh envelope of one window w[0..m) with radius r, clipped to the window:
 * lo[o] / hi[o] = min / max of w[max(0, o-r) .. min(m-1, o+r)]. Clipping to
 * the window only narrows the envelope where the true one reaches outside
 * it, and no warping path pairs a query point with a value outside the
 * window, so LB_Keogh against it is still a lower bound (and tighter).
 * van Herk (1992) / Gil and Werman (1993): with blocks of w = 2r + 1 points,
 * g = running extreme from each block's start and h = from each block's end,
 * any span of at most w points is covered by h at its start and g at its end,
 * so every output costs one comparison and nothing branches on the data. */
static void window_env(const double *x, size_t m, size_t r, double *lo, double *hi, double *t)
{
  double *gmin = t, *gmax = t + m, *hmin = t + 2 * m, *hmax = t + 3 * m;
  size_t w = r < m ? 2 * r + 1 : m + 1; /* r >= m: one block covers everything */
  for (size_t b0 = 0; b0 < m; b0 += w) {
    size_t b1 = b0 + w < m ? b0 + w : m;
    double mn = x[b0], mx = x[b0];
    for (size_t i = b0; i < b1; i++) {
      mn = x[i] < mn ? x[i] : mn;
      mx = x[i] > mx ? x[i] : mx;
      gmin[i] = mn;
      gmax[i] = mx;
    }
    mn = x[b1 - 1];
    mx = x[b1 - 1];
    for (size_t i = b1; i-- > b0;) {
      mn = x[i] < mn ? x[i] : mn;
      mx = x[i] > mx ? x[i] : mx;
      hmin[i] = mn;
      hmax[i] = mx;
    }
  }
  size_t o = 0;
  /* Left edge: the span starts at 0, a block start. */
  for (; o < m && o <= r; o++) {
    size_t b = o + r < m - 1 ? o + r : m - 1;
    lo[o] = gmin[b];
    hi[o] = gmax[b];
  }
  /* Interior: spans of exactly w points. */
  for (; o + r < m - 1; o++) {
    size_t a = o - r, b = o + r;
    lo[o] = hmin[a] < gmin[b] ? hmin[a] : gmin[b];
    hi[o] = hmax[a] > gmax[b] ? hmax[a] : gmax[b];
  }
  /* Right edge: the span ends at m - 1, the end of the last block. */
  size_t last = (m - 1) / w * w;
  for (; o < m; o++) {
    size_t a = o - r;
    if (a >= last) {
      lo[o] = hmin[a];
      hi[o] = hmax[a];
    } else {
      lo[o] = hmin[a] < gmin[m - 1] ? hmin[a] : gmin[m - 1];
      hi[o] = hmax[a] > gmax[m - 1] ? hmax[a] : gmax[m - 1];
    }
  }
}

#ifdef HAVE_AVX2_BLOCK
/* window_env eight outputs at a time, by doubling instead of van Herk's
 * blocks: with the window padded by r points of +inf (for the minimum) and
 * -inf (the maximum) on each side, lo[o] is the minimum of the 2r + 1 padded
 * points from o, and after the passes a[i] = min(a[i], a[i + k]) for
 * k = 1, 2, 4, .. < K, each a[i] holds the minimum of K points from i, so two
 * overlapping spans of K >= (2r + 2) / 2 points cover the 2r + 1. The pads
 * are never the result (every span holds a window point) and min / max are
 * exact, so lo and hi are the values window_env computes. t: 2 (m + 2r + 16)
 * doubles, r < m. */
__attribute__((target("avx512f"))) static void window_env_avx512(const double *x, size_t m,
                                                                 size_t r, double *lo,
                                                                 double *hi, double *t)
{
  size_t len = m + 2 * r, span = 2 * r + 1, K = 1;
  double *pl = t, *pu = t + len + 16;
  while (2 * K <= span)
    K *= 2;
  for (size_t i = 0; i < r; i++) {
    pl[i] = pl[r + m + i] = INFINITY;
    pu[i] = pu[r + m + i] = -INFINITY;
  }
  for (size_t i = len; i < len + 16; i++) {
    pl[i] = INFINITY;
    pu[i] = -INFINITY;
  }
  memcpy(pl + r, x, m * sizeof *x);
  memcpy(pu + r, x, m * sizeof *x);
  /* Pass k needs a[i] valid for i <= m - 1 + span - 2k: it reads up to
   * i + k, below len (+ 8 of padding read past the vector's last lane). */
  for (size_t k = 1; k < K; k *= 2) {
    size_t n = m + span - 2 * k;
    for (size_t i = 0; i < n; i += 8) {
      __m512d a = _mm512_min_pd(_mm512_loadu_pd(pl + i), _mm512_loadu_pd(pl + i + k));
      __m512d b = _mm512_max_pd(_mm512_loadu_pd(pu + i), _mm512_loadu_pd(pu + i + k));
      _mm512_storeu_pd(pl + i, a);
      _mm512_storeu_pd(pu + i, b);
    }
  }
  size_t o = 0, d = span - K;
  for (; o + 8 <= m; o += 8) {
    _mm512_storeu_pd(lo + o, _mm512_min_pd(_mm512_loadu_pd(pl + o), _mm512_loadu_pd(pl + o + d)));
    _mm512_storeu_pd(hi + o, _mm512_max_pd(_mm512_loadu_pd(pu + o), _mm512_loadu_pd(pu + o + d)));
  }
  for (; o < m; o++) {
    lo[o] = pl[o] < pl[o + d] ? pl[o] : pl[o + d];
    hi[o] = pu[o] > pu[o + d] ? pu[o] : pu[o + d];
  }
}
#endif

/* Band DTW of the normalised query against tz that abandons as the UCR suite
 * does (row minimum plus the bound on what is not reached yet, cb) and, in the
 * manner of EAPrunedDTW (Herrmann and Webb 2021), also prunes single cells:
 * once D(i,j) + cb[i+r+1] >= bsf no path through (i,j) can beat bsf (every
 * continuation still has to cover the rows and columns past i + r), so each
 * row only spans from the first live column of the previous row to where the
 * values run past the bound again. Returns the distance, or INFINITY when it
 * cannot be below bsf. */
static inline __attribute__((always_inline)) double dtw_abandon(const search *S, double bsf,
                                                                 int sq)
{
  size_t m = S->m, r = S->r;
  const double *q = S->qn, *t = S->tz, *cb = S->cb;
  double *prev = S->rows, *curr = S->rows + (m + 1);
  prev[0] = 0.0;
  prev[1] = INFINITY;
  size_t ns = 0, pend = 0;
  for (size_t i = 0; i < m; i++) {
    size_t k = i + r + 1 < m ? i + r + 1 : m;
    double ub = bsf - cb[k];
    size_t band_lo = i > r ? i - r : 0;
    size_t band_hi = i + r < m - 1 ? i + r : m - 1;
    size_t js = ns > band_lo ? ns : band_lo;
    size_t p1 = pend < band_hi ? pend : band_hi;
    double left = INFINITY, qi = q[i];
    curr[js] = INFINITY;
    size_t hi = SIZE_MAX, j = js;
    for (; j <= p1; j++) {
      double a = prev[j], b = prev[j + 1];
      double v = a < b ? a : b;
      v = v < left ? v : left;
      left = v + eng__dtw_cost(qi, t[j], sq);
      curr[j + 1] = left;
      hi = left < ub ? j : hi;
    }
    for (; j <= band_hi && left < ub; j++) {
      left = left + eng__dtw_cost(qi, t[j], sq);
      curr[j + 1] = left;
      if (left < ub)
        hi = j;
    }
    if (hi == SIZE_MAX)
      return INFINITY;
    size_t last = j - 1;
    if (last + 1 <= m - 1)
      curr[last + 2] = INFINITY;
    size_t lo = js;
    while (!(curr[lo + 1] < ub))
      lo++;
    ns = lo;
    pend = hi + 1;
    double *tmp = prev;
    prev = curr;
    curr = tmp;
  }
  return pend < m ? INFINITY : prev[m];
}

/* Is s within `excl` of a position already reported? found is sorted. */
static int excluded(const size_t *found, size_t nfound, size_t s, size_t excl)
{
  for (size_t i = 0; i < nfound; i++) {
    size_t p = found[i];
    size_t d = p > s ? p - s : s - p;
    if (d < excl)
      return 1;
  }
  return 0;
}

/* LB_Keogh of the window w (mean, inv) against the query envelope, largest
 * query values first so the sum crosses bsf early; fills cb1. Returns the
 * sum, which is >= bsf exactly when the window is pruned. The sum is a chain
 * in query order: this order is the reference that every instruction set
 * reproduces (see filter_avx512). */
static inline __attribute__((always_inline)) double keogh_query(search *S, const double *w,
                                                                double mean, double inv,
                                                                double bsf, int sq)
{
  size_t m = S->m, i = 0;
  double lb1 = 0;
  /* Four terms per test: the terms are independent, only the sum is a
   * chain, and a test per term costs more than the few terms computed
   * past the crossing (any prefix of the terms is a lower bound). */
  for (; i + 4 <= m && lb1 < bsf; i += 4) {
    const size_t *o = S->order + i;
    double d0 = eng__dtw_outside((w[o[0]] - mean) * inv, S->lqo[i], S->uqo[i], sq);
    double d1 = eng__dtw_outside((w[o[1]] - mean) * inv, S->lqo[i + 1], S->uqo[i + 1], sq);
    double d2 = eng__dtw_outside((w[o[2]] - mean) * inv, S->lqo[i + 2], S->uqo[i + 2], sq);
    double d3 = eng__dtw_outside((w[o[3]] - mean) * inv, S->lqo[i + 3], S->uqo[i + 3], sq);
    S->cb1[o[0]] = d0;
    S->cb1[o[1]] = d1;
    S->cb1[o[2]] = d2;
    S->cb1[o[3]] = d3;
    lb1 += d0;
    lb1 += d1;
    lb1 += d2;
    lb1 += d3;
  }
  for (; i < m && lb1 < bsf; i++) {
    size_t o = S->order[i];
    double d = eng__dtw_outside((w[o] - mean) * inv, S->lqo[i], S->uqo[i], sq);
    S->cb1[o] = d;
    lb1 += d;
  }
  return lb1;
}

#ifdef HAVE_AVX2_BLOCK
/* What the vector filter proved about the reference sum L of keogh_query
 * (its value were the loop run to the end). */
enum { F_PRUNE, /* L >= bsf: keogh_query would prune the window */
       F_LIVE,  /* L < bsf: it would not */
       F_CLOSE  /* too close to bsf to tell: run keogh_query */
};

/* The vectorised first LB_Keogh stage. The reference sum is one serial chain
 * of additions (about 4 cycles a term); here the same terms, computed by the
 * same IEEE operations, are summed a vector at a time, in blocks of
 * contiguous query indices taken largest sum of |qn| first. (No FMA: AVX-512F
 * could encode one, but the build is ISO C, -std=c11, where gcc contracts no
 * a * b + c.) A different order rounds differently, so the sum T is only used
 * to prove a decision. The terms are in [0, inf] (eng__pos0 maps NaN to 0),
 * so keogh_query prunes exactly when its complete sum L is >= bsf (its
 * partial sums only grow), and any order of summing n terms >= 0 is within a
 * factor (1 +- g), g = n u / (1 - n u), u = 2^-53, of the exact sum (Higham,
 * "Accuracy and Stability of Numerical Algorithms", 2002, sec. 4.2), which is
 * >= every partial sum. So a partial T >= bsf (1 + e) gives L >= bsf, and a
 * complete T < bsf (1 - e) gives L < bsf, once (1 + e)(1 - g) / (1 + g) > 1 >
 * (1 - e)(1 + g) / (1 - g) allowing for the rounding of the thresholds
 * themselves: e = (m + 2) 2^-49 = 16 (m + 2) u does it for m <= 2^32. Pruning
 * is therefore exactly the reference's, and only the rare windows that are
 * not pruned (or land within e of bsf) pay for keogh_query. An infinite T
 * proves nothing (overflow) and is CLOSE. */
__attribute__((target("avx512f"))) static inline __attribute__((always_inline)) int
filter_avx512(const search *S, const double *w, double mean, double inv, double hi, double lo,
              int sq)
{
  const __m512d vm = _mm512_set1_pd(mean), vi = _mm512_set1_pd(inv);
  const __m512d z = _mm512_setzero_pd();
  double tot = 0;
  for (size_t j = 0; j < S->nblk; j++) {
    size_t p = S->bstart[j];
    __mmask8 k = (__mmask8)((1u << S->bcnt[j]) - 1);
    __m512d a = _mm512_mul_pd(_mm512_sub_pd(_mm512_maskz_loadu_pd(k, w + p), vm), vi);
    __m512d t = _mm512_add_pd(
        _mm512_max_pd(_mm512_sub_pd(a, _mm512_maskz_loadu_pd(k, S->uq + p)), z),
        _mm512_max_pd(_mm512_sub_pd(_mm512_maskz_loadu_pd(k, S->lq + p), a), z));
    if (sq)
      t = _mm512_mul_pd(t, t);
    tot += _mm512_mask_reduce_add_pd(k, t);
    if (tot >= hi)
      return tot <= DBL_MAX ? F_PRUNE : F_CLOSE;
  }
  return tot < lo ? F_LIVE : F_CLOSE;
}

/* filter_avx512 in blocks of four lanes. */
__attribute__((target("avx2"))) static inline __attribute__((always_inline)) int
filter_avx2(const search *S, const double *w, double mean, double inv, double hi, double lo,
            int sq)
{
  const __m256d vm = _mm256_set1_pd(mean), vi = _mm256_set1_pd(inv);
  const __m256d z = _mm256_setzero_pd();
  double tot = 0;
  for (size_t j = 0; j < S->nblk; j++) {
    size_t p = S->bstart[j];
    __m256d x, l, u, keep;
    if (S->bcnt[j] == 4) {
      x = _mm256_loadu_pd(w + p);
      l = _mm256_loadu_pd(S->lq + p);
      u = _mm256_loadu_pd(S->uq + p);
      keep = _mm256_castsi256_pd(_mm256_set1_epi64x(-1));
    } else {
      __m256i k = _mm256_cmpgt_epi64(_mm256_set1_epi64x((long long)S->bcnt[j]),
                                     _mm256_set_epi64x(3, 2, 1, 0));
      x = _mm256_maskload_pd(w + p, k);
      l = _mm256_maskload_pd(S->lq + p, k);
      u = _mm256_maskload_pd(S->uq + p, k);
      keep = _mm256_castsi256_pd(k);
    }
    __m256d a = _mm256_mul_pd(_mm256_sub_pd(x, vm), vi);
    __m256d t = _mm256_add_pd(_mm256_max_pd(_mm256_sub_pd(a, u), z),
                              _mm256_max_pd(_mm256_sub_pd(l, a), z));
    if (sq)
      t = _mm256_mul_pd(t, t);
    t = _mm256_and_pd(t, keep);
    __m128d h = _mm_add_pd(_mm256_castpd256_pd128(t), _mm256_extractf128_pd(t, 1));
    tot += _mm_cvtsd_f64(_mm_add_sd(h, _mm_unpackhi_pd(h, h)));
    if (tot >= hi)
      return tot <= DBL_MAX ? F_PRUNE : F_CLOSE;
  }
  return tot < lo ? F_LIVE : F_CLOSE;
}

/* From window b of a block (xs: its first window, base: that window's start
 * in the series), skips the windows excluded, pruned by LB_Kim or proved
 * pruned by the filter, counting them as the scalar cascade does; returns the
 * first window left (nb if none) with *close telling whether its LB_Keogh
 * decision is still open. Without exclusions, the LB_Kim test is made for
 * eight windows at once (KIM8: a bit per window whose test fails, NaN
 * included, as in the scalar "if (kim >= bsf)") so that the windows it prunes,
 * most of them, cost no unpredictable branch each. */
#define SCAN_BODY(FILTER, KIM8)                                                                \
  double hi = bsf * S->ehi, lo = (bsf < DBL_MAX ? bsf : DBL_MAX) * S->elo;                     \
  uint64_t nwin = 0, nkim = 0, neq = 0;                                                        \
  while (b < nb) {                                                                             \
    if (nfound == 0 && b + 8 <= nb) {                                                          \
      unsigned all = KIM8(S->bkim + b, bsf), live = all;                                        \
      for (; live; live &= live - 1) {                                                         \
        unsigned j = (unsigned)__builtin_ctz(live);                                            \
        int f = FILTER(S, xs + b + j, S->bmean[b + j], S->binv[b + j], hi, lo, sq);             \
        if (f == F_PRUNE) {                                                                    \
          neq++;                                                                               \
          continue;                                                                            \
        }                                                                                      \
        nwin += j + 1;                                                                         \
        nkim += j + 1 - (unsigned)__builtin_popcount(all & ((2u << j) - 1));                   \
        *close = f == F_CLOSE;                                                                 \
        b += j;                                                                                \
        goto done;                                                                             \
      }                                                                                        \
      nwin += 8;                                                                               \
      nkim += 8 - (unsigned)__builtin_popcount(all);                                           \
      b += 8;                                                                                  \
      continue;                                                                                \
    }                                                                                          \
    if (nfound && excluded(found, nfound, base + b, excl)) {                                   \
      b++;                                                                                     \
      continue;                                                                                \
    }                                                                                          \
    nwin++;                                                                                    \
    if (S->bkim[b] >= bsf) {                                                                   \
      nkim++;                                                                                  \
      b++;                                                                                     \
      continue;                                                                                \
    }                                                                                          \
    int f = FILTER(S, xs + b, S->bmean[b], S->binv[b], hi, lo, sq);                            \
    if (f == F_PRUNE) {                                                                        \
      neq++;                                                                                   \
      b++;                                                                                     \
      continue;                                                                                \
    }                                                                                          \
    *close = f == F_CLOSE;                                                                     \
    break;                                                                                     \
  }                                                                                            \
done:                                                                                          \
  st->windows += nwin;                                                                         \
  st->kim += nkim;                                                                             \
  st->keogh_eq += neq;                                                                         \
  return b;

#define KIM8_512(p, bsf) \
  ((unsigned)_mm512_cmp_pd_mask(_mm512_loadu_pd(p), _mm512_set1_pd(bsf), _CMP_NGE_UQ))
#define KIM8_256(p, bsf)                                                                       \
  ((unsigned)_mm256_movemask_pd(_mm256_cmp_pd(_mm256_loadu_pd(p), _mm256_set1_pd(bsf),         \
                                              _CMP_NGE_UQ)) |                                  \
   (unsigned)_mm256_movemask_pd(_mm256_cmp_pd(_mm256_loadu_pd((p) + 4), _mm256_set1_pd(bsf),   \
                                              _CMP_NGE_UQ)) << 4)

__attribute__((target("avx512f"))) static size_t
scan_avx512(const search *S, const double *xs, size_t b, size_t nb, size_t base,
            const size_t *found, size_t nfound, size_t excl, double bsf, int sq,
            eng_dtw_search_stats *st, int *close)
{
  SCAN_BODY(filter_avx512, KIM8_512)
}

__attribute__((target("avx2"))) static size_t
scan_avx2(const search *S, const double *xs, size_t b, size_t nb, size_t base,
          const size_t *found, size_t nfound, size_t excl, double bsf, int sq,
          eng_dtw_search_stats *st, int *close)
{
  SCAN_BODY(filter_avx2, KIM8_256)
}
#undef KIM8_256
#undef KIM8_512
#undef SCAN_BODY
#endif

/* One pass: the best window not excluded by found[]. Inlined into one copy
 * per point cost so the cost's branch leaves every inner loop. */
static inline __attribute__((always_inline)) void pass_body(search *S, const double *x, size_t nx,
                                                            const size_t *found, size_t nfound,
                                                            size_t excl, double *best,
                                                            size_t *bestpos,
                                                            eng_dtw_search_stats *st, int sq)
{
  size_t m = S->m, r = S->r;
  size_t nstart = nx - m + 1;
  double bsf = INFINITY;
  size_t loc = SIZE_MAX;
  for (size_t c0 = 0; c0 < nstart; c0 += CHUNK) {
    size_t nc = nstart - c0 < CHUNK ? nstart - c0 : CHUNK;
    const double *xs = x + c0;
    /* The running sums are one serial chain of additions per chunk. An even
     * chunk also runs the next chunk's chain, independent of its own, in the
     * same loop (stored in nsum / nsq for it), which halves the time spent
     * waiting on the additions; every sum is still formed in the same order. */
    int ahead = (c0 / CHUNK) % 2 == 0;
    size_t nn = ahead && c0 + CHUNK < nstart ? nstart - c0 - CHUNK : 0;
    nn = nn < CHUNK ? nn : CHUNK;
    const double *xn = nn ? xs + CHUNK : xs; /* the next chunk, when there is one */
    double sum = 0, sumsq = 0, sumn = 0, sumsqn = 0;
    if (ahead) {
      for (size_t i = 0; i + 1 < m; i++) {
        sum += xs[i];
        sumsq += xs[i] * xs[i];
      }
      for (size_t i = 0; nn && i + 1 < m; i++) {
        sumn += xn[i];
        sumsqn += xn[i] * xn[i];
      }
    }
    for (size_t b0 = 0; b0 < nc; b0 += BLK) {
      size_t nb = nc - b0 < BLK ? nc - b0 : BLK;
      /* The running sums, then the statistics and LB_Kim of every window of
       * the block, without branches. */
      if (ahead) {
        size_t b = 0, both = nn > b0 ? nn - b0 : 0;
        both = both < nb ? both : nb;
        for (; b < both; b++) {
          size_t s = b0 + b;
          double xe = xs[s + m - 1], ye = xn[s + m - 1];
          sum += xe;
          sumsq += xe * xe;
          sumn += ye;
          sumsqn += ye * ye;
          S->bsum[b] = sum;
          S->bsq[b] = sumsq;
          S->nsum[s] = sumn;
          S->nsq[s] = sumsqn;
          double xb = xs[s], yb = xn[s];
          sum -= xb;
          sumsq -= xb * xb;
          sumn -= yb;
          sumsqn -= yb * yb;
        }
        for (; b < nb; b++) {
          size_t s = b0 + b;
          double xe = xs[s + m - 1];
          sum += xe;
          sumsq += xe * xe;
          S->bsum[b] = sum;
          S->bsq[b] = sumsq;
          double xb = xs[s];
          sum -= xb;
          sumsq -= xb * xb;
        }
      } else {
        memcpy(S->bsum, S->nsum + b0, nb * sizeof *S->bsum);
        memcpy(S->bsq, S->nsq + b0, nb * sizeof *S->bsq);
      }
#ifdef HAVE_AVX2_BLOCK
      if (S->filt == 2)
        block_avx512(S, xs + b0, nb, sq);
      else if (S->vec)
        block_avx2(S, xs + b0, nb, sq);
      else
#endif
        block_scalar(S, xs + b0, nb, sq);
      for (size_t b = 0; b < nb; b++) {
        int close = 1;
#ifdef HAVE_AVX2_BLOCK
        if (S->filt) {
          b = (S->filt == 2 ? scan_avx512 : scan_avx2)(S, xs + b0, b, nb, c0 + b0, found, nfound,
                                                       excl, bsf, sq, st, &close);
          if (b >= nb)
            break;
        } else
#endif
        {
          if (nfound && excluded(found, nfound, c0 + b0 + b, excl))
            continue;
          st->windows++;
          if (S->bkim[b] >= bsf) {
            st->kim++;
            continue;
          }
        }
        size_t s = b0 + b;
        double mean = S->bmean[b], inv = S->binv[b];
        const double *w = xs + s;
        double lb1 = 0;
        if (close) {
          lb1 = keogh_query(S, w, mean, inv, bsf, sq);
          if (lb1 >= bsf) {
            st->keogh_eq++;
            continue;
          }
        }
        /* LB_Keogh of the query against the window's (data) envelope. */
#ifdef HAVE_AVX2_BLOCK
        if (S->filt == 2)
          window_env_avx512(w, m, r, S->lx, S->ux, S->envt);
        else
#endif
          window_env(w, m, r, S->lx, S->ux, S->envt);
        double lb2 = 0;
        for (size_t i = 0; i < m && lb2 < bsf; i++) {
          size_t o = S->order[i];
          double lo = (S->lx[o] - mean) * inv, hi = (S->ux[o] - mean) * inv;
          double d = eng__dtw_outside(S->qo[i], lo, hi, sq);
          S->cb2[o] = d;
          lb2 += d;
        }
        if (lb2 >= bsf) {
          st->keogh_ec++;
          continue;
        }
        /* Proved below bsf by the filter: the full sum and cb1 now. */
        if (!close)
          lb1 = keogh_query(S, w, mean, inv, bsf, sq);
        /* Suffix sums of the tighter bound, for DTW's abandoning test. */
        const double *src = lb1 > lb2 ? S->cb1 : S->cb2;
        S->cb[m] = 0;
        for (size_t k = m; k-- > 0;)
          S->cb[k] = S->cb[k + 1] + src[k];
        for (size_t k = 0; k < m; k++)
          S->tz[k] = (w[k] - mean) * inv;
        st->dtw++;
        double d = dtw_abandon(S, bsf, sq);
        if (d < bsf) {
          bsf = d;
          loc = c0 + s;
        }
      }
    }
  }
  *best = bsf;
  *bestpos = loc;
}

static void pass_sq(search *S, const double *x, size_t nx, const size_t *found, size_t nfound,
                    size_t excl, double *best, size_t *bestpos, eng_dtw_search_stats *st)
{
  pass_body(S, x, nx, found, nfound, excl, best, bestpos, st, 1);
}

static void pass_abs(search *S, const double *x, size_t nx, const size_t *found, size_t nfound,
                     size_t excl, double *best, size_t *bestpos, eng_dtw_search_stats *st)
{
  pass_body(S, x, nx, found, nfound, excl, best, bestpos, st, 0);
}

int eng_dtw_search(const double *q, size_t nq, const double *x, size_t nx,
                   const eng_dtw_search_opts *opts, eng_dtw_match *out, size_t *nout,
                   eng_dtw_search_stats *stats)
{
  return eng_dtw_search_isa(q, nq, x, nx, opts, ENG_DTW_ISA_AUTO, out, nout, stats);
}

int eng_dtw_search_isa(const double *q, size_t nq, const double *x, size_t nx,
                       const eng_dtw_search_opts *opts, eng_dtw_isa isa, eng_dtw_match *out,
                       size_t *nout, eng_dtw_search_stats *stats)
{
  int vec = 0, filt = 0;
  if (isa != ENG_DTW_ISA_SCALAR && isa != ENG_DTW_ISA_AUTO && !eng_dtw_isa_supported(isa))
    return ENG_ENOSYS;
#ifdef HAVE_AVX2_BLOCK
  vec = isa != ENG_DTW_ISA_SCALAR && __builtin_cpu_supports("avx2");
  filt = vec;
  if ((isa == ENG_DTW_ISA_AUTO || isa == ENG_DTW_ISA_AVX512) && __builtin_cpu_supports("avx512f"))
    filt = 2;
#endif
  eng_dtw_search_opts def;
  if (opts == NULL) {
    eng_dtw_search_opts_init(&def);
    opts = &def;
  }
  if (q == NULL || x == NULL || out == NULL || nout == NULL || nq == 0 || opts->k == 0)
    return ENG_EINVAL;
  if (opts->cost != ENG_DTW_SQUARED && opts->cost != ENG_DTW_ABSOLUTE)
    return ENG_EINVAL;
  if (opts->window < 0)
    return ENG_EINVAL;
  if (nx < nq)
    return ENG_ESHORT;
  if (eng__dtw_finite(q, nq) || eng__dtw_finite(x, nx))
    return ENG_ENAN;
  size_t m = nq;
  size_t r = (uint64_t)opts->window >= (uint64_t)m ? m - 1 : (size_t)opts->window;
  size_t nahead = nx - m + 1 > CHUNK ? CHUNK : 0; /* the second chunk's sums */
  size_t ndbl = 5 * m + 3 * m + 1 + m + 2 * (m + 1) + 2 * m + 6 * m + 32 + 5 * BLK + m + 2 * nahead;
  /* one block: doubles, then size_t (order, ring, found) */
  size_t ringcap = eng_dtw_envelope_workspace(m, r) / 2;
  size_t nsz = m + 2 * ringcap + opts->k + 2 * ((m + 3) / 4);
  if (opts->k > SIZE_MAX / 4 || m > SIZE_MAX / 64)
    return ENG_ENOMEM;
  double *dbl = malloc(ndbl * sizeof(double));
  size_t *szs = malloc(nsz * sizeof(size_t));
  keyed *keys = malloc(m * sizeof *keys);
  if (dbl == NULL || szs == NULL || keys == NULL) {
    free(dbl);
    free(szs);
    free(keys);
    return ENG_ENOMEM;
  }
  search S;
  S.m = m;
  S.r = r;
  S.sq = opts->cost == ENG_DTW_SQUARED;
  S.znorm = opts->znorm != 0;
  double *qn = dbl, *lq = dbl + m, *uq = dbl + 2 * m, *qo = dbl + 3 * m, *lqo = dbl + 4 * m;
  double *uqo = dbl + 5 * m;
  S.cb1 = dbl + 6 * m;
  S.cb2 = dbl + 7 * m;
  S.cb = dbl + 8 * m; /* m + 1 */
  S.tz = S.cb + m + 1;
  S.rows = S.tz + m;
  S.lx = S.rows + 2 * (m + 1);
  S.ux = S.lx + m;
  S.envt = S.ux + m;
  S.bmean = S.envt + 6 * m + 32;
  S.binv = S.bmean + BLK;
  S.bkim = S.binv + BLK;
  S.bsum = S.bkim + BLK;
  S.bsq = S.bsum + BLK;
  S.nsum = S.bsq + BLK;
  S.nsq = S.nsum + nahead;
  S.vec = vec;
  size_t *order = szs;
  size_t *ring = szs + m;
  size_t *found = szs + m + 2 * ringcap;
  size_t *bstart = found + opts->k, *bcnt = bstart + (m + 3) / 4;

  /* Normalise the query (two-pass mean and variance). */
  double mu = 0, var = 0;
  if (S.znorm) {
    for (size_t i = 0; i < m; i++)
      mu += q[i];
    mu /= (double)m;
    double ms = 0;
    for (size_t i = 0; i < m; i++) {
      var += (q[i] - mu) * (q[i] - mu);
      ms += q[i] * q[i];
    }
    var /= (double)m;
    ms /= (double)m;
    double inv = var > 1e-12 * ms && var > 0 ? 1.0 / sqrt(var) : 0.0;
    for (size_t i = 0; i < m; i++)
      qn[i] = (q[i] - mu) * inv;
  } else {
    memcpy(qn, q, m * sizeof *qn);
  }
  eng__dtw_envelope(qn, m, r, m, lq, uq, ring, ringcap);
  for (size_t i = 0; i < m; i++) {
    keys[i].key = fabs(qn[i]);
    keys[i].idx = i;
  }
  qsort(keys, m, sizeof *keys, by_key_desc);
  for (size_t i = 0; i < m; i++) {
    size_t o = keys[i].idx;
    order[i] = o;
    qo[i] = qn[o];
    lqo[i] = lq[o];
    uqo[i] = uq[o];
  }
  /* The filter's blocks of lanes, the largest sum of |qn| first. */
  size_t lanes = filt == 2 ? 8 : 4;
  S.nblk = (m + lanes - 1) / lanes;
  for (size_t j = 0; j < S.nblk; j++) {
    double key = 0;
    for (size_t i = j * lanes; i < m && i < (j + 1) * lanes; i++)
      key += fabs(qn[i]);
    keys[j].key = key;
    keys[j].idx = j * lanes;
  }
  qsort(keys, S.nblk, sizeof *keys, by_key_desc);
  for (size_t j = 0; j < S.nblk; j++) {
    bstart[j] = keys[j].idx;
    bcnt[j] = m - bstart[j] < lanes ? m - bstart[j] : lanes;
  }
  free(keys);
  S.lq = lq;
  S.uq = uq;
  S.bstart = bstart;
  S.bcnt = bcnt;
  S.ehi = 1 + ldexp((double)m + 2, -49);
  S.elo = 1 - ldexp((double)m + 2, -49);
  S.filt = (uint64_t)m <= (UINT64_C(1) << 32) ? filt : 0;
  S.qn = qn;
  S.order = order;
  S.qo = qo;
  S.lqo = lqo;
  S.uqo = uqo;

  eng_dtw_search_stats st;
  memset(&st, 0, sizeof st);
  size_t excl = opts->exclusion ? opts->exclusion : m;
  size_t nfound = 0;
  while (nfound < opts->k) {
    double best;
    size_t pos;
    if (S.sq)
      pass_sq(&S, x, nx, found, nfound, excl, &best, &pos, &st);
    else
      pass_abs(&S, x, nx, found, nfound, excl, &best, &pos, &st);
    if (pos == SIZE_MAX)
      break;
    out[nfound].pos = pos;
    out[nfound].dist = best;
    found[nfound++] = pos;
  }
  *nout = nfound;
  if (stats)
    *stats = st;
  free(dbl);
  free(szs);
  return 0;
}
