/* hist.h: log-linear latency histograms (HdrHistogram-style, ~2 significant digits).
 *
 * Values below 2^(SUB_BITS+1) get one bucket each; above, every power of two
 * [2^e, 2^(e+1)) is split into 2^SUB_BITS equal buckets, so a bucket is at most
 * 1/128 of its values wide (relative error < 0.8%, "2 significant digits" as in
 * Tene's HdrHistogram). Values from 1 ns to 2^(MAX_EXP+1) ns (~137 s) are kept;
 * larger ones land in the last bucket. Recording is O(1): one bit scan.
 */
#ifndef ENG_HIST_H
#define ENG_HIST_H

#include <stdatomic.h>
#include <stdint.h>

#include "engine.h"

#define ENG__HIST_SUB_BITS 7u
#define ENG__HIST_MAX_EXP 36u
#define ENG__HIST_LINEAR (1u << (ENG__HIST_SUB_BITS + 1)) /* 256 */
#define ENG__HIST_BUCKETS \
  (ENG__HIST_LINEAR + (ENG__HIST_MAX_EXP - ENG__HIST_SUB_BITS) * (1u << ENG__HIST_SUB_BITS))

/* Single-writer histogram: the owning worker updates with relaxed load+store
 * (no read-modify-write), readers sum with relaxed loads. */
typedef struct eng__hist {
  _Atomic uint64_t count, sum;
  _Atomic uint64_t b[ENG__HIST_BUCKETS];
} eng__hist;

/* Plain copy for merging and arithmetic. */
typedef struct eng__hist_snap {
  uint64_t count, sum;
  uint64_t b[ENG__HIST_BUCKETS];
} eng__hist_snap;

static inline unsigned eng__hist_index(uint64_t v) {
  if (v < ENG__HIST_LINEAR) return (unsigned)v;
  unsigned e = 63u - (unsigned)__builtin_clzll(v); /* >= SUB_BITS + 1 */
  if (e > ENG__HIST_MAX_EXP) return ENG__HIST_BUCKETS - 1;
  unsigned shift = e - ENG__HIST_SUB_BITS;
  unsigned sub = (unsigned)(v >> shift) - (1u << ENG__HIST_SUB_BITS);
  return ENG__HIST_LINEAR + (e - ENG__HIST_SUB_BITS - 1) * (1u << ENG__HIST_SUB_BITS) + sub;
}

#define ENG__OWNER_ADD(var, n)                                                               \
  atomic_store_explicit(&(var), atomic_load_explicit(&(var), memory_order_relaxed) + (n), \
                        memory_order_relaxed)

/* Owner thread only. */
static inline void eng__hist_record(eng__hist *h, uint64_t v) {
  ENG__OWNER_ADD(h->b[eng__hist_index(v)], 1);
  ENG__OWNER_ADD(h->count, 1);
  ENG__OWNER_ADD(h->sum, v);
}

/* Smallest and largest value that map to bucket i. */
uint64_t eng__hist_lowest(unsigned i);
uint64_t eng__hist_highest(unsigned i);

/* dst += src (relaxed reads of a live histogram). */
void eng__hist_merge(eng__hist_snap *dst, const eng__hist *src);
/* dst -= base, bucket by bucket (base is an earlier snapshot of the same data). */
void eng__hist_sub(eng__hist_snap *dst, const eng__hist_snap *base);
/* Value at quantile q in [0,1]: the highest value equivalent to the bucket
 * holding the ceil(q*count)-th smallest sample; 0 when empty. */
uint64_t eng__hist_quantile(const eng__hist_snap *h, double q);
/* Fills the public summary. */
void eng__hist_summary(const eng__hist_snap *h, eng_latency *out);

#endif
