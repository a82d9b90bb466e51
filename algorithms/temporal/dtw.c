/* dtw.c: DTW distance (rolling rows, Sakoe-Chiba band, cutoff, pruning), multivariate DTW and the warping path. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/temporal.h"
#include "dtw_internal.h"

#define ALWAYS_INLINE static inline __attribute__((always_inline))

void eng_dtw_opts_init(eng_dtw_opts *o)
{
  if (o == NULL)
    return;
  o->cost = ENG_DTW_SQUARED;
  o->window = ENG_DTW_NOWINDOW;
  o->cutoff = INFINITY;
  o->normalize = 0;
}

int eng__dtw_finite(const double *x, size_t n)
{
  /* x - x is 0 for a finite value and NaN for NaN or +-inf; four independent
   * accumulators keep the loop free of a serial dependency. */
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += x[i] - x[i];
    s1 += x[i + 1] - x[i + 1];
    s2 += x[i + 2] - x[i + 2];
    s3 += x[i + 3] - x[i + 3];
  }
  for (; i < n; i++)
    s0 += x[i] - x[i];
  double s = s0 + s1 + s2 + s3;
  return s == s ? 0 : ENG_ENAN;
}

ALWAYS_INLINE double pcost(const double *a, const double *b, size_t d, int kind)
{
  if (d == 1) {
    double t = a[0] - b[0];
    return kind == ENG_DTW_SQUARED ? t * t : fabs(t);
  }
  double s = 0;
  for (size_t k = 0; k < d; k++) {
    double t = a[k] - b[k];
    s += kind == ENG_DTW_SQUARED ? t * t : fabs(t);
  }
  return s;
}

/* Rolling-row DTW of rows x (n points) against columns y (m <= n points) of d
 * doubles each, radius r >= n - m, keeping only cells whose value is <= ub.
 *
 * Pruning in the manner of PrunedDTW (Silva and Batista 2016) and EAPrunedDTW
 * (Herrmann and Webb 2021): a cell above ub cannot lie on a path that ends at
 * or below ub because costs are non-negative, so each row only spans from the
 * first column whose previous-row value was <= ub to where the values run above
 * ub again. ub starts as the smaller of the caller's cutoff and the cost of
 * one valid path (the diagonal, then straight down), so the exact optimum is
 * always kept. Floating-point sums are monotone, so the argument holds for the
 * computed values too. Returns 0 with *out, or ENG_ECUTOFF when no cell of a
 * row is <= ub (or the last cell is above it). */
ALWAYS_INLINE int dtw_core(const double *restrict x, size_t n, const double *restrict y, size_t m,
                           size_t d, int kind, size_t r, double ub, double *restrict ws,
                           double *out)
{
  /* Upper bound from one admissible path, summed in the order the DP would. */
  double diag = 0;
  for (size_t i = 0; i < n; i++)
    diag += pcost(x + i * d, y + (i < m ? i : m - 1) * d, d, kind);
  if (diag < ub)
    ub = diag;

  double *prev = ws, *curr = ws + (m + 1);
  /* Buffer index j + 1 holds column j; index 0 is column -1. Row -1 is
   * D(-1,-1) = 0 and infinity elsewhere. */
  prev[0] = 0.0;
  prev[1] = INFINITY;
  size_t ns = 0;    /* first column of the previous row whose value is <= ub */
  size_t pend = 0;  /* last column (inclusive) read through the up/diagonal path */

  for (size_t i = 0; i < n; i++) {
    const double *xi = x + i * d;
    size_t band_lo = i > r ? i - r : 0;
    size_t band_hi = i + r < m - 1 ? i + r : m - 1;
    size_t js = ns > band_lo ? ns : band_lo;
    size_t p1 = pend < band_hi ? pend : band_hi;
    double left = INFINITY;
    curr[js] = INFINITY; /* column js - 1 of this row */
    size_t hi = SIZE_MAX;
    size_t j = js;
    for (; j <= p1; j++) {
      double a = prev[j], b = prev[j + 1];
      double t = a < b ? a : b;
      t = t < left ? t : left;
      left = t + pcost(xi, y + j * d, d, kind);
      curr[j + 1] = left;
      hi = left <= ub ? j : hi;
    }
    /* Past the previous row's reach only the left neighbour feeds a cell. */
    for (; j <= band_hi && left <= ub; j++) {
      left = left + pcost(xi, y + j * d, d, kind);
      curr[j + 1] = left;
      if (left <= ub)
        hi = j;
    }
    if (hi == SIZE_MAX)
      return ENG_ECUTOFF;
    size_t last = j - 1; /* last column computed in this row */
    if (last + 1 <= m - 1)
      curr[last + 2] = INFINITY;
    size_t lo = js;
    while (curr[lo + 1] > ub)
      lo++;
    ns = lo;
    pend = hi + 1;
    double *t = prev;
    prev = curr;
    curr = t;
  }
  /* prev now holds row n - 1; the last column was computed iff it was reached. */
  if (pend < m)
    return ENG_ECUTOFF;
  double v = prev[m];
  if (!(v <= ub))
    return ENG_ECUTOFF;
  *out = v;
  return 0;
}

