/* corrdim.c: correlation sums over radii and dimensions and the correlation dimension (Grassberger-Procaccia 1983). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "attr_internal.h"

#define SUB ENG_CORRDIM_SUB
/* Each block counts into this many interleaved copies of its histogram
 * (bin f, copy c at f * COPIES + c), pair k into copy k mod COPIES:
 * consecutive pairs often fall in the same bin, and one copy would chain
 * those increments through one memory cell. */
#define COPIES 4

struct eng_corrdim_plan {
  eng_corrdim_opts o;
  double *x;         /* standardised copy */
  size_t n, rows;    /* rows: delay vectors at m_max (the common point set) */
  size_t theiler;
  unsigned nm;       /* m_max - m_min + 1 */
  size_t nbins;      /* octaves * SUB fine bins + 1 underflow bin */
  double sd;
  double *sv;        /* first delay coordinate of every row, sorted */
  double *s1;        /* second delay coordinate in the same order (m_max >= 2) */
  size_t *si;        /* the row of each sorted value */
  size_t *end;       /* per sorted row s: the first t > s with (sv[t] - sv[s]) / r_max >= 1 */
  size_t maxwin;     /* the longest window end[s] - s - 1 */
  size_t *bound;     /* blocks + 1 boundaries in sorted order, of equal work */
  size_t *ptr;       /* blocks x nbins: the per-radius scan ends of the m = 1 counts */
  uint64_t *hist;    /* blocks x nm x nbins x COPIES */
  unsigned char *done;
};

void eng_corrdim_opts_init(eng_corrdim_opts *o)
{
  if (!o)
    return;
  memset(o, 0, sizeof *o);
  o->m_min = 1;
  o->m_max = 10;
  o->tau = 1;
  o->theiler = ENG_LYAP_AUTO;
  o->r_max = 1.0;
  o->octaves = 12;
  o->blocks = 8;
  o->min_pairs = 200;
}

size_t eng_corrdim_nradii(const eng_corrdim_opts *o)
{
  return o ? (size_t)o->octaves * SUB + 1 : 0;
}

unsigned eng_corrdim_plan_blocks(const eng_corrdim_plan *p) { return p ? p->o.blocks : 0; }

void eng_corrdim_plan_destroy(eng_corrdim_plan *p)
{
  if (!p)
    return;
  free(p->sv);
  free(p->s1);
  free(p->si);
  free(p->end);
  free(p->x);
  free(p->bound);
  free(p->ptr);
  free(p->hist);
  free(p->done);
  free(p);
}

/* The rows 0..rows-1 in the order of x, ties by row, into si: a stable
 * LSD radix sort (8 bits a pass) on an order-preserving integer image of
 * each double, skipping the passes where every key has the same digit.
 * Returns 0 or ENG_ENOMEM. */
static int sort_rows(const double *x, size_t rows, size_t *si)
{
  uint64_t *ka = malloc(2 * rows * sizeof *ka);
  size_t *ib = malloc(rows * sizeof *ib);
  size_t(*cnt)[256] = calloc(8, sizeof *cnt);
  if (!ka || !ib || !cnt) {
    free(ka);
    free(ib);
    free(cnt);
    return ENG_ENOMEM;
  }
  uint64_t *kb = ka + rows;
  size_t *ia = si;
  for (size_t r = 0; r < rows; r++) {
    double v = x[r] + 0.0; /* -0 as +0: equal values compare equal */
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    /* negative: all bits flipped; positive: the sign bit set */
    uint64_t key = bits >> 63 ? ~bits : bits | (UINT64_C(1) << 63);
    ka[r] = key;
    ia[r] = r;
    for (unsigned d = 0; d < 8; d++)
      cnt[d][(key >> (8 * d)) & 255]++;
  }
  for (unsigned d = 0; d < 8; d++) {
    if (cnt[d][(ka[0] >> (8 * d)) & 255] == rows)
      continue;
    size_t off = 0;
    for (unsigned b = 0; b < 256; b++) {
      size_t c = cnt[d][b];
      cnt[d][b] = off;
      off += c;
    }
    for (size_t r = 0; r < rows; r++) {
      size_t pos = cnt[d][(ka[r] >> (8 * d)) & 255]++;
      kb[pos] = ka[r];
      ib[pos] = ia[r];
    }
    uint64_t *tk = ka;
    size_t *ti = ia;
    ka = kb;
    kb = tk;
    ia = ib;
    ib = ti;
  }
  if (ia != si) {
    memcpy(si, ia, rows * sizeof *si);
    ib = ia;
  }
  free(ka < kb ? ka : kb);
  free(ib);
  free(cnt);
  return 0;
}

