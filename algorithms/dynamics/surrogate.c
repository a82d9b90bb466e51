/* surrogate.c: FFT (radix-2 and Bluestein), surrogate series (Theiler et al. 1992) and the nonlinear prediction error. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "attr_internal.h"

static size_t next_pow2(size_t n)
{
  size_t p = 1;
  while (p < n)
    p <<= 1;
  return p;
}

static int is_pow2(size_t n) { return n && !(n & (n - 1)); }

/* Twiddle table for size n (a power of two): cos and sin of 2 pi k / n for
 * k < n/2, computed directly (no drift from repeated products). */
static void twiddles(double *tw, size_t n)
{
  for (size_t k = 0; k < n / 2; k++) {
    double a = 2.0 * M_PI * (double)k / (double)n;
    tw[k] = cos(a);
    tw[n / 2 + k] = sin(a);
  }
}

/* Iterative radix-2 Cooley-Tukey, sign -1 forward, +1 inverse (unscaled). */
static void fft2(double *re, double *im, size_t n, int sign, const double *tw)
{
  for (size_t i = 1, j = 0; i < n; i++) {
    size_t bit = n >> 1;
    for (; j & bit; bit >>= 1)
      j ^= bit;
    j ^= bit;
    if (i < j) {
      double t = re[i];
      re[i] = re[j];
      re[j] = t;
      t = im[i];
      im[i] = im[j];
      im[j] = t;
    }
  }
  const double *tc = tw, *ts = tw + n / 2;
  for (size_t len = 2; len <= n; len <<= 1) {
    size_t h = len / 2, step = n / len;
    for (size_t i = 0; i < n; i += len)
      for (size_t k = 0; k < h; k++) {
        double wr = tc[k * step], wi = sign * ts[k * step];
        size_t a = i + k, b = a + h;
        double xr = re[b] * wr - im[b] * wi, xi = re[b] * wi + im[b] * wr;
        re[b] = re[a] - xr;
        im[b] = im[a] - xi;
        re[a] += xr;
        im[a] += xi;
      }
  }
}

size_t eng_fft_work_size(size_t n)
{
  if (n == 0)
    return 0;
  if (is_pow2(n))
    return n * sizeof(double);
  size_t M = next_pow2(2 * n - 1);
  return (5 * M + 2 * n) * sizeof(double);
}

int eng_fft(double *re, double *im, size_t n, int inverse, void *work)
{
  if (!re || !im || n == 0)
    return ENG_EINVAL;
  int sign = inverse ? 1 : -1;
  double *buf = work ? work : malloc(eng_fft_work_size(n));
  if (!buf)
    return ENG_ENOMEM;
  if (is_pow2(n)) {
    twiddles(buf, n);
    fft2(re, im, n, sign, buf);
  } else {
    /* Bluestein: jk = (j^2 + k^2 - (k-j)^2) / 2 turns the DFT into a
     * convolution with the chirp e^{sign i pi k^2 / n}, done by power-of-two
     * FFTs of length M >= 2n - 1. */
    size_t M = next_pow2(2 * n - 1);
    double *ar = buf, *ai = ar + M, *br = ai + M, *bi = br + M, *cr = bi + M, *ci = cr + n;
    double *tw = ci + n;
    twiddles(tw, M);
    for (size_t k = 0; k < n; k++) {
      /* k^2 mod 2n keeps the angle small and exact */
      unsigned long long k2 = ((unsigned long long)k * k) % (2ULL * n);
      double ang = M_PI * (double)k2 / (double)n;
      cr[k] = cos(ang);
      ci[k] = sign * sin(ang);
    }
    memset(ar, 0, 4 * M * sizeof *ar);
    for (size_t k = 0; k < n; k++) {
      /* a_k = x_k c_k */
      ar[k] = re[k] * cr[k] - im[k] * ci[k];
      ai[k] = re[k] * ci[k] + im[k] * cr[k];
    }
    /* b_k = conj(c_k), wrapped for negative k */
    br[0] = cr[0];
    bi[0] = -ci[0];
    for (size_t k = 1; k < n; k++) {
      br[k] = br[M - k] = cr[k];
      bi[k] = bi[M - k] = -ci[k];
    }
    fft2(ar, ai, M, -1, tw);
    fft2(br, bi, M, -1, tw);
    for (size_t k = 0; k < M; k++) {
      double r = ar[k] * br[k] - ai[k] * bi[k], i = ar[k] * bi[k] + ai[k] * br[k];
      ar[k] = r;
      ai[k] = i;
    }
    fft2(ar, ai, M, 1, tw);
    double s = 1.0 / (double)M;
    for (size_t k = 0; k < n; k++) {
      double r = ar[k] * s, i = ai[k] * s;
      /* X_k = c_k (a * b)_k */
      re[k] = r * cr[k] - i * ci[k];
      im[k] = r * ci[k] + i * cr[k];
    }
  }
  if (buf != work)
    free(buf);
  if (inverse) {
    double s = 1.0 / (double)n;
    for (size_t k = 0; k < n; k++) {
      re[k] *= s;
      im[k] *= s;
    }
  }
  return 0;
}

