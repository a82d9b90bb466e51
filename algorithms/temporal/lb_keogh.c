/* lb_keogh.c: DTW lower bounds (LB_Kim, LB_Keogh) and streaming min/max envelopes. */
#include <math.h>
#include <stdlib.h>

#include "engine/temporal.h"
#include "dtw_internal.h"

void eng__dtw_envelope(const double *x, size_t nx, size_t r, size_t nout, double *lower,
                       double *upper, size_t *ring, size_t cap)
{
  /* Lemire (2009), "Streaming maximum-minimum filter using no more than three
   * comparisons per element": two monotone deques of indices, the max deque
   * decreasing and the min deque increasing in value, so each front is the
   * extreme of the current window and every index enters and leaves once. */
  size_t *qmax = ring, *qmin = ring + cap;
  size_t mask = cap - 1; /* cap is a power of two: no division per step */
  size_t hmax = 0, nmax = 0, hmin = 0, nmin = 0;
  size_t next = 0;
  for (size_t i = 0; i < nout; i++) {
    size_t right = i + r < nx - 1 ? i + r : nx - 1;
    for (; next <= right; next++) {
      double v = x[next];
      while (nmax > 0 && x[qmax[(hmax + nmax - 1) & mask]] <= v)
        nmax--;
      qmax[(hmax + nmax) & mask] = next;
      nmax++;
      while (nmin > 0 && x[qmin[(hmin + nmin - 1) & mask]] >= v)
        nmin--;
      qmin[(hmin + nmin) & mask] = next;
      nmin++;
    }
    if (i >= r) {
      size_t left = i - r;
      while (qmax[hmax] < left) {
        hmax = (hmax + 1) & mask;
        nmax--;
      }
      while (qmin[hmin] < left) {
        hmin = (hmin + 1) & mask;
        nmin--;
      }
    }
    upper[i] = x[qmax[hmax]];
    lower[i] = x[qmin[hmin]];
  }
}

size_t eng_dtw_envelope_workspace(size_t n, size_t r)
{
  size_t w = r < n ? 2 * r + 1 : n; /* 2r + 1 without overflow when r >= n */
  if (w > n)
    w = n;
  size_t cap = 1;
  while (cap < w + 1)
    cap <<= 1;
  return 2 * cap;
}

int eng_dtw_envelope_ws(const double *x, size_t n, size_t r, double *lower, double *upper,
                        size_t *ws, size_t nws)
{
  if (x == NULL || lower == NULL || upper == NULL || ws == NULL || n == 0)
    return ENG_EINVAL;
  size_t need = eng_dtw_envelope_workspace(n, r);
  if (nws < need)
    return ENG_EINVAL;
  if (eng__dtw_finite(x, n))
    return ENG_ENAN;
  eng__dtw_envelope(x, n, r, n, lower, upper, ws, need / 2);
  return 0;
}

int eng_dtw_envelope(const double *x, size_t n, size_t r, double *lower, double *upper)
{
  if (x == NULL || lower == NULL || upper == NULL || n == 0)
    return ENG_EINVAL;
  size_t nws = eng_dtw_envelope_workspace(n, r);
  size_t *ws = malloc(nws * sizeof *ws);
  if (ws == NULL)
    return ENG_ENOMEM;
  int rc = eng_dtw_envelope_ws(x, n, r, lower, upper, ws, nws);
  free(ws);
  return rc;
}

int eng_lb_kim(const double *a, size_t na, const double *b, size_t nb, const eng_dtw_opts *opts,
               double *lb)
{
  eng_dtw_opts def;
  if (lb == NULL)
    return ENG_EINVAL;
  int rc = eng__dtw_check_pair(a, na, b, nb, &opts, &def);
  if (rc)
    return rc;
  int sq = opts->cost == ENG_DTW_SQUARED;
  /* Every warping path contains (0, 0) and (na-1, nb-1); they are two
   * distinct cells unless both series have one point. */
  double v = eng__dtw_cost(a[0], b[0], sq);
  if (na + nb > 2)
    v += eng__dtw_cost(a[na - 1], b[nb - 1], sq);
  if (opts->normalize)
    v /= (double)(na + nb);
  *lb = v;
  return 0;
}

/* Cost of a to the interval [lo, hi]: 0 inside it. */
int eng_lb_keogh_env(const double *a, size_t n, const double *lower, const double *upper,
                     eng_dtw_cost cost, double cutoff, double *lb)
{
  if (a == NULL || lower == NULL || upper == NULL || lb == NULL || n == 0)
    return ENG_EINVAL;
  if (cost != ENG_DTW_SQUARED && cost != ENG_DTW_ABSOLUTE)
    return ENG_EINVAL;
  if (isnan(cutoff))
    return ENG_EINVAL;
  if (eng__dtw_finite(a, n) || eng__dtw_finite(lower, n) || eng__dtw_finite(upper, n))
    return ENG_ENAN;
  int sq = cost == ENG_DTW_SQUARED;
  double s = 0;
  for (size_t i = 0; i < n; i++) {
    s += eng__dtw_outside(a[i], lower[i], upper[i], sq);
    if (s > cutoff)
      return ENG_ECUTOFF;
  }
  *lb = s;
  return 0;
}

int eng_lb_keogh(const double *a, size_t na, const double *b, size_t nb, const eng_dtw_opts *opts,
                 double *lb)
{
  eng_dtw_opts def;
  if (lb == NULL)
    return ENG_EINVAL;
  int rc = eng__dtw_check_pair(a, na, b, nb, &opts, &def);
  if (rc)
    return rc;
  /* Row i of any admissible path visits some b_j with |i - j| <= r, so a_i
   * costs at least its distance to the range of those b_j (Keogh 2002). With
   * r >= |na - nb| that range is never empty. */
  size_t r = eng__dtw_radius(opts, na, nb);
  size_t cap = eng_dtw_envelope_workspace(nb, r) / 2;
  double *env = malloc(2 * na * sizeof *env);
  size_t *ring = malloc(2 * cap * sizeof *ring);
  if (env == NULL || ring == NULL) {
    free(env);
    free(ring);
    return ENG_ENOMEM;
  }
  eng__dtw_envelope(b, nb, r, na, env, env + na, ring, cap);
  int sq = opts->cost == ENG_DTW_SQUARED;
  double s = 0;
  for (size_t i = 0; i < na; i++)
    s += eng__dtw_outside(a[i], env[i], env[na + i], sq);
  free(env);
  free(ring);
  if (opts->normalize)
    s /= (double)(na + nb);
  *lb = s;
  return 0;
}