/* Bin of a pair at distance d = t r_max, read from the bits of t instead of
 * a log: with t = 2^(E-1023) (1 + mantissa), the octave below r_max is
 * 1022 - E and the linear sub-bin the mantissa's top 4 bits (SUB = 16), so
 * key = the top 16 bits = E * 16 + sub gives fine bin 16367 - key (0 = the
 * largest distances). Smaller distances (t < 2^-octaves, zero and subnormals
 * included) go to the underflow bin u; t >= 1 is beyond r_max: -1. This is
 * exactly the bin of t in the radius grid r_max 2^-e (1 + s/16). */
static inline long bin_of(double t, long u)
{
  uint64_t bits;
  memcpy(&bits, &t, sizeof bits);
  long key = (long)(bits >> 48), f = 16367 - key;
  if (f < 0)
    return -1;
  return f < u ? f : u;
}

int eng_corrdim_plan_create(eng_corrdim_plan **out, const double *x, size_t n,
                            const eng_corrdim_opts *oin)
{
  eng_corrdim_opts def;
  if (!oin) {
    eng_corrdim_opts_init(&def);
    oin = &def;
  }
  if (!out || !x)
    return ENG_EINVAL;
  *out = NULL;
  const eng_corrdim_opts *o = oin;
  if (o->m_min == 0 || o->m_max < o->m_min || o->m_max > 64 || o->tau == 0 ||
      !(o->r_max > 0.0) || !isfinite(o->r_max) || o->octaves == 0 || o->octaves > 60 ||
      o->blocks == 0 || o->blocks > 4096 || !(o->min_pairs >= 1.0))
    return ENG_EINVAL;
  double mean, sd;
  int rc = eng__series_check(x, n, &mean, &sd);
  if (rc)
    return rc;
  size_t span = (size_t)(o->m_max - 1) * o->tau;
  if (n < span + 64)
    return ENG_ESHORT;
  size_t rows = n - span;
  size_t w = o->theiler;
  if (w == ENG_LYAP_AUTO)
    w = eng__auto_theiler(eng__mean_period(x, n, mean, sd), o->m_max, o->tau, rows);
  if (w + 32 >= rows)
    return ENG_ESHORT;
  eng_corrdim_plan *p = calloc(1, sizeof *p);
  if (!p)
    return ENG_ENOMEM;
  p->o = *o;
  p->n = n;
  p->rows = rows;
  p->theiler = w;
  p->nm = o->m_max - o->m_min + 1;
  p->nbins = (size_t)o->octaves * SUB + 1;
  p->sd = sd;
  p->x = malloc(n * sizeof *p->x);
  p->bound = malloc((o->blocks + 1) * sizeof *p->bound);
  /* the pointers of count_m1, the only user */
  p->ptr = o->m_max == 1 ? malloc((size_t)o->blocks * p->nbins * sizeof *p->ptr) : NULL;
  /* each block clears its own part when it runs */
  p->hist = malloc((size_t)o->blocks * COPIES * p->nm * p->nbins * sizeof *p->hist);
  p->done = calloc(o->blocks, 1);
  p->sv = malloc(rows * sizeof *p->sv);
  p->si = malloc(rows * sizeof *p->si);
  p->end = malloc(rows * sizeof *p->end);
  p->s1 = o->m_max >= 2 ? malloc(rows * sizeof *p->s1) : NULL;
  if (!p->x || !p->bound || (o->m_max == 1 && !p->ptr) || !p->hist || !p->done || !p->sv ||
      !p->si || !p->end || (o->m_max >= 2 && !p->s1)) {
    eng_corrdim_plan_destroy(p);
    return ENG_ENOMEM;
  }
  for (size_t i = 0; i < n; i++)
    p->x[i] = (x[i] - mean) / sd;
  /* Candidate pairs come from the values of the first coordinate sorted:
   * the max-norm distance is at least the difference in that coordinate, so
   * every pair closer than r_max lies within r_max of each other in sorted
   * order; a forward scan from each value finds them, each pair once. */
  if (sort_rows(p->x, rows, p->si)) {
    eng_corrdim_plan_destroy(p);
    return ENG_ENOMEM;
  }
  for (size_t i = 0; i < rows; i++) {
    p->sv[i] = p->x[p->si[i]];
    if (p->s1)
      p->s1[i] = p->x[p->si[i] + o->tau];
  }
  /* Window ends by two pointers, and block boundaries of equal work: a row
   * costs its window (the candidate scan, which also counts m = 1 and 2)
   * plus a fixed share (the passes of m >= 3, or with m_max = 1 the radius
   * grid walked by count_m1), so dense and sparse regions of the attractor
   * balance and every worker gets the same amount. */
  double inv_r = 1.0 / o->r_max, total = 0.0,
         per_row = o->m_max == 1 ? 0.5 * (double)p->nbins : 32.0;
  for (size_t s = 0, t = 1; s < rows; s++) {
    if (t <= s)
      t = s + 1;
    /* the same test as every count: d / r_max (rounded) < 1 */
    while (t < rows && (p->sv[t] - p->sv[s]) * inv_r < 1.0)
      t++;
    p->end[s] = t;
    if (t - s - 1 > p->maxwin)
      p->maxwin = t - s - 1;
    total += (double)(t - s - 1) + per_row;
  }
  p->bound[0] = 0;
  {
    double acc = 0.0;
    unsigned b = 1;
    for (size_t s = 0; s < rows && b < o->blocks; s++) {
      acc += (double)(p->end[s] - s - 1) + per_row;
      while (b < o->blocks && acc >= total * (double)b / (double)o->blocks)
        p->bound[b++] = s + 1;
    }
    while (b < o->blocks)
      p->bound[b++] = rows;
  }
  p->bound[o->blocks] = rows;
  *out = p;
  return 0;
}

