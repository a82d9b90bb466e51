/* hist.c: histogram bucket bounds, merging and percentiles. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "hist.h"

uint64_t eng__hist_lowest(unsigned i) {
  if (i < ENG__HIST_LINEAR) return i;
  unsigned k = i - ENG__HIST_LINEAR;
  unsigned e = ENG__HIST_SUB_BITS + 1 + k / (1u << ENG__HIST_SUB_BITS);
  uint64_t sub = (1u << ENG__HIST_SUB_BITS) + k % (1u << ENG__HIST_SUB_BITS);
  return sub << (e - ENG__HIST_SUB_BITS);
}

uint64_t eng__hist_highest(unsigned i) {
  if (i + 1 >= ENG__HIST_BUCKETS) return UINT64_MAX;
  return eng__hist_lowest(i + 1) - 1;
}

void eng__hist_merge(eng__hist_snap *dst, const eng__hist *src) {
  dst->count += atomic_load_explicit(&src->count, memory_order_relaxed);
  dst->sum += atomic_load_explicit(&src->sum, memory_order_relaxed);
  for (unsigned i = 0; i < ENG__HIST_BUCKETS; i++)
    dst->b[i] += atomic_load_explicit(&src->b[i], memory_order_relaxed);
}

void eng__hist_sub(eng__hist_snap *dst, const eng__hist_snap *base) {
  /* Counters only grow, but count and buckets are read at slightly different
   * moments: recompute count from the buckets so percentiles stay consistent. */
  uint64_t n = 0;
  for (unsigned i = 0; i < ENG__HIST_BUCKETS; i++) {
    dst->b[i] = dst->b[i] >= base->b[i] ? dst->b[i] - base->b[i] : 0;
    n += dst->b[i];
  }
  dst->sum = dst->sum >= base->sum ? dst->sum - base->sum : 0;
  dst->count = n;
}

uint64_t eng__hist_quantile(const eng__hist_snap *h, double q) {
  uint64_t n = 0;
  for (unsigned i = 0; i < ENG__HIST_BUCKETS; i++) n += h->b[i];
  if (n == 0) return 0;
  if (q < 0) q = 0;
  if (q > 1) q = 1;
  uint64_t rank = (uint64_t)ceil(q * (double)n);
  if (rank < 1) rank = 1;
  uint64_t seen = 0;
  for (unsigned i = 0; i < ENG__HIST_BUCKETS; i++) {
    seen += h->b[i];
    if (seen >= rank) return eng__hist_highest(i);
  }
  return eng__hist_highest(ENG__HIST_BUCKETS - 1);
}

void eng__hist_summary(const eng__hist_snap *h, eng_latency *out) {
  memset(out, 0, sizeof *out);
  uint64_t n = 0;
  int lo = -1, hi = -1;
  for (unsigned i = 0; i < ENG__HIST_BUCKETS; i++) {
    if (!h->b[i]) continue;
    n += h->b[i];
    if (lo < 0) lo = (int)i;
    hi = (int)i;
  }
  out->count = n;
  if (!n) return;
  out->min_ns = eng__hist_lowest((unsigned)lo);
  out->max_ns = eng__hist_highest((unsigned)hi);
  out->p50_ns = eng__hist_quantile(h, 0.50);
  out->p90_ns = eng__hist_quantile(h, 0.90);
  out->p99_ns = eng__hist_quantile(h, 0.99);
  out->p999_ns = eng__hist_quantile(h, 0.999);
  out->mean_ns = (double)h->sum / (double)n;
}
