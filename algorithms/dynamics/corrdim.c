/* corrdim.c: correlation sums over radii and dimensions and the correlation dimension (Grassberger-Procaccia 1983). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "attr_internal.h"

#define SUB ENG_CORRDIM_SUB

struct eng_corrdim_plan {
  eng_corrdim_opts o;
  double *x;         /* standardised copy */
  size_t n, rows;    /* rows: delay vectors at m_max (the common point set) */
  size_t theiler;
  unsigned nm;       /* m_max - m_min + 1 */
  size_t nbins;      /* octaves * SUB fine bins + 1 underflow bin */
  double sd;
  double *sv;        /* first delay coordinate of every row, sorted */
  size_t *si;        /* the row of each sorted value */
  size_t *bound;     /* blocks + 1 boundaries in sorted order */
  uint64_t *hist;    /* blocks x nm x nbins */
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
  free(p->si);
  free(p->x);
  free(p->bound);
  free(p->hist);
  free(p->done);
  free(p);
}

static int cmp_vi(const void *a, const void *b)
{
  const double *x = a, *y = b; /* the value is the first member */
  if (*x < *y)
    return -1;
  if (*x > *y)
    return 1;
  const size_t *i = (const size_t *)((const char *)a + sizeof(double)),
               *j = (const size_t *)((const char *)b + sizeof(double));
  return (*i > *j) - (*i < *j);
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
  p->hist = calloc((size_t)o->blocks * p->nm * p->nbins, sizeof *p->hist);
  p->done = calloc(o->blocks, 1);
  if (!p->x || !p->bound || !p->hist || !p->done) {
    eng_corrdim_plan_destroy(p);
    return ENG_ENOMEM;
  }
  for (size_t i = 0; i < n; i++)
    p->x[i] = (x[i] - mean) / sd;
  /* Candidate pairs come from the values of the first coordinate sorted:
   * the max-norm distance is at least the difference in that coordinate, so
   * every pair closer than r_max lies within r_max of each other in sorted
   * order; a forward scan from each value finds them, each pair once. */
  p->sv = malloc(rows * sizeof *p->sv);
  p->si = malloc(rows * sizeof *p->si);
  if (!p->sv || !p->si) {
    eng_corrdim_plan_destroy(p);
    return ENG_ENOMEM;
  }
  {
    struct vi {
      double v;
      size_t i;
    } *tmp = malloc(rows * sizeof *tmp);
    if (!tmp) {
      eng_corrdim_plan_destroy(p);
      return ENG_ENOMEM;
    }
    for (size_t i = 0; i < rows; i++) {
      tmp[i].v = p->x[i];
      tmp[i].i = i;
    }
    qsort(tmp, rows, sizeof *tmp, cmp_vi);
    for (size_t i = 0; i < rows; i++) {
      p->sv[i] = tmp[i].v;
      p->si[i] = tmp[i].i;
    }
    free(tmp);
  }
  for (unsigned b = 0; b <= o->blocks; b++)
    p->bound[b] = (size_t)(((unsigned long long)b * rows) / o->blocks);
  *out = p;
  return 0;
}

/* Bin of a pair at distance d = t r_max, 0 <= t < 1: octave o with
 * t in [2^-(o+1), 2^-o), then SUB linear sub-bins; index 0 is the largest
 * distance. Pairs below the smallest radius go to the last (underflow) bin. */
static inline size_t bin_of(double t, unsigned octaves)
{
  int e;
  double f = frexp(t, &e); /* t = f 2^e, f in [0.5, 1) */
  if (t <= 0.0)
    return (size_t)octaves * SUB;
  unsigned oct = (unsigned)(-e);
  if (oct >= octaves)
    return (size_t)octaves * SUB;
  unsigned s = (unsigned)((2.0 * f - 1.0) * SUB);
  if (s > SUB - 1)
    s = SUB - 1;
  return (size_t)oct * SUB + (SUB - 1 - s);
}

int eng_corrdim_plan_run(eng_corrdim_plan *p, unsigned b)
{
  if (!p || b >= p->o.blocks)
    return ENG_EINVAL;
  uint64_t *h = p->hist + (size_t)b * p->nm * p->nbins;
  memset(h, 0, p->nm * p->nbins * sizeof *h);
  const double *x = p->x, *sv = p->sv, r = p->o.r_max, inv_r = 1.0 / r;
  const size_t *si = p->si;
  size_t tau = p->o.tau, w = p->theiler, rows = p->rows, nb = p->nbins;
  unsigned m0 = p->o.m_min, m1 = p->o.m_max, oct = p->o.octaves;
  for (size_t s = p->bound[b]; s < p->bound[b + 1]; s++) {
    double v = sv[s];
    size_t i = si[s];
    for (size_t t = s + 1; t < rows && sv[t] - v < r; t++) {
      size_t j = si[t];
      if ((j > i ? j - i : i - j) <= w)
        continue;
      /* max norm: the distance in m+1 dimensions is the max of the distance
       * in m and the new coordinate, so one pair serves every dimension */
      double d = sv[t] - v;
      unsigned m = 1;
      for (; m < m0; m++) {
        double u = fabs(x[i + (size_t)m * tau] - x[j + (size_t)m * tau]);
        if (u > d)
          d = u;
        if (d >= r)
          break;
      }
      if (d >= r)
        continue;
      for (m = m0; m <= m1; m++) {
        if (m > m0) {
          double u = fabs(x[i + (size_t)(m - 1) * tau] - x[j + (size_t)(m - 1) * tau]);
          if (u > d)
            d = u;
          if (d >= r)
            break;
        }
        h[(size_t)(m - m0) * nb + bin_of(d * inv_r, oct)]++;
      }
    }
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
  for (size_t mi = 0; mi < nm; mi++) {
    uint64_t acc = 0;
    for (unsigned b = 0; b < p->o.blocks; b++)
      acc += p->hist[((size_t)b * nm + mi) * nr + (nr - 1)];
    cum[mi * nr + 0] = acc;
    for (size_t k = 1; k < nr; k++) {
      size_t f = nr - 1 - k; /* the fine bin just below radius k */
      for (unsigned b = 0; b < p->o.blocks; b++)
        acc += p->hist[((size_t)b * nm + mi) * nr + f];
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