/* Fine bin of 0 <= t < 1 (see bin_of) as an index; any t >= 1 (16367 - key
 * negative, huge as unsigned) lands in the underflow bin u too, so a caller
 * that adds 0 for those needs no branch. */
static inline size_t fbin(double t, size_t u)
{
  uint64_t bits;
  memcpy(&bits, &t, sizeof bits);
  size_t f = (size_t)16367 - (size_t)(bits >> 48);
  return f < u ? f : u;
}

/* m = 1 alone (m_max = 1, so no pair filter runs; otherwise the filter
 * counts m = 1 while it reads the windows: cheaper than this walk, whose
 * loop exits mispredict) needs no scan of the pairs: in
 * sorted order the pairs of s within radius k are the t in (s, e_k(s)), and
 * e_k is non-decreasing in s, so one pointer per radius walks each block
 * once. The pairs inside the Theiler window are counted by the same rule and
 * subtracted (unsigned arithmetic wraps, the block sums are exact). Counts
 * go to copy 0 of each bin. */
static void count_m1(eng_corrdim_plan *p, unsigned b, uint64_t *h)
{
  const double *sv = p->sv, inv_r = 1.0 / p->o.r_max;
  size_t rows = p->rows, nb = p->nbins, *e = p->ptr + (size_t)b * nb;
  size_t s0 = p->bound[b], s1 = p->bound[b + 1];
  long u = (long)nb - 1;
  if (s0 < s1) {
    /* radius k holds fine bins >= nb-1-k; start from a histogram of s0's window */
    memset(h, 0, nb * sizeof *h);
    uint64_t *tmp = h; /* reused: overwritten by the counts below */
    for (size_t t = s0 + 1; t < p->end[s0]; t++) {
      long f = bin_of((sv[t] - sv[s0]) * inv_r, u);
      if (f >= 0)
        tmp[f]++;
    }
    size_t acc = s0 + 1 + (size_t)tmp[u];
    e[0] = acc;
    for (size_t k = 1; k < nb; k++) {
      acc += (size_t)tmp[nb - 1 - k];
      e[k] = acc;
    }
    memset(h, 0, nb * sizeof *h);
  }
  uint64_t cum0 = 0;
  for (size_t s = s0; s < s1; s++) {
    double v = sv[s];
    for (size_t k = 0; k < nb; k++) {
      size_t t = e[k] > s + 1 ? e[k] : s + 1;
      long thr = u - (long)k;
      while (t < rows && bin_of((sv[t] - v) * inv_r, u) >= thr)
        t++;
      e[k] = t;
    }
    /* cumulative count at radius k: e[k] - s - 1; stored per fine bin */
    uint64_t prev = e[0] - s - 1;
    cum0 += prev;
    for (size_t k = 1; k < nb; k++) {
      uint64_t c = e[k] - s - 1;
      h[(nb - 1 - k) * COPIES] += c - prev;
      prev = c;
    }
  }
  h[(size_t)u * COPIES] += cum0;
  /* the Theiler window, by time index: block b takes its share of rows */
  size_t w = p->theiler, blocks = p->o.blocks;
  size_t i0 = (size_t)(((unsigned long long)b * rows) / blocks);
  size_t i1 = (size_t)(((unsigned long long)(b + 1) * rows) / blocks);
  const double *x = p->x;
  for (size_t i = i0; i < i1; i++)
    for (size_t j = i + 1; j <= i + w && j < rows; j++) {
      long f = bin_of(fabs(x[i] - x[j]) * inv_r, u);
      if (f >= 0)
        h[(size_t)f * COPIES]--;
    }
}