/* Anti-diagonal DTW (no cutoff, univariate): every cell of anti-diagonal
 * s = i + j depends only on diagonals s-1 and s-2, so a whole diagonal is
 * computed with independent vector lanes instead of one long chain of
 * min-then-add through the row. Each cell takes exactly the same min of the
 * same three values and adds the same cost as the row order, so the result is
 * bit-identical. i runs over y (the shorter series, m points) and j = s - i
 * over x (n points); three diagonals of m + 2 doubles, index k holding i = k-1.
 */
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_X86_SIMD 1
#endif

#define ANTIDIAG_BODY(...)                                                          \
  double *d2 = ws, *d1 = ws + (m + 2), *d0 = ws + 2 * (m + 2);                   \
  /* diagonal -2 holds D(-1,-1) = 0 at i = -1; diagonal -1 is all infinite. */  \
  d2[0] = 0.0;                                                                    \
  d2[1] = INFINITY;                                                               \
  d1[0] = INFINITY;                                                               \
  d1[1] = INFINITY;                                                               \
  size_t last = n + m - 2;                                                        \
  for (size_t s = 0; s <= last; s++) {                                            \
    size_t ilo = s > n - 1 ? s - (n - 1) : 0;                                     \
    if (s > r && (s - r + 1) / 2 > ilo)                                           \
      ilo = (s - r + 1) / 2;                                                      \
    size_t ihi = s < m - 1 ? s : m - 1;                                           \
    if ((s + r) / 2 < ihi)                                                        \
      ihi = (s + r) / 2;                                                          \
    size_t i = ilo;                                                               \
    __VA_ARGS__                                                                   \
    for (; i <= ihi; i++) {                                                       \
      double t = d2[i] < d1[i] ? d2[i] : d1[i];                                  \
      t = t < d1[i + 1] ? t : d1[i + 1];                                         \
      double c = y[i] - x[s - i];                                                 \
      d0[i + 1] = t + (sq ? c * c : fabs(c));                                     \
    }                                                                             \
    d0[ilo] = INFINITY; /* i = ilo - 1 */                                         \
    if (ihi + 2 <= m + 1)                                                         \
      d0[ihi + 2] = INFINITY; /* i = ihi + 1 */                                   \
    double *tmp = d2;                                                             \
    d2 = d1;                                                                      \
    d1 = d0;                                                                      \
    d0 = tmp;                                                                     \
  }                                                                               \
  return d1[m];

__attribute__((unused)) static double antidiag_scalar(const double *restrict x, size_t n, const double *restrict y,
                              size_t m, int sq, size_t r, double *restrict ws)
{
  ANTIDIAG_BODY()
}

#ifdef HAVE_X86_SIMD
__attribute__((target("avx2"))) static double antidiag_avx2(const double *restrict x, size_t n,
                                                            const double *restrict y, size_t m,
                                                            int sq, size_t r,
                                                            double *restrict ws)
{
  const __m256d signmask = _mm256_set1_pd(-0.0);
  ANTIDIAG_BODY(
    for (; i + 4 <= ihi + 1; i += 4) {
      __m256d a = _mm256_loadu_pd(d2 + i), b = _mm256_loadu_pd(d1 + i);
      __m256d c = _mm256_loadu_pd(d1 + i + 1);
      __m256d t = _mm256_min_pd(_mm256_min_pd(a, b), c);
      /* x[s-i-3 .. s-i] reversed to line up with y[i .. i+3] */
      __m256d xv = _mm256_permute4x64_pd(_mm256_loadu_pd(x + (s - i - 3)), 0x1B);
      __m256d d = _mm256_sub_pd(_mm256_loadu_pd(y + i), xv);
      d = sq ? _mm256_mul_pd(d, d) : _mm256_andnot_pd(signmask, d);
      _mm256_storeu_pd(d0 + i + 1, _mm256_add_pd(t, d));
    })
}
#endif

