/* dtw_search.c: best-k subsequence search under z-normalised DTW with the UCR-suite pruning cascade. */
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
  double *envt;           /* 4 * m scratch for window_env */
  double *bsum, *bsq;     /* per window of a block: running sums */
  double *bmean, *binv, *bkim; /* per window of a block: mean, 1/std, LB_Kim */
  int vec;                /* 1: the AVX2 block code */
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
 * performs (division, square root, min; no FMA), so the values are the same. */
__attribute__((target("avx2"))) static void block_avx2(search *S, const double *xs, size_t nb,
                                                       int sq)
{
  size_t m = S->m, b = 0;
  const double *qn = S->qn;
  const __m256d vm = _mm256_set1_pd((double)m), one = _mm256_set1_pd(1.0);
  const __m256d zero = _mm256_setzero_pd(), tiny = _mm256_set1_pd(1e-12);
  const __m256d sign = _mm256_set1_pd(-0.0);
  const __m256d q0 = _mm256_set1_pd(qn[0]), q1 = _mm256_set1_pd(qn[m > 1 ? 1 : 0]);
  const __m256d qz = _mm256_set1_pd(qn[m - 1]), qy = _mm256_set1_pd(qn[m > 1 ? m - 2 : 0]);
#define COST(q, v) (sq ? _mm256_mul_pd(_mm256_sub_pd(q, v), _mm256_sub_pd(q, v)) \
                       : _mm256_andnot_pd(sign, _mm256_sub_pd(q, v)))
  if (S->znorm && m >= 4) {
    for (; b + 4 <= nb; b += 4) {
      __m256d mean = _mm256_div_pd(_mm256_loadu_pd(S->bsum + b), vm);
      __m256d ms = _mm256_div_pd(_mm256_loadu_pd(S->bsq + b), vm);
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
    double sum = 0, sumsq = 0;
    for (size_t i = 0; i + 1 < m; i++) {
      sum += xs[i];
      sumsq += xs[i] * xs[i];
    }
    for (size_t b0 = 0; b0 < nc; b0 += BLK) {
      size_t nb = nc - b0 < BLK ? nc - b0 : BLK;
      /* The running sums (one serial chain), then the statistics and LB_Kim
       * of every window of the block, without branches. */
      for (size_t b = 0; b < nb; b++) {
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
#ifdef HAVE_AVX2_BLOCK
      if (S->vec)
        block_avx2(S, xs + b0, nb, sq);
      else
#endif
        block_scalar(S, xs + b0, nb, sq);
      for (size_t b = 0; b < nb; b++) {
        size_t s = b0 + b;
        if (nfound && excluded(found, nfound, c0 + s, excl))
          continue;
        st->windows++;
        if (S->bkim[b] >= bsf) {
          st->kim++;
          continue;
        }
        double mean = S->bmean[b], inv = S->binv[b];
        const double *w = xs + s;
        /* LB_Keogh of the window against the query envelope, largest query
         * values first so the sum crosses bsf early. */
        double lb1 = 0;
        size_t i = 0;
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
        if (lb1 >= bsf) {
          st->keogh_eq++;
          continue;
        }
        /* LB_Keogh of the query against the window's (data) envelope. */
        window_env(w, m, r, S->lx, S->ux, S->envt);
        double lb2 = 0;
        for (i = 0; i < m && lb2 < bsf; i++) {
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
  int vec = 0;
  if (isa != ENG_DTW_ISA_SCALAR && isa != ENG_DTW_ISA_AUTO && !eng_dtw_isa_supported(isa))
    return ENG_ENOSYS;
#ifdef HAVE_AVX2_BLOCK
  vec = isa != ENG_DTW_ISA_SCALAR && __builtin_cpu_supports("avx2");
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
  size_t ndbl = 5 * m + 3 * m + 1 + m + 2 * (m + 1) + 2 * m + 4 * m + 5 * BLK + m;
  /* one block: doubles, then size_t (order, ring, found) */
  size_t ringcap = eng_dtw_envelope_workspace(m, r) / 2;
  size_t nsz = m + 2 * ringcap + opts->k;
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
  S.bmean = S.envt + 4 * m;
  S.binv = S.bmean + BLK;
  S.bkim = S.binv + BLK;
  S.bsum = S.bkim + BLK;
  S.bsq = S.bsum + BLK;
  S.vec = vec;
  size_t *order = szs;
  size_t *ring = szs + m;
  size_t *found = szs + m + 2 * ringcap;

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
  free(keys);
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
