/* sax.c: symbolic aggregate approximation (Lin et al. 2003): z-normalisation, PAA, Gaussian and quantile breakpoints. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "seq_internal.h"

ENG_EXTERN void eng_sax_opts_init(eng_sax_opts *opts)
{
  if (!opts)
    return;
  opts->segments = 0;
  opts->alphabet = 4;
  opts->method = ENG_SAX_GAUSSIAN;
  opts->znorm = 1;
  opts->const_std = 1e-8;
}

/* Acklam's rational approximation of the normal quantile (relative error below
 * 1.15e-9 over (0, 1)), split at p = 0.02425 into a central and two tail regions,
 * then one Halley step on Phi(x) - p computed with erfc, which brings it to
 * about machine precision. */
ENG_EXTERN double eng_norm_ppf(double p)
{
  static const double a[6] = {-3.969683028665376e+01, 2.209460984245205e+02,
                              -2.759285104469687e+02, 1.383577518672690e+02,
                              -3.066479806614716e+01, 2.506628277459239e+00};
  static const double b[5] = {-5.447609879822406e+01, 1.615858368580409e+02,
                              -1.556989798598866e+02, 6.680131188771972e+01,
                              -1.328068155288572e+01};
  static const double c[6] = {-7.784894002430293e-03, -3.223964580411365e-01,
                              -2.400758277161838e+00, -2.549732539343734e+00,
                              4.374664141464968e+00, 2.938163982698783e+00};
  static const double d[4] = {7.784695709041462e-03, 3.224671290700398e-01,
                              2.445134137142996e+00, 3.754408661907416e+00};
  const double plow = 0.02425;
  if (isnan(p) || p < 0.0 || p > 1.0)
    return NAN;
  if (p == 0.0)
    return -INFINITY;
  if (p == 1.0)
    return INFINITY;
  double x;
  if (p < plow) {
    double q = sqrt(-2.0 * log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
  } else if (p <= 1.0 - plow) {
    double q = p - 0.5, r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0);
  } else {
    double q = sqrt(-2.0 * log1p(-p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
  }
  /* Halley refinement: e = Phi(x) - p, u = e / phi(x). */
  double e = 0.5 * erfc(-x / sqrt(2.0)) - p;
  double u = e * sqrt(2.0 * M_PI) * exp(x * x / 2.0);
  x = x - u / (1.0 + x * u / 2.0);
  return x;
}

ENG_EXTERN int eng_sax_breakpoints(unsigned alphabet, double *bp)
{
  if (!bp || alphabet < 2 || alphabet > ENG_SAX_MAX_ALPHABET)
    return ENG_EINVAL;
  for (unsigned k = 1; k < alphabet; k++)
    bp[k - 1] = eng_norm_ppf((double)k / alphabet);
  /* Exact symmetry: beta_k = -beta_{a-k}, and 0 in the middle of an even alphabet. */
  for (unsigned k = 1; 2 * k < alphabet; k++) {
    double v = 0.5 * (bp[alphabet - k - 1] - bp[k - 1]);
    bp[k - 1] = -v;
    bp[alphabet - k - 1] = v;
  }
  if (alphabet % 2 == 0)
    bp[alphabet / 2 - 1] = 0.0;
  return 0;
}

/* Segment s covers [s*n/w, (s+1)*n/w); scaled by w, point i covers [i*w, (i+1)*w)
 * and segment s covers [s*n, (s+1)*n), so overlaps are exact integers. */
static void paa(const double *x, size_t n, size_t w, double *out)
{
  if (w == n) {
    memcpy(out, x, n * sizeof *x);
    return;
  }
  for (size_t s = 0; s < w; s++) {
    size_t lo = s * n, hi = lo + n;
    double sum = 0.0;
    for (size_t i = lo / w; i < n && i * w < hi; i++) {
      size_t a = i * w > lo ? i * w : lo;
      size_t b = (i + 1) * w < hi ? (i + 1) * w : hi;
      sum += x[i] * (double)(b - a);
    }
    out[s] = sum / (double)n;
  }
}

static int check_finite(const double *x, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (!isfinite(x[i]))
      return ENG_ENAN;
  return 0;
}

ENG_EXTERN int eng_paa(const double *x, size_t n, size_t w, double *out)
{
  if (!x || !out || w == 0 || w > n || n > SIZE_MAX / w)
    return ENG_EINVAL;
  int rc = check_finite(x, n);
  if (rc)
    return rc;
  paa(x, n, w, out);
  return 0;
}

static int cmp_double(const void *pa, const void *pb)
{
  double a = *(const double *)pa, b = *(const double *)pb;
  return (a > b) - (a < b);
}

/* Symbol = number of breakpoints <= v (binary search over nb ascending values). */
static unsigned char symbol_of(double v, const double *bp, unsigned nb)
{
  unsigned lo = 0, hi = nb;
  while (lo < hi) {
    unsigned mid = (lo + hi) / 2;
    if (bp[mid] <= v)
      lo = mid + 1;
    else
      hi = mid;
  }
  return (unsigned char)lo;
}

static int sax_run(eng_seq_ws *ws, const double *x, size_t n, const eng_sax_opts *o,
                   size_t w, unsigned char *out)
{
  unsigned al = o->alphabet;
  double *buf = eng__seq_ws_reserve(ws, (2 * w + al) * sizeof(double));
  if (!buf)
    return ENG_ENOMEM;
  double *pv = buf, *sorted = buf + w, *bp = buf + 2 * w;
  paa(x, n, w, pv);
  if (o->znorm) {
    /* z-normalise the series (population standard deviation, as in Lin et al.
     * 2003); PAA is linear, so normalising the segment means is equivalent. */
    double mean = 0.0;
    for (size_t i = 0; i < n; i++)
      mean += x[i];
    mean /= (double)n;
    double var = 0.0;
    for (size_t i = 0; i < n; i++)
      var += (x[i] - mean) * (x[i] - mean);
    double sd = sqrt(var / (double)n);
    for (size_t s = 0; s < w; s++)
      pv[s] = sd <= o->const_std ? 0.0 : (pv[s] - mean) / sd;
  }
  if (o->method == ENG_SAX_GAUSSIAN) {
    eng_sax_breakpoints(al, bp);
  } else {
    /* Equal frequency: beta_k is the sorted value at rank floor(k * w / a), so the
     * value of rank r gets symbol floor(r * a / w) when values are distinct. */
    memcpy(sorted, pv, w * sizeof *pv);
    qsort(sorted, w, sizeof *sorted, cmp_double);
    for (unsigned k = 1; k < al; k++)
      bp[k - 1] = sorted[(size_t)k * w / al];
  }
  for (size_t s = 0; s < w; s++)
    out[s] = symbol_of(pv[s], bp, al - 1);
  return 0;
}

ENG_EXTERN int eng_sax(const double *x, size_t n, const eng_sax_opts *opts, eng_seq_ws *ws,
                       unsigned char *out)
{
  eng_sax_opts def;
  if (!opts) {
    eng_sax_opts_init(&def);
    opts = &def;
  }
  if (!x || !out || n == 0)
    return ENG_EINVAL;
  size_t w = opts->segments ? opts->segments : n;
  if (w > n || n > SIZE_MAX / w || w > SIZE_MAX / 32 || opts->alphabet < 2 ||
      opts->alphabet > ENG_SAX_MAX_ALPHABET ||
      (opts->method != ENG_SAX_GAUSSIAN && opts->method != ENG_SAX_QUANTILE) ||
      !(opts->const_std >= 0.0))
    return ENG_EINVAL;
  int rc = check_finite(x, n);
  if (rc)
    return rc;
  if (ws)
    return sax_run(ws, x, n, opts, w, out);
  ENG__SEQ_WS_STACK(tmp);
  rc = sax_run(&tmp, x, n, opts, w, out);
  ENG__SEQ_WS_FREE(tmp);
  return rc;
}
