/* stats.c: merging per-worker counters and histograms on read, and reset by baseline. */
#include "internal.h"

#include <string.h>

static void read_counters(eng__worker *w, eng_counters *o) {
  const eng__counters *c = &w->c;
  o->submitted = atomic_load_explicit(&c->nsub, memory_order_relaxed) +
                 atomic_load_explicit(&c->xsub, memory_order_relaxed) +
                 atomic_load_explicit(&w->in_submitted, memory_order_relaxed);
  o->executed = atomic_load_explicit(&c->executed, memory_order_relaxed) +
                atomic_load_explicit(&c->nfast, memory_order_relaxed);
  o->stolen = atomic_load_explicit(&c->stolen, memory_order_relaxed);
  o->parked = atomic_load_explicit(&c->parked, memory_order_relaxed);
  o->woken = atomic_load_explicit(&c->woken, memory_order_relaxed);
  o->deadline_misses = atomic_load_explicit(&c->misses, memory_order_relaxed);
  o->cancelled = atomic_load_explicit(&c->cancelled, memory_order_relaxed);
  o->rejected = atomic_load_explicit(&c->rejected, memory_order_relaxed);
}

#define NFIELDS (sizeof(eng_counters) / sizeof(uint64_t))

static void sub_counters(eng_counters *a, const eng_counters *b) {
  uint64_t *x = (uint64_t *)a;
  const uint64_t *y = (const uint64_t *)b;
  for (size_t i = 0; i < NFIELDS; i++) x[i] = x[i] >= y[i] ? x[i] - y[i] : 0;
}

static void add_counters(eng_counters *a, const eng_counters *b) {
  uint64_t *x = (uint64_t *)a;
  const uint64_t *y = (const uint64_t *)b;
  for (size_t i = 0; i < NFIELDS; i++) x[i] += y[i];
}

/* h -= base; with reset, base takes h's value from before the subtraction. */
static void rebase(eng__hist_snap *h, eng__hist_snap *base, int reset) {
  if (!reset) {
    eng__hist_sub(h, base);
    return;
  }
  uint64_t n = 0;
  for (unsigned i = 0; i < ENG__HIST_BUCKETS; i++) {
    uint64_t raw = h->b[i];
    h->b[i] = raw >= base->b[i] ? raw - base->b[i] : 0;
    base->b[i] = raw;
    n += h->b[i];
  }
  uint64_t sum = h->sum;
  h->sum = sum >= base->sum ? sum - base->sum : 0;
  base->sum = sum;
  h->count = n;
}

int eng_stats_worker(eng_engine *e, unsigned worker, eng_counters *out) {
  if (!e || !out || worker >= e->nworkers) return ENG_EINVAL;
  eng_counters now;
  read_counters(e->w[worker], &now);
  pthread_mutex_lock(&e->stats_lock);
  sub_counters(&now, &e->base_c[worker]);
  pthread_mutex_unlock(&e->stats_lock);
  *out = now;
  return 0;
}

int eng_stats_read(eng_engine *e, eng_stats *out, int reset) {
  if (!e || !out) return ENG_EINVAL;
  eng__hist_snap *q = eng__calloc(ENG__ARENA_ANY, sizeof *q);
  eng__hist_snap *r = eng__calloc(ENG__ARENA_ANY, sizeof *r);
  if (!q || !r) {
    eng__free(q);
    eng__free(r);
    return ENG_ENOMEM;
  }
  memset(out, 0, sizeof *out);
  out->workers = e->nworkers;
  pthread_mutex_lock(&e->stats_lock);
  /* The baseline keeps counters as read at the last reset: the owners never
   * see a write from us, so no update of theirs can be lost. */
  eng_counters *base = e->base_c;
  for (unsigned i = 0; i < e->nworkers; i++) {
    eng_counters c;
    read_counters(e->w[i], &c);
    eng_counters d = c;
    sub_counters(&d, &base[i]);
    add_counters(&out->total, &d);
    if (reset) base[i] = c;
    eng__hist_merge(q, &e->w[i]->qwait);
    eng__hist_merge(r, &e->w[i]->run);
  }
  /* Completions and rejections by foreign threads are engine-wide. */
  uint64_t fc = atomic_load_explicit(&e->fcancelled, memory_order_relaxed);
  uint64_t fr = atomic_load_explicit(&e->frejected, memory_order_relaxed);
  out->total.cancelled += fc - e->base_f[0];
  out->total.rejected += fr - e->base_f[1];
  rebase(q, e->base_q, reset);
  rebase(r, e->base_r, reset);
  if (reset) {
    e->base_f[0] = fc;
    e->base_f[1] = fr;
  }
  pthread_mutex_unlock(&e->stats_lock);
  eng__hist_summary(q, &out->queue_wait);
  eng__hist_summary(r, &out->run_time);
  eng__free(q);
  eng__free(r);
  return 0;
}