/* The per-reference constants of the pair scan. */
typedef struct scan_ctx {
  const double *x;
  size_t tau, w, nb;
  unsigned m0, M;   /* dimensions counted here: m0 (>= 2) .. M */
  double r, inv_r;
  size_t u;         /* underflow bin */
  uint64_t *h;      /* histogram of dimension m0; one row (nb * COPIES) per dimension */
} scan_ctx;

/* The pairs of one reference row are counted in passes over a buffer of its
 * candidates instead of one pair at a time: the filter keeps the pairs
 * closer than r_max in two dimensions, and each pass adds one coordinate to
 * every pair still closer than r_max (max norm: the distance in m+1
 * dimensions is the max of the distance in m and the new coordinate, so one
 * pass per dimension serves every dimension), counts it, and compacts the
 * buffer without a branch. A pair-at-a-time loop would mispredict its exit
 * once per pair; here the only data-dependent branches are loop ends.
 * Distances are compared as t = d / r_max < 1 (rounding is monotone, so the
 * max of the scaled differences is the scaled max). */

/* One pass: adds coordinate m to pairs k0..n-1 of bj/bt, keeps those still
 * closer than r_max into oj/ot from n2 on and, when counted, counts them in
 * hm (the histogram of dimension m + 1), with no data-dependent branch; with
 * count_in it also counts the pairs it reads into hin (dimension m). Returns
 * the new n2. extend_avx2 finishes its last pairs here. */
static inline __attribute__((always_inline)) size_t
extend_from(const scan_ctx *c, size_t i, unsigned m, const size_t *restrict bj,
            const double *restrict bt, size_t k0, size_t n, size_t *restrict oj,
            double *restrict ot, size_t n2, uint64_t *restrict hm, const int counted,
            uint64_t *restrict hin, const int count_in)
{
  const double *x = c->x + (size_t)m * c->tau, inv_r = c->inv_r, ref = x[i];
  size_t u = c->u;
  for (size_t k = k0; k < n; k++) {
    size_t j = bj[k];
    double v = fabs(ref - x[j]) * inv_r, t = bt[k];
    if (count_in)
      hin[fbin(t, u) * COPIES + (k & (COPIES - 1))]++;
    t = v > t ? v : t;
    int keep = t < 1.0;
    oj[n2] = j;
    ot[n2] = t;
    n2 += (size_t)keep;
    /* a dropped pair adds 0 to some bin (a shared sink would chain every
     * drop through one memory cell) */
    if (counted)
      hm[fbin(t, u) * COPIES + (k & (COPIES - 1))] += (uint64_t)keep;
  }
  return n2;
}

static inline size_t extend(const scan_ctx *c, size_t i, unsigned m, const size_t *restrict bj,
                            const double *restrict bt, size_t n, size_t *restrict oj,
                            double *restrict ot, uint64_t *restrict hm, const int counted)
{
  return extend_from(c, i, m, bj, bt, 0, n, oj, ot, 0, hm, counted, NULL, 0);
}

/* The candidates of sorted row s (its window in the first coordinate)
 * closer than r_max in the first two coordinates and outside the Theiler
 * window, into the buffer; returns how many. h1, h2: NULL, or the
 * histograms of dimension 1 (every pair of the window outside the Theiler
 * window) and 2 (the pairs kept) to count in. */
static inline __attribute__((always_inline)) size_t
filter_from(const eng_corrdim_plan *p, const scan_ctx *cx, size_t s, size_t t, size_t n,
            size_t *bj, double *bt, uint64_t *h1, uint64_t *h2)
{
  const double *sv = p->sv, *c1 = p->s1, inv_r = cx->inv_r, v0 = sv[s], v1 = c1[s];
  const size_t *si = p->si;
  size_t i = si[s], e = p->end[s], w = cx->w, u = cx->u;
  for (; t < e; t++) {
    double a = sv[t] - v0, c = fabs(c1[t] - v1), d = (a > c ? a : c) * inv_r;
    size_t j = si[t], dj = j > i ? j - i : i - j;
    size_t far = dj > w, keep = (d < 1.0) & far;
    bj[n] = j;
    bt[n] = d;
    n += keep;
    if (h1)
      h1[fbin(a * inv_r, u) * COPIES + (t & (COPIES - 1))] += far;
    if (h2)
      h2[fbin(d, u) * COPIES + (t & (COPIES - 1))] += keep;
  }
  return n;
}

