/* stats.c: order statistics, spread, paired deltas and mode detection for the runner. */
#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

double bench_percentile_sorted(const double *s, size_t n, double p) {
  if (n == 0) return 0;
  if (p <= 0) return s[0];
  if (p >= 100) return s[n - 1];
  /* Hyndman & Fan (1996) definition 7: h = (n-1)p, interpolate s[floor h], s[floor h + 1]. */
  double h = (double)(n - 1) * p / 100.0;
  size_t lo = (size_t)floor(h);
  if (lo + 1 >= n) return s[n - 1];
  return s[lo] + (h - (double)lo) * (s[lo + 1] - s[lo]);
}

double bench_percentile_u64(uint64_t *v, size_t n, double p) {
  if (n == 0) return 0;
  qsort(v, n, sizeof *v, cmp_u64);
  if (p <= 0) return (double)v[0];
  if (p >= 100) return (double)v[n - 1];
  double h = (double)(n - 1) * p / 100.0;
  size_t lo = (size_t)floor(h);
  if (lo + 1 >= n) return (double)v[n - 1];
  return (double)v[lo] + (h - (double)lo) * ((double)v[lo + 1] - (double)v[lo]);
}

double bench_median(const double *x, size_t n) {
  if (n == 0) return 0;
  double *s = malloc(n * sizeof *s);
  if (!s) return NAN;
  memcpy(s, x, n * sizeof *s);
  qsort(s, n, sizeof *s, cmp_double);
  double m = (n % 2) ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
  free(s);
  return m;
}

double bench_cv(const double *x, size_t n) {
  if (n < 2) return 0;
  double mean = 0;
  for (size_t i = 0; i < n; i++) mean += x[i];
  mean /= (double)n;
  if (mean == 0) return 0;
  double ss = 0;
  for (size_t i = 0; i < n; i++) ss += (x[i] - mean) * (x[i] - mean);
  return sqrt(ss / (double)(n - 1)) / fabs(mean);
}

double bench_median_of_means(const double *x, size_t n, size_t k) {
  if (n == 0) return 0;
  if (k < 1) k = 1;
  if (k > n) k = n;
  double means[k];
  size_t per = n / k;
  for (size_t g = 0; g < k; g++) {
    size_t lo = g * per, hi = (g + 1 == k) ? n : lo + per;
    double s = 0;
    for (size_t i = lo; i < hi; i++) s += x[i];
    means[g] = s / (double)(hi - lo);
  }
  return bench_median(means, k);
}

void bench_summarize(const double *x, size_t n, bench_summary *out) {
  memset(out, 0, sizeof *out);
  if (n == 0) return;
  out->n = n;
  out->min = out->max = x[0];
  double s = 0;
  for (size_t i = 0; i < n; i++) {
    if (x[i] < out->min) out->min = x[i];
    if (x[i] > out->max) out->max = x[i];
    s += x[i];
  }
  out->mean = s / (double)n;
  out->median = bench_median(x, n);
  out->cv = bench_cv(x, n);
  /* Groups of about sqrt(n) samples: robust to a few outlier samples while
   * each group still averages out short-term jitter. */
  size_t k = (size_t)floor(sqrt((double)n));
  out->median_of_means = bench_median_of_means(x, n, k);
}

int bench_paired_deltas(const double *a, const double *b, size_t n, int lower_is_better,
                        bench_paired *out) {
  memset(out, 0, sizeof *out);
  if (n == 0) return -1;
  double *d = malloc(n * sizeof *d);
  if (!d) return -1;
  size_t m = 0;
  for (size_t i = 0; i < n; i++) {
    if (!(a[i] > 0) || !isfinite(b[i])) continue;
    d[m++] = b[i] / a[i] - 1.0;
    if (lower_is_better ? b[i] < a[i] : b[i] > a[i]) out->b_wins++;
  }
  out->n = m;
  if (m) {
    qsort(d, m, sizeof *d, cmp_double);
    out->median_delta = (m % 2) ? d[m / 2] : 0.5 * (d[m / 2 - 1] + d[m / 2]);
    out->p10 = bench_percentile_sorted(d, m, 10);
    out->p90 = bench_percentile_sorted(d, m, 90);
  }
  free(d);
  return m ? 0 : -1;
}

size_t bench_modes(const uint64_t *v, size_t n, int bins_per_decade, double min_mass,
                   double *modes, size_t max) {
  if (n == 0 || max == 0 || bins_per_decade < 1) return 0;
  /* Values below 1 ns share the first bin; 20 decades cover any uint64_t. */
  size_t nb = (size_t)bins_per_decade * 20 + 2;
  double *c = calloc(nb, sizeof *c), *s = calloc(nb, sizeof *s);
  size_t *peak = calloc(nb, sizeof *peak);
  size_t np = 0, out = 0;
  if (!c || !s || !peak) goto done;
  for (size_t i = 0; i < n; i++) {
    double x = v[i] < 1 ? 1.0 : (double)v[i];
    size_t b = (size_t)floor(log10(x) * bins_per_decade);
    if (b >= nb - 1) b = nb - 2;
    c[b + 1] += 1; /* +1: keep a zero bin on the left for the smoothing window */
  }
  for (size_t i = 1; i + 1 < nb; i++) s[i] = (c[i - 1] + c[i] + c[i + 1]) / 3.0;
  for (size_t i = 1; i + 1 < nb; i++)
    if (s[i] > s[i - 1] && s[i] >= s[i + 1]) peak[np++] = i;
  /* Merge neighbouring peaks whose valley is not deep: at least half the lower peak. */
  for (int merged = 1; merged && np > 1;) {
    merged = 0;
    for (size_t k = 0; k + 1 < np; k++) {
      size_t p = peak[k], q = peak[k + 1];
      double valley = s[p];
      for (size_t i = p; i <= q; i++) if (s[i] < valley) valley = s[i];
      double lower = s[p] < s[q] ? s[p] : s[q];
      if (valley >= 0.5 * lower) {
        size_t keep = s[p] >= s[q] ? p : q;
        peak[k] = keep;
        memmove(&peak[k + 1], &peak[k + 2], (np - k - 2) * sizeof *peak);
        np--;
        merged = 1;
        break;
      }
    }
  }
  /* Each hill spans from the valley before its peak to the valley after it. */
  size_t lo = 0;
  for (size_t k = 0; k < np; k++) {
    size_t hi = nb - 1;
    if (k + 1 < np) {
      hi = peak[k];
      for (size_t i = peak[k]; i <= peak[k + 1]; i++) if (s[i] < s[hi]) hi = i;
    }
    double mass = 0;
    size_t best = peak[k];
    for (size_t i = lo; i <= hi && i < nb; i++) {
      mass += c[i];
      if (c[i] > c[best]) best = i;
    }
    if (mass >= min_mass * (double)n && out < max)
      modes[out++] = pow(10.0, ((double)(best - 1) + 0.5) / bins_per_decade);
    lo = hi + 1;
  }
done:
  free(c);
  free(s);
  free(peak);
  return out;
}

int bench_ratio(double fig, double fig_floor, double base_fig, double base_floor, double *ratio) {
  *ratio = NAN;
  if (!isfinite(fig) || !isfinite(base_fig)) return BENCH_RATIO_NO_FIGURE;
  if (!(base_fig > base_floor) || !(base_fig > 0)) return BENCH_RATIO_BASE_DEGENERATE;
  if (!(fig > fig_floor) || !(fig > 0)) return BENCH_RATIO_DEGENERATE;
  *ratio = fig / base_fig;
  return BENCH_RATIO_OK;
}