static double antidiag_sse2(const double *restrict x, size_t n, const double *restrict y, size_t m,
                            int sq, size_t r, double *restrict ws)
{
#ifdef HAVE_X86_SIMD
  const __m128d signmask = _mm_set1_pd(-0.0);
  ANTIDIAG_BODY(
    for (; i + 2 <= ihi + 1; i += 2) {
      __m128d a = _mm_loadu_pd(d2 + i), b = _mm_loadu_pd(d1 + i);
      __m128d c = _mm_loadu_pd(d1 + i + 1);
      __m128d t = _mm_min_pd(_mm_min_pd(a, b), c);
      __m128d xv = _mm_loadu_pd(x + (s - i - 1));
      xv = _mm_shuffle_pd(xv, xv, 1);
      __m128d d = _mm_sub_pd(_mm_loadu_pd(y + i), xv);
      d = sq ? _mm_mul_pd(d, d) : _mm_andnot_pd(signmask, d);
      _mm_storeu_pd(d0 + i + 1, _mm_add_pd(t, d));
    })
#else
  return antidiag_scalar(x, n, y, m, sq, r, ws);
#endif
}

/* Picks the widest vector unit the CPU has. */
static double antidiag(const double *x, size_t n, const double *y, size_t m, int sq, size_t r,
                       double *ws)
{
#ifdef HAVE_X86_SIMD
  if (__builtin_cpu_supports("avx2"))
    return antidiag_avx2(x, n, y, m, sq, r, ws);
  return antidiag_sse2(x, n, y, m, sq, r, ws);
#else
  return antidiag_scalar(x, n, y, m, sq, r, ws);
#endif
}

static int dtw_u_sq(const double *x, size_t n, const double *y, size_t m, size_t r, double ub,
                    double *ws, double *out)
{
  return dtw_core(x, n, y, m, 1, ENG_DTW_SQUARED, r, ub, ws, out);
}

static int dtw_u_abs(const double *x, size_t n, const double *y, size_t m, size_t r, double ub,
                     double *ws, double *out)
{
  return dtw_core(x, n, y, m, 1, ENG_DTW_ABSOLUTE, r, ub, ws, out);
}

static int dtw_m_sq(const double *x, size_t n, const double *y, size_t m, size_t d, size_t r,
                    double ub, double *ws, double *out)
{
  return dtw_core(x, n, y, m, d, ENG_DTW_SQUARED, r, ub, ws, out);
}

static int dtw_m_abs(const double *x, size_t n, const double *y, size_t m, size_t d, size_t r,
                     double ub, double *ws, double *out)
{
  return dtw_core(x, n, y, m, d, ENG_DTW_ABSOLUTE, r, ub, ws, out);
}

size_t eng_dtw_workspace(size_t na, size_t nb)
{
  size_t m = na < nb ? na : nb;
  return 3 * (m + 2);
}

int eng__dtw_check_pair(const double *a, size_t na, const double *b, size_t nb,
                        const eng_dtw_opts **opts, eng_dtw_opts *def)
{
  if (*opts == NULL) {
    eng_dtw_opts_init(def);
    *opts = def;
  }
  if (a == NULL || b == NULL || na == 0 || nb == 0)
    return ENG_EINVAL;
  int rc = eng__dtw_check_opts(*opts);
  if (rc)
    return rc;
  if (eng__dtw_finite(a, na) || eng__dtw_finite(b, nb))
    return ENG_ENAN;
  return 0;
}

int eng__dtw_check_opts(const eng_dtw_opts *o)
{
  if (o->cost != ENG_DTW_SQUARED && o->cost != ENG_DTW_ABSOLUTE)
    return ENG_EINVAL;
  if (o->window < 0)
    return ENG_EINVAL;
  if (isnan(o->cutoff))
    return ENG_EINVAL;
  return 0;
}