static size_t filter_scalar(const eng_corrdim_plan *p, const scan_ctx *cx, size_t s, size_t *bj,
                            double *bt, uint64_t *h1, uint64_t *h2)
{
  return filter_from(p, cx, s, s + 1, 0, bj, bt, h1, h2);
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_SCAN_AVX2 1
/* The same filter and passes four pairs at a time, compacting with a
 * permutation table (lane k of entry mask holds the k-th set lane of mask)
 * and counting lane l into histogram copy l. */
static const uint32_t pack4[16][8] = {
    {0, 1, 2, 3, 4, 5, 6, 7}, {0, 1, 2, 3, 4, 5, 6, 7}, {2, 3, 0, 1, 4, 5, 6, 7},
    {0, 1, 2, 3, 4, 5, 6, 7}, {4, 5, 0, 1, 2, 3, 6, 7}, {0, 1, 4, 5, 2, 3, 6, 7},
    {2, 3, 4, 5, 0, 1, 6, 7}, {0, 1, 2, 3, 4, 5, 6, 7}, {6, 7, 0, 1, 2, 3, 4, 5},
    {0, 1, 6, 7, 2, 3, 4, 5}, {2, 3, 6, 7, 0, 1, 4, 5}, {0, 1, 2, 3, 6, 7, 4, 5},
    {4, 5, 6, 7, 0, 1, 2, 3}, {0, 1, 4, 5, 6, 7, 2, 3}, {2, 3, 4, 5, 6, 7, 0, 1},
    {0, 1, 2, 3, 4, 5, 6, 7}};

/* Adds the kept lanes (mask) of the four scaled distances t to hm, lane l
 * into copy l: the fine bins as in fbin, computed four at a time. */
__attribute__((target("avx2"))) static inline void count4(uint64_t *hm, __m256d t, unsigned mask,
                                                          __m128i vu)
{
  __m256i key = _mm256_srli_epi64(_mm256_castpd_si256(t), 48),
          f = _mm256_sub_epi64(_mm256_set1_epi64x(16367), key);
  /* the low halves of the four 64-bit lanes; a negative f (t >= 1) is huge
   * unsigned and clamps to u like the rest of the underflow */
  __m128i f32 = _mm256_castsi256_si128(
      _mm256_permutevar8x32_epi32(f, _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6)));
  f32 = _mm_add_epi32(_mm_slli_epi32(_mm_min_epu32(f32, vu), 2), _mm_setr_epi32(0, 1, 2, 3));
  uint32_t id[4];
  _mm_storeu_si128((__m128i *)id, f32);
  hm[id[0]] += mask & 1;
  hm[id[1]] += (mask >> 1) & 1;
  hm[id[2]] += (mask >> 2) & 1;
  hm[id[3]] += mask >> 3;
}

__attribute__((target("avx2"))) static size_t filter_avx2(const eng_corrdim_plan *p,
                                                         const scan_ctx *cx, size_t s,
                                                         size_t *bj, double *bt, uint64_t *h1,
                                                         uint64_t *h2)
{
  const double *sv = p->sv, *c1 = p->s1;
  const size_t *si = p->si;
  size_t i = si[s], e = p->end[s], n = 0, t = s + 1;
  const __m256d sign = _mm256_set1_pd(-0.0), one = _mm256_set1_pd(1.0),
                vinv = _mm256_set1_pd(cx->inv_r), a0 = _mm256_set1_pd(sv[s]),
                a1 = _mm256_set1_pd(c1[s]);
  const __m128i vu = _mm_set1_epi32((int)cx->u);
  /* |j - i| > w as j > i + w or j < i - w (signed: indices are far below 2^63) */
  const __m256i hi = _mm256_set1_epi64x((long long)(i + cx->w)),
                lo = _mm256_set1_epi64x((long long)i - (long long)cx->w);
  for (; t + 4 <= e; t += 4) {
    __m256d d0 = _mm256_sub_pd(_mm256_loadu_pd(sv + t), a0);
    __m256d d1 = _mm256_andnot_pd(sign, _mm256_sub_pd(_mm256_loadu_pd(c1 + t), a1));
    __m256d d = _mm256_mul_pd(_mm256_max_pd(d0, d1), vinv);
    __m256i j = _mm256_loadu_si256((const __m256i *)(si + t));
    __m256i far = _mm256_or_si256(_mm256_cmpgt_epi64(j, hi), _mm256_cmpgt_epi64(lo, j));
    __m256d keep = _mm256_and_pd(_mm256_cmp_pd(d, one, _CMP_LT_OQ), _mm256_castsi256_pd(far));
    unsigned mask = (unsigned)_mm256_movemask_pd(keep);
    __m256i perm = _mm256_loadu_si256((const __m256i *)pack4[mask]);
    _mm256_storeu_si256((__m256i *)(bj + n), _mm256_permutevar8x32_epi32(j, perm));
    __m256i dp = _mm256_permutevar8x32_epi32(_mm256_castpd_si256(d), perm);
    _mm256_storeu_pd(bt + n, _mm256_castsi256_pd(dp));
    n += (size_t)__builtin_popcount(mask);
    /* every pair of the window is closer than r_max in the first coordinate */
    if (h1)
      count4(h1, _mm256_mul_pd(d0, vinv),
             (unsigned)_mm256_movemask_pd(_mm256_castsi256_pd(far)), vu);
    if (h2)
      count4(h2, d, mask, vu);
  }
  return filter_from(p, cx, s, t, n, bj, bt, h1, h2);
}

