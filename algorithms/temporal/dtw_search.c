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
  double *lx, *ux;        /* data envelope of the chunk */
  size_t *ring;
  size_t ringcap;
} search;

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
  const double *qn = S->qn;
  for (size_t c0 = 0; c0 < nstart; c0 += CHUNK) {
    size_t nc = nstart - c0 < CHUNK ? nstart - c0 : CHUNK;
    size_t span = nc + m - 1;
    const double *xs = x + c0;
    /* The data envelope serves only the few windows that survive LB_Kim and
     * the first LB_Keogh, so it is built on demand over [elo, ehi), a stretch
     * covering the window plus some look-ahead. An envelope clipped to a
     * stretch that contains the whole window is narrower than the true one
     * only where the true one reaches outside the window, so it still bounds
     * every value a warping path can pair with that query point. */
    size_t elo = 0, ehi = 0;
    double sum = 0, sumsq = 0;
    for (size_t i = 0; i + 1 < m; i++) {
      sum += xs[i];
      sumsq += xs[i] * xs[i];
    }
    for (size_t s = 0; s < nc; s++) {
      double xe = xs[s + m - 1];
      sum += xe;
      sumsq += xe * xe;
      double mean, inv;
      window_stats(S, sum, sumsq, &mean, &inv);
      double xb = xs[s];
      /* leave the sums ready for the next window before any `continue` */
      sum -= xb;
      sumsq -= xb * xb;
      if (nfound && excluded(found, nfound, c0 + s, excl))
        continue;
      st->windows++;
      const double *w = xs + s;
      /* LB_Kim: the first and last cells, then the cheapest second and
       * second-to-last cells (distinct from the ends once m >= 4). */
      double f0 = (w[0] - mean) * inv, l0 = (w[m - 1] - mean) * inv;
      double lb = eng__dtw_cost(qn[0], f0, sq);
      if (m > 1)
        lb += eng__dtw_cost(qn[m - 1], l0, sq);
      if (m >= 4 && lb < bsf) {
        double f1 = (w[1] - mean) * inv, l1 = (w[m - 2] - mean) * inv;
        double a = eng__dtw_cost(qn[0], f1, sq), b = eng__dtw_cost(qn[1], f0, sq), c = eng__dtw_cost(qn[1], f1, sq);
        double t = a < b ? a : b;
        lb += t < c ? t : c;
        a = eng__dtw_cost(qn[m - 1], l1, sq);
        b = eng__dtw_cost(qn[m - 2], l0, sq);
        c = eng__dtw_cost(qn[m - 2], l1, sq);
        t = a < b ? a : b;
        lb += t < c ? t : c;
      }
      if (lb >= bsf) {
        st->kim++;
        continue;
      }
      /* LB_Keogh of the window against the query envelope, largest query
       * values first so the sum crosses bsf early. */
      double lb1 = 0;
      size_t i;
      for (i = 0; i < m && lb1 < bsf; i++) {
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
      if (!(s >= elo && s + m <= ehi)) {
        elo = s;
        ehi = s + 2 * m + 1024 < span ? s + 2 * m + 1024 : span;
        eng__dtw_envelope(xs + elo, ehi - elo, r, ehi - elo, S->lx + elo, S->ux + elo, S->ring,
                          S->ringcap);
      }
      double lb2 = 0;
      for (i = 0; i < m && lb2 < bsf; i++) {
        size_t o = S->order[i];
        double lo = (S->lx[s + o] - mean) * inv, hi = (S->ux[s + o] - mean) * inv;
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
  size_t span = CHUNK + m - 1;
  size_t ringcap = eng_dtw_envelope_workspace(span, r) / 2;
  size_t ndbl = 5 * m + 3 * m + 1 + m + 2 * (m + 1) + 2 * span + m;
  /* one block: doubles, then size_t (order, ring, found) */
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
  S.ux = S.lx + span;
  size_t *order = szs;
  S.ring = szs + m;
  S.ringcap = ringcap;
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
  eng__dtw_envelope(qn, m, r, m, lq, uq, S.ring, ringcap);
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