size_t eng__dtw_radius(const eng_dtw_opts *o, size_t na, size_t nb)
{
  size_t diff = na > nb ? na - nb : nb - na;
  size_t big = na > nb ? na : nb;
  size_t r = (uint64_t)o->window >= (uint64_t)big ? big : (size_t)o->window;
  return r > diff ? r : diff;
}

static double raw_bound(const eng_dtw_opts *o, size_t na, size_t nb)
{
  return eng__dtw_raw_bound(o, na, nb);
}

static int finish(const eng_dtw_opts *o, size_t na, size_t nb, double raw, double *dist)
{
  return eng__dtw_finish(o, na, nb, raw, dist);
}

int eng_dtw_distance_md(const double *a, size_t na, size_t da, const double *b, size_t nb,
                        size_t db, const eng_dtw_opts *opts, double *ws, size_t nws, double *dist)
{
  eng_dtw_opts def;
  if (opts == NULL) {
    eng_dtw_opts_init(&def);
    opts = &def;
  }
  if (a == NULL || b == NULL || dist == NULL || ws == NULL || na == 0 || nb == 0)
    return ENG_EINVAL;
  if (da != db)
    return ENG_EDIM;
  if (da == 0 || na > SIZE_MAX / da || nb > SIZE_MAX / da)
    return ENG_EINVAL;
  int rc = eng__dtw_check_opts(opts);
  if (rc)
    return rc;
  if (nws < eng_dtw_workspace(na, nb))
    return ENG_EINVAL;
  if (eng__dtw_finite(a, na * da) || eng__dtw_finite(b, nb * db))
    return ENG_ENAN;
  /* DTW is symmetric: the longer series walks the rows so the two rows kept
   * are the shorter one. */
  const double *x = a, *y = b;
  size_t n = na, m = nb;
  if (nb > na) {
    x = b;
    y = a;
    n = nb;
    m = na;
  }
  size_t r = eng__dtw_radius(opts, na, nb);
  double ub = raw_bound(opts, na, nb);
  double raw;
  if (da == 1 && isinf(ub) && r >= 2) {
    /* No cutoff: the anti-diagonal order vectorises. */
    raw = antidiag(x, n, y, m, opts->cost == ENG_DTW_SQUARED, r, ws);
    return finish(opts, na, nb, raw, dist);
  }
  if (da == 1)
    rc = opts->cost == ENG_DTW_SQUARED ? dtw_u_sq(x, n, y, m, r, ub, ws, &raw)
                                       : dtw_u_abs(x, n, y, m, r, ub, ws, &raw);
  else
    rc = opts->cost == ENG_DTW_SQUARED ? dtw_m_sq(x, n, y, m, da, r, ub, ws, &raw)
                                       : dtw_m_abs(x, n, y, m, da, r, ub, ws, &raw);
  if (rc)
    return rc;
  return finish(opts, na, nb, raw, dist);
}

int eng_dtw_distance_ws(const double *a, size_t na, const double *b, size_t nb,
                        const eng_dtw_opts *opts, double *ws, size_t nws, double *dist)
{
  return eng_dtw_distance_md(a, na, 1, b, nb, 1, opts, ws, nws, dist);
}

int eng_dtw_distance(const double *a, size_t na, const double *b, size_t nb,
                     const eng_dtw_opts *opts, double *dist)
{
  if (a == NULL || b == NULL || dist == NULL || na == 0 || nb == 0)
    return ENG_EINVAL;
  size_t nws = eng_dtw_workspace(na, nb);
  double *ws = malloc(nws * sizeof *ws);
  if (ws == NULL)
    return ENG_ENOMEM;
  int rc = eng_dtw_distance_ws(a, na, b, nb, opts, ws, nws, dist);
  free(ws);
  return rc;
}

/* ---------------------------------------------------------- warping path */

size_t eng_dtw_path_workspace(size_t na, size_t nb)
{
  if (na >= SIZE_MAX / 16 || nb >= SIZE_MAX / 16 || (na + 1) > SIZE_MAX / 8 / (nb + 1))
    return SIZE_MAX;
  return (na + 1) * (nb + 1);
}