/* extend, four pairs at a time; with count_in it also counts the n pairs
 * it reads into hin (the histogram of dimension m), which costs half as
 * much as counting them in the filter, where twice as many candidates pass. */
__attribute__((target("avx2"))) static inline size_t
extend_avx2(const scan_ctx *c, size_t i, unsigned m, const size_t *restrict bj,
            const double *restrict bt, size_t n, size_t *restrict oj, double *restrict ot,
            uint64_t *restrict hm, const int counted, uint64_t *restrict hin, const int count_in)
{
  const double *x = c->x + (size_t)m * c->tau, inv_r = c->inv_r, ref = x[i];
  const __m256d sign = _mm256_set1_pd(-0.0), one = _mm256_set1_pd(1.0),
                vinv = _mm256_set1_pd(inv_r), vref = _mm256_set1_pd(ref);
  const __m128i vu = _mm_set1_epi32((int)c->u);
  size_t n2 = 0, k = 0;
  for (; k + 4 <= n; k += 4) {
    __m256i j = _mm256_loadu_si256((const __m256i *)(bj + k));
    /* four scalar loads: vgatherqpd measured 1.9x slower here (AMD EPYC) */
    __m256d xj = _mm256_setr_pd(x[bj[k]], x[bj[k + 1]], x[bj[k + 2]], x[bj[k + 3]]);
    __m256d v = _mm256_mul_pd(_mm256_andnot_pd(sign, _mm256_sub_pd(vref, xj)), vinv);
    /* max_pd(v, t) is v > t ? v : t, as in extend */
    __m256d tin = _mm256_loadu_pd(bt + k), t = _mm256_max_pd(v, tin);
    if (count_in)
      count4(hin, tin, 15, vu);
    unsigned mask = (unsigned)_mm256_movemask_pd(_mm256_cmp_pd(t, one, _CMP_LT_OQ));
    __m256i perm = _mm256_loadu_si256((const __m256i *)pack4[mask]);
    _mm256_storeu_si256((__m256i *)(oj + n2), _mm256_permutevar8x32_epi32(j, perm));
    __m256i tp = _mm256_permutevar8x32_epi32(_mm256_castpd_si256(t), perm);
    _mm256_storeu_pd(ot + n2, _mm256_castsi256_pd(tp));
    n2 += (size_t)__builtin_popcount(mask);
    if (counted)
      count4(hm, t, mask, vu);
  }
  return extend_from(c, i, m, bj, bt, k, n, oj, ot, n2, hm, counted, hin, count_in);
}
#endif

/* 1 when the filter counts dimension 2 itself: the scalar path, or when
 * there is no pass to count it in (m_max = 2). */
static int filter_counts_m2(const scan_ctx *c, int simd)
{
  return c->m0 == 2 && (!simd || c->M == 2);
}

/* bj/bt hold the n candidates closer than r_max in 2 dimensions (counted
 * by the filter when filter_counts_m2, else by the first pass when
 * m0 = 2); aj/at are a second buffer of the same size (the passes
 * alternate between the two, so no store aliases a load). */
static void count_buffer(const scan_ctx *c, size_t i, size_t *bj, double *bt, size_t *aj,
                         double *at, size_t n, int simd)
{
  size_t row = c->nb * COPIES;
  /* coordinate m makes dimension m + 1 */
  for (unsigned m = 2; m < c->M && n; m++) {
    uint64_t *hm = m + 1 >= c->m0 ? c->h + (m + 1 - c->m0) * row : NULL;
#ifdef HAVE_SCAN_AVX2
    if (simd && m == 2 && c->m0 == 2)
      n = extend_avx2(c, i, m, bj, bt, n, aj, at, hm, 1, c->h, 1);
    else if (simd)
      n = hm ? extend_avx2(c, i, m, bj, bt, n, aj, at, hm, 1, NULL, 0)
             : extend_avx2(c, i, m, bj, bt, n, aj, at, NULL, 0, NULL, 0);
    else
#endif
      n = hm ? extend(c, i, m, bj, bt, n, aj, at, hm, 1)
             : extend(c, i, m, bj, bt, n, aj, at, NULL, 0);
    size_t *tj = bj;
    double *tt = bt;
    bj = aj;
    bt = at;
    aj = tj;
    at = tt;
  }
  (void)simd;
}

