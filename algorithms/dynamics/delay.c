/* delay.c: delay estimation from the autocorrelation and the average mutual information (Fraser & Swinney 1986). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/dynamics.h"
#include "dyn_internal.h"

static int check_args(const double *x, size_t n, unsigned max_lag, const unsigned *tau)
{
  if (!x || !tau || max_lag == 0) return ENG_EINVAL;
  if (n < (size_t)max_lag + 2) return ENG_ESHORT;
  return eng__dyn_scan(x, n);
}

int eng_delay_acf(const double *x, size_t n, unsigned max_lag, eng_acf_rule rule, double *acf,
                  unsigned *tau)
{
  if (rule != ENG_ACF_ZERO && rule != ENG_ACF_1E) return ENG_EINVAL;
  int rc = check_args(x, n, max_lag, tau);
  if (rc) return rc;
  double mean = 0.0;
  for (size_t i = 0; i < n; i++) mean += x[i];
  mean /= (double)n;
  double c0 = 0.0;
  for (size_t i = 0; i < n; i++) c0 += (x[i] - mean) * (x[i] - mean);
  if (!(c0 > 0.0)) return ENG_ECONST;
  const double thr = rule == ENG_ACF_ZERO ? 0.0 : exp(-1.0);
  unsigned found = 0;
  if (acf) acf[0] = 1.0;
  for (unsigned k = 1; k <= max_lag; k++) {
    /* Standard biased estimator (divides by the full-length variance sum), which
     * keeps the sequence positive semi-definite (Box & Jenkins). */
    double c = 0.0;
    for (size_t i = 0; i + k < n; i++) c += (x[i] - mean) * (x[i + k] - mean);
    double r = c / c0;
    if (acf) acf[k] = r;
    if (!found && (rule == ENG_ACF_ZERO ? r <= thr : r < thr)) {
      found = k;
      if (!acf) break;
    }
  }
  *tau = found ? found : max_lag;
  return found ? 0 : ENG_ERANGE;
}

static unsigned auto_bins(size_t n, unsigned bins)
{
  if (bins) return bins;
  unsigned b = (unsigned)ceil(log2((double)n) + 1.0);
  return b < 4 ? 4 : b > 64 ? 64 : b;
}

size_t eng_delay_ami_work_size(size_t n, unsigned bins)
{
  bins = auto_bins(n, bins);
  return n * sizeof(unsigned short) + ((size_t)bins * bins + 2 * (size_t)bins) * sizeof(double);
}

int eng_delay_ami(const double *x, size_t n, unsigned max_lag, unsigned bins, double *ami,
                  unsigned *tau, void *work)
{
  int rc = check_args(x, n, max_lag, tau);
  if (rc) return rc;
  if (bins > 65535) return ENG_EINVAL;
  bins = auto_bins(n, bins);
  void *mem = work;
  if (!mem && !(mem = malloc(eng_delay_ami_work_size(n, bins)))) return ENG_ENOMEM;
  double *joint = mem, *pa = joint + (size_t)bins * bins, *pb = pa + bins;
  unsigned short *cell = (unsigned short *)(pb + bins);
  double lo = x[0], hi = x[0];
  for (size_t i = 1; i < n; i++) {
    if (x[i] < lo) lo = x[i];
    if (x[i] > hi) hi = x[i];
  }
  double scale = bins / (hi - lo);
  for (size_t i = 0; i < n; i++) {
    long c = (long)((x[i] - lo) * scale);
    cell[i] = (unsigned short)(c >= (long)bins ? bins - 1 : c);
  }
  double best = INFINITY, prev2 = 0.0, prev = 0.0;
  unsigned found = 0, argbest = 1;
  for (unsigned k = 0; k <= max_lag; k++) {
    size_t m = n - k;
    memset(joint, 0, ((size_t)bins * bins + 2 * (size_t)bins) * sizeof(double));
    for (size_t i = 0; i < m; i++) {
      joint[(size_t)cell[i] * bins + cell[i + k]] += 1.0;
      pa[cell[i]] += 1.0;
      pb[cell[i + k]] += 1.0;
    }
    /* I(k) = sum p_ab ln(p_ab / (p_a p_b)) over the overlapping m pairs (Fraser & Swinney 1986 eq. 7). */
    double I = 0.0, inv = 1.0 / (double)m;
    for (unsigned a = 0; a < bins; a++)
      for (unsigned b = 0; b < bins; b++) {
        double c = joint[(size_t)a * bins + b];
        if (c > 0.0) I += c * inv * log(c * (double)m / (pa[a] * pb[b]));
      }
    if (ami) ami[k] = I;
    if (k >= 1 && I < best) {
      best = I;
      argbest = k;
    }
    /* I(k-1) is a local minimum when I(k-2) > I(k-1) <= I(k). */
    if (!found && k >= 2 && prev < prev2 && prev <= I) {
      found = k - 1;
      if (!ami) break;
    }
    prev2 = prev;
    prev = I;
  }
  if (mem != work) free(mem);
  *tau = found ? found : argbest;
  return found ? 0 : ENG_ERANGE;
}