int eng_dtw_path_ws(const double *a, size_t na, const double *b, size_t nb,
                    const eng_dtw_opts *opts, double *ws, size_t nws, size_t *path,
                    size_t path_cap, size_t *path_len, double *dist)
{
  eng_dtw_opts def;
  if (opts == NULL) {
    eng_dtw_opts_init(&def);
    opts = &def;
  }
  if (a == NULL || b == NULL || ws == NULL || path == NULL || path_len == NULL ||
      dist == NULL || na == 0 || nb == 0)
    return ENG_EINVAL;
  int rc = eng__dtw_check_opts(opts);
  if (rc)
    return rc;
  size_t need = eng_dtw_path_workspace(na, nb);
  if (need == SIZE_MAX || nws < need)
    return ENG_EINVAL;
  if (path_cap < na + nb - 1)
    return ENG_ERANGE;
  if (eng__dtw_finite(a, na) || eng__dtw_finite(b, nb))
    return ENG_ENAN;
  size_t r = eng__dtw_radius(opts, na, nb);
  double ub = raw_bound(opts, na, nb);
  int sq = opts->cost == ENG_DTW_SQUARED;
  size_t w = nb + 1;
  /* D[(i+1)*w + (j+1)] = D(i, j); row and column 0 are the boundary. */
  double *D = ws;
  D[0] = 0.0;
  for (size_t j = 1; j <= nb; j++)
    D[j] = INFINITY;
  for (size_t i = 0; i < na; i++) {
    double *row = D + (i + 1) * w, *up = D + i * w;
    size_t lo = i > r ? i - r : 0;
    size_t hi = i + r < nb - 1 ? i + r : nb - 1;
    for (size_t j = 0; j <= nb; j++)
      row[j] = INFINITY;
    double rowmin = INFINITY;
    for (size_t j = lo; j <= hi; j++) {
      double t = up[j] < up[j + 1] ? up[j] : up[j + 1];
      t = t < row[j] ? t : row[j];
      double c = a[i] - b[j];
      double v = t + (sq ? c * c : fabs(c));
      row[j + 1] = v;
      rowmin = v < rowmin ? v : rowmin;
    }
    if (rowmin > ub)
      return ENG_ECUTOFF;
  }
  double raw = D[na * w + nb];
  if (raw > ub)
    return ENG_ECUTOFF;
  rc = finish(opts, na, nb, raw, dist);
  if (rc)
    return rc;
  /* Backtrack from (na-1, nb-1); ties prefer the diagonal, then the step
   * that advanced i. */
  size_t i = na, j = nb, len = 0;
  for (;;) {
    path[2 * len] = i - 1;
    path[2 * len + 1] = j - 1;
    len++;
    if (i == 1 && j == 1)
      break;
    double dg = D[(i - 1) * w + (j - 1)];
    double upv = D[(i - 1) * w + j];
    double lf = D[i * w + (j - 1)];
    if (dg <= upv && dg <= lf) {
      i--;
      j--;
    } else if (upv <= lf) {
      i--;
    } else {
      j--;
    }
  }
  for (size_t k = 0; k < len / 2; k++) {
    size_t o = len - 1 - k;
    size_t t0 = path[2 * k], t1 = path[2 * k + 1];
    path[2 * k] = path[2 * o];
    path[2 * k + 1] = path[2 * o + 1];
    path[2 * o] = t0;
    path[2 * o + 1] = t1;
  }
  *path_len = len;
  return 0;
}

int eng_dtw_path(const double *a, size_t na, const double *b, size_t nb,
                 const eng_dtw_opts *opts, size_t *path, size_t path_cap, size_t *path_len,
                 double *dist)
{
  if (a == NULL || b == NULL || na == 0 || nb == 0)
    return ENG_EINVAL;
  size_t nws = eng_dtw_path_workspace(na, nb);
  if (nws == SIZE_MAX)
    return ENG_ENOMEM;
  double *ws = malloc(nws * sizeof *ws);
  if (ws == NULL)
    return ENG_ENOMEM;
  int rc = eng_dtw_path_ws(a, na, b, nb, opts, ws, nws, path, path_cap, path_len, dist);
  free(ws);
  return rc;
}