/* 1 when the AVX2 scan may run: this build and CPU have it and the caller
 * did not ask for the scalar path. */
static int corr_simd(const eng_corrdim_plan *p)
{
#ifdef HAVE_SCAN_AVX2
  return !p->o.scalar && __builtin_cpu_supports("avx2");
#else
  (void)p;
  return 0;
#endif
}

int eng_corrdim_plan_run(eng_corrdim_plan *p, unsigned b)
{
  if (!p || b >= p->o.blocks)
    return ENG_EINVAL;
  size_t nb = p->nbins, row = nb * COPIES;
  uint64_t *h = p->hist + (size_t)b * p->nm * row;
  memset(h, 0, p->nm * row * sizeof *h);
  /* m = 1 is counted by the pair filter when there is one */
  if (p->o.m_min == 1 && p->o.m_max == 1)
    count_m1(p, b, h);
  if (p->o.m_max >= 2) {
    /* with m_min = 1 the scan counts dimensions from 2, one histogram row on */
    scan_ctx cx = {p->x, p->o.tau, p->theiler, nb, p->o.m_min < 2 ? 2 : p->o.m_min, p->o.m_max,
                   p->o.r_max, 1.0 / p->o.r_max, nb - 1, p->o.m_min == 1 ? h + row : h};
    int simd = corr_simd(p);
    uint64_t *h1 = p->o.m_min == 1 ? h : NULL, *h2 = filter_counts_m2(&cx, simd) ? cx.h : NULL;
    /* the buffer holds a window plus the 4 lanes a vector store may write past it */
    size_t cap = p->maxwin + 4;
    size_t *bj = malloc(2 * cap * sizeof *bj);
    double *bt = malloc(2 * cap * sizeof *bt);
    if (!bj || !bt) {
      free(bj);
      free(bt);
      return ENG_ENOMEM;
    }
    for (size_t s = p->bound[b]; s < p->bound[b + 1]; s++) {
      size_t nc;
#ifdef HAVE_SCAN_AVX2
      if (simd)
        nc = filter_avx2(p, &cx, s, bj, bt, h1, h2);
      else
#endif
        nc = filter_scalar(p, &cx, s, bj, bt, h1, h2);
      count_buffer(&cx, p->si[s], bj, bt, bj + cap, bt + cap, nc, simd);
    }
    free(bj);
    free(bt);
  }
  p->done[b] = 1;
  return 0;
}


/* Radius of index k (0 = smallest) in units of r_max. */
static double radius_at(size_t k, unsigned octaves)
{
  if (k == (size_t)octaves * SUB)
    return 1.0;
  unsigned oct = octaves - 1 - (unsigned)(k / SUB), s = (unsigned)(k % SUB);
  return ldexp(1.0 + (double)s / SUB, -(int)oct - 1);
}

static double ls_slope(const double *lx, const double *ly, size_t a, size_t b)
{
  double n = (double)(b - a + 1), sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (size_t k = a; k <= b; k++) {
    sx += lx[k];
    sy += ly[k];
  }
  double mx = sx / n, my = sy / n;
  for (size_t k = a; k <= b; k++) {
    sxx += (lx[k] - mx) * (lx[k] - mx);
    sxy += (lx[k] - mx) * (ly[k] - my);
  }
  return sxy / sxx;
}