/* ------------------------------------------------------------ surrogates */

static uint64_t splitmix(uint64_t *s)
{
  uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

static double uniform(uint64_t *s) { return (double)(splitmix(s) >> 11) * 0x1.0p-53; }

typedef struct ranked {
  double v;
  size_t i;
} ranked;

static int cmp_ranked(const void *a, const void *b)
{
  const ranked *x = a, *y = b;
  if (x->v < y->v)
    return -1;
  if (x->v > y->v)
    return 1;
  return x->i < y->i ? -1 : (x->i > y->i);
}

size_t eng_surrogate_work_size(size_t n)
{
  return eng_fft_work_size(n) + 3 * n * sizeof(double) + n * sizeof(ranked);
}

/* Same amplitudes |X_k|, uniform random phases, Hermitian symmetry so the
 * result is real; X_0 (the mean) and the Nyquist term keep their phase. */
static int phase_randomise(const double *in, size_t n, uint64_t *rng, double *out, double *re,
                           double *im, void *fw)
{
  for (size_t k = 0; k < n; k++) {
    re[k] = in[k];
    im[k] = 0.0;
  }
  int rc = eng_fft(re, im, n, 0, fw);
  if (rc)
    return rc;
  for (size_t k = 1; k < (n + 1) / 2; k++) {
    double a = hypot(re[k], im[k]), ph = 2.0 * M_PI * uniform(rng);
    re[k] = a * cos(ph);
    im[k] = a * sin(ph);
    re[n - k] = re[k];
    im[n - k] = -im[k];
  }
  rc = eng_fft(re, im, n, 1, fw);
  if (rc)
    return rc;
  for (size_t k = 0; k < n; k++)
    out[k] = re[k];
  return 0;
}

int eng_surrogate(const double *x, size_t n, eng_surrogate_kind kind, uint64_t seed, double *out,
                  void *work)
{
  if (!x || !out || n < 2 || x == out || kind < ENG_SURR_SHUFFLE || kind > ENG_SURR_AAFT)
    return ENG_EINVAL;
  for (size_t i = 0; i < n; i++)
    if (!isfinite(x[i]))
      return ENG_ENAN;
  uint64_t rng = seed ^ 0x5DEECE66DULL;
  if (kind == ENG_SURR_SHUFFLE) {
    memcpy(out, x, n * sizeof *out);
    for (size_t i = n - 1; i > 0; i--) {
      size_t j = (size_t)(uniform(&rng) * (double)(i + 1));
      double t = out[i];
      out[i] = out[j];
      out[j] = t;
    }
    return 0;
  }
  unsigned char *buf = work ? work : malloc(eng_surrogate_work_size(n));
  if (!buf)
    return ENG_ENOMEM;
  double *re = (double *)buf, *im = re + n, *g = im + n;
  ranked *rk = (ranked *)(g + n);
  void *fw = (unsigned char *)(rk + n);
  int rc = 0;
  if (kind == ENG_SURR_PHASE) {
    rc = phase_randomise(x, n, &rng, out, re, im, fw);
  } else {
    /* AAFT: Gaussianise x by rank (so the FT step sees a Gaussian process),
     * phase-randomise, then give back x's own values in the new rank order. */
    for (size_t i = 0; i < n; i++) {
      double u1 = uniform(&rng), u2 = uniform(&rng);
      g[i] = sqrt(-2.0 * log(1.0 - u1)) * cos(2.0 * M_PI * u2);
    }
    for (size_t i = 0; i < n; i++) {
      rk[i].v = g[i];
      rk[i].i = i;
    }
    qsort(rk, n, sizeof *rk, cmp_ranked);
    for (size_t i = 0; i < n; i++)
      g[i] = rk[i].v; /* sorted Gaussians */
    for (size_t i = 0; i < n; i++) {
      rk[i].v = x[i];
      rk[i].i = i;
    }
    qsort(rk, n, sizeof *rk, cmp_ranked);
    for (size_t r = 0; r < n; r++)
      out[rk[r].i] = g[r]; /* y: Gaussian with x's ranks */
    memcpy(g, out, n * sizeof *g);
    rc = phase_randomise(g, n, &rng, out, re, im, fw);
    if (!rc) {
      /* sorted x values into the rank order of the phase-randomised y */
      for (size_t i = 0; i < n; i++)
        g[i] = rk[i].v;
      for (size_t i = 0; i < n; i++) {
        rk[i].v = out[i];
        rk[i].i = i;
      }
      qsort(rk, n, sizeof *rk, cmp_ranked);
      for (size_t r = 0; r < n; r++)
        out[rk[r].i] = g[r];
    }
  }
  if (buf != work)
    free(buf);
  return rc;
}

/* ------------------------------------------------------ prediction error */

int eng_prediction_error(const double *x, size_t n, unsigned m, unsigned tau, size_t h, size_t k,
                         size_t theiler, size_t nref, double *err)
{
  if (!x || !err || m == 0 || tau == 0 || h == 0 || k == 0 || m > 64 || k > 64)
    return ENG_EINVAL;
  double mean, sd;
  int rc = eng__series_check(x, n, &mean, &sd);
  if (rc)
    return rc;
  size_t last = (size_t)(m - 1) * tau;
  if (n < last + h + 2 * theiler + k + 16)
    return ENG_ESHORT;
  size_t rows = n - last - h; /* delay vectors that have a future h ahead */
  eng_points pts = {x, rows, m, 1, tau};
  eng_kdtree *t;
  rc = eng_kdtree_create(&t, &pts, ENG_NORM_EUCLID);
  if (rc)
    return rc;
  if (nref == 0 || nref > rows)
    nref = rows;
  size_t idx[64];
  double q[64], se = 0.0;
  size_t used = 0;
  for (size_t r = 0; r < nref; r++) {
    size_t i = (size_t)(((unsigned long long)r * rows) / nref), found = 0;
    for (unsigned c = 0; c < m; c++)
      q[c] = x[i + (size_t)c * tau];
    eng_kdtree_knn(t, q, i, theiler, k, idx, NULL, &found);
    if (found == 0)
      continue;
    double pred = 0.0;
    for (size_t a = 0; a < found; a++)
      pred += x[idx[a] + last + h];
    pred /= (double)found;
    double e = pred - x[i + last + h];
    se += e * e;
    used++;
  }
  eng_kdtree_destroy(t);
  if (used == 0)
    return ENG_ERANGE;
  *err = sqrt(se / (double)used) / sd;
  return 0;
}
