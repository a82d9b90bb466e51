/* stats.h: the benchmark runner's statistics (pure functions over arrays). */
#ifndef ENGINE_BENCH_STATS_H
#define ENGINE_BENCH_STATS_H

#include <stddef.h>
#include <stdint.h>

typedef struct bench_summary {
  size_t n;
  double median, min, max, mean;
  double cv;              /* sample standard deviation / mean (0 when n < 2) */
  double median_of_means; /* median of the means of consecutive groups */
} bench_summary;

/* Summary of x[0..n) (x is not modified). n == 0 gives all zeros. */
void bench_summarize(const double *x, size_t n, bench_summary *out);

/* Median of x[0..n) (copied, not modified); 0 for n == 0. Even n: mean of the
 * two middle values. */
double bench_median(const double *x, size_t n);

/* Percentile p in [0, 100] of sorted s[0..n) by linear interpolation between
 * closest ranks (the "R-7" definition: h = (n-1) p/100). */
double bench_percentile_sorted(const double *s, size_t n, double p);

/* As above for integers (latencies); sorts v in place. */
double bench_percentile_u64(uint64_t *v, size_t n, double p);

/* Median of means: x split into k consecutive groups of equal size (the last
 * group takes the remainder); the median of the k group means. k is clamped
 * to [1, n]. */
double bench_median_of_means(const double *x, size_t n, size_t k);

/* Coefficient of variation: sample standard deviation (n-1) over the mean. */
double bench_cv(const double *x, size_t n);

/* Paired comparison of B against A over n rounds (a[i], b[i] from the same
 * round). delta_i = b_i / a_i - 1; lower_is_better decides who "wins" a round. */
typedef struct bench_paired {
  size_t n;
  double median_delta;  /* median of delta_i */
  double p10, p90;      /* spread of delta_i (R-7 percentiles) */
  size_t b_wins;        /* rounds where B was better than A */
} bench_paired;
int bench_paired_deltas(const double *a, const double *b, size_t n, int lower_is_better,
                        bench_paired *out);

/* Ratio of a row's figure to the base row's figure, guarded against figures
 * that are not durations: a figure at or below its floor (a latency p50 at the
 * clock's resolution is a count of zero readings, an ns/op of 0 is nothing
 * measured) would print as x0.00 or x inf. Returns BENCH_RATIO_OK and sets
 * *ratio = fig / base_fig, or says which side is degenerate (*ratio = NAN). */
enum { BENCH_RATIO_OK = 0, BENCH_RATIO_NO_FIGURE, BENCH_RATIO_BASE_DEGENERATE, BENCH_RATIO_DEGENERATE };
int bench_ratio(double fig, double fig_floor, double base_fig, double base_floor, double *ratio);

/* Modes of a latency distribution. Values are binned on a log scale (bins_per
 * decade per factor of 10), smoothed with a 3-bin window, and every local
 * maximum holding at least min_mass of the samples (within its own hill down
 * to the valleys on each side) and separated from its neighbour by a valley
 * below half the lower peak is a mode. Writes up to max modes (ascending
 * value, each the geometric centre of its peak bin) and returns how many. */
size_t bench_modes(const uint64_t *v, size_t n, int bins_per_decade, double min_mass,
                   double *modes, size_t max);

#endif