int eng_corrdim_plan_finish(eng_corrdim_plan *p, double *radii, double *logc, double *slopes,
                            eng_corrdim_result *res)
{
  if (!p || !res)
    return ENG_EINVAL;
  for (unsigned b = 0; b < p->o.blocks; b++)
    if (!p->done[b])
      return ENG_EINVAL;
  size_t nr = p->nbins, nm = p->nm, oct = p->o.octaves;
  uint64_t *cum = calloc(nm * nr, sizeof *cum);
  double *lr = malloc(nr * sizeof *lr), *lc = malloc(nm * nr * sizeof *lc);
  if (!cum || !lr || !lc) {
    free(cum);
    free(lr);
    free(lc);
    return ENG_ENOMEM;
  }
  uint64_t npairs = 0;
  size_t w = p->theiler;
  for (size_t i = 0; i + w + 1 < p->rows; i++)
    npairs += p->rows - i - w - 1;
  /* radius index k counts pairs with d < radius_at(k): the underflow bin and
   * every fine bin below it. Fine bin index f (0 = largest) spans radii
   * [radius_at(nr-2-f), radius_at(nr-1-f)). */
  /* every block and copy summed (unsigned sums wrap exactly) */
  size_t blocks = p->o.blocks;
  for (size_t mi = 0; mi < nm; mi++) {
    uint64_t acc = 0;
    for (size_t k = 0; k < nr; k++) {
      size_t f = nr - 1 - k; /* radius 0: the underflow bin; else the fine bin just below k */
      for (size_t b = 0; b < blocks; b++)
        for (size_t c = 0; c < COPIES; c++)
          acc += p->hist[((b * nm + mi) * nr + f) * COPIES + c];
      cum[mi * nr + k] = acc;
    }
  }
  for (size_t k = 0; k < nr; k++)
    lr[k] = log(radius_at(k, (unsigned)oct) * p->o.r_max);
  for (size_t i = 0; i < nm * nr; i++)
    lc[i] = cum[i] > 0 ? log((double)cum[i] / (double)npairs) : -INFINITY;

  /* Scaling region: a window two octaves wide, over which the top
   * dimensions (the upper third of m_min..m_max) have the flattest local
   * slopes (d ln C / d ln r over one octave), among windows whose smallest
   * radius still has min_pairs pairs in the top dimension and whose largest
   * radius lies at least 1.5 octaves below r_max (the local slope needs half
   * an octave above it, and C saturates towards r_max). */
  size_t top0 = nm - 1 - (nm - 1) / 3;
  size_t W = 2 * SUB, half = SUB / 2;
  double best = INFINITY;
  size_t ba = 0, bb = 0;
  int rc = ENG_ERANGE;
  for (size_t a = half; a + W + half < nr - SUB; a++) {
    size_t bnd = a + W;
    if ((double)cum[(nm - 1) * nr + a - half] < p->o.min_pairs)
      continue;
    double s1 = 0, s2 = 0, cnt = 0;
    for (size_t mi = top0; mi < nm; mi++)
      for (size_t k = a; k <= bnd; k += 2) {
        double s = (lc[mi * nr + k + half] - lc[mi * nr + k - half]) / (lr[k + half] - lr[k - half]);
        s1 += s;
        s2 += s * s;
        cnt += 1;
      }
    double mu = s1 / cnt, var = s2 / cnt - mu * mu;
    /* relative spread, so a flat region at a high slope is not penalised
     * against a flat region at a low slope */
    double score = var / (mu * mu + 1e-12);
    if (mu > 0.05 && score < best) {
      best = score;
      ba = a;
      bb = bnd;
      rc = 0;
    }
  }
  if (!rc) {
    memset(res, 0, sizeof *res);
    double s1 = 0, s2 = 0;
    size_t cnt = 0;
    for (size_t mi = 0; mi < nm; mi++) {
      double s = ls_slope(lr, lc + mi * nr, ba, bb);
      if (slopes)
        slopes[mi] = s;
      if (mi >= top0) {
        s1 += s;
        s2 += s * s;
        cnt++;
      }
    }
    res->d2 = s1 / (double)cnt;
    res->d2_sd = cnt > 1 ? sqrt(fmax(0.0, (s2 - s1 * s1 / (double)cnt) / (double)(cnt - 1))) : 0.0;
    res->i_lo = ba;
    res->i_hi = bb;
    res->r_lo = exp(lr[ba]) * p->sd;
    res->r_hi = exp(lr[bb]) * p->sd;
    res->theiler = w;
    res->sd = p->sd;
    res->npairs = npairs;
  }
  if (radii)
    for (size_t k = 0; k < nr; k++)
      radii[k] = exp(lr[k]) * p->sd;
  if (logc)
    memcpy(logc, lc, nm * nr * sizeof *lc);
  free(cum);
  free(lr);
  free(lc);
  return rc;
}

int eng_corrdim(const double *x, size_t n, const eng_corrdim_opts *o, double *radii, double *logc,
                double *slopes, eng_corrdim_result *res)
{
  if (!res)
    return ENG_EINVAL;
  eng_corrdim_plan *p;
  int rc = eng_corrdim_plan_create(&p, x, n, o);
  if (rc)
    return rc;
  for (unsigned b = 0; b < p->o.blocks && !rc; b++)
    rc = eng_corrdim_plan_run(p, b);
  if (!rc)
    rc = eng_corrdim_plan_finish(p, radii, logc, slopes, res);
  eng_corrdim_plan_destroy(p);
  return rc;
}
