/* deque.h: bounded Chase-Lev work-stealing deque (owner push/pop, thieves steal).
 *
 * Memory orders follow Le, Pop, Cohen and Zappa Nardelli, "Correct and
 * Efficient Work-Stealing for Weak Memory Models" (PPoPP 2013), Fig. 1, with a
 * fixed power-of-two buffer (no growth: a full deque refuses the push) and
 * release stores of bottom (free on x86) instead of fence + relaxed store so
 * ThreadSanitizer sees the publication.
 *
 * Progress: push and pop are wait-free for the owner and use no read-modify-
 * write instruction except the single CAS in pop when one element is left;
 * steal is lock-free (a failed CAS means another thread made progress).
 */
#ifndef ENG_DEQUE_H
#define ENG_DEQUE_H

#include <stdatomic.h>
#include <stdint.h>

struct eng__task;

typedef struct eng__deque {
  /* Thieves' line: CAS target. */
  _Atomic int64_t top __attribute__((aligned(64)));
  /* Owner's line: bottom is written only by the owner. */
  _Atomic int64_t bottom __attribute__((aligned(64)));
  int64_t top_cache;  /* owner's last view of top: refreshed only when the deque looks full */
  int64_t mask;
  _Atomic(struct eng__task *) *buf;
} eng__deque;

/* The seq_cst fence of Le et al. separating the owner's bottom store from its
 * top load (and the thief's top load from its bottom load). ThreadSanitizer
 * does not model fences, so its builds use seq_cst accesses instead, which
 * give the same store-load order in the C11 model. */
#ifdef __SANITIZE_THREAD__
#define ENG__DQ_SC memory_order_seq_cst
#define ENG__DQ_REL memory_order_seq_cst
#define ENG__DQ_ACQ memory_order_seq_cst
#define ENG__DQ_FENCE() ((void)0)
#else
#define ENG__DQ_SC memory_order_relaxed
#define ENG__DQ_REL memory_order_release
#define ENG__DQ_ACQ memory_order_acquire
#define ENG__DQ_FENCE() atomic_thread_fence(memory_order_seq_cst)
#endif

/* Owner only. Returns 0, or -1 when full. */
static inline int eng__deque_push(eng__deque *d, struct eng__task *t) {
  int64_t b = atomic_load_explicit(&d->bottom, memory_order_relaxed);
  if (b - d->top_cache > d->mask) {
    /* Acquire pairs with the thieves' successful CAS on top: the slot they
     * emptied is no longer read by them. */
    d->top_cache = atomic_load_explicit(&d->top, memory_order_acquire);
    if (b - d->top_cache > d->mask) return -1;
  }
  atomic_store_explicit(&d->buf[b & d->mask], t, memory_order_relaxed);
  /* Release publishes the slot and the task's fields; pairs with the acquire
   * load of bottom in eng__deque_steal. */
  atomic_store_explicit(&d->bottom, b + 1, memory_order_release);
  return 0;
}

/* Owner only. Returns the newest task or NULL. */
static inline struct eng__task *eng__deque_pop(eng__deque *d) {
  int64_t b = atomic_load_explicit(&d->bottom, memory_order_relaxed) - 1;
  atomic_store_explicit(&d->bottom, b, ENG__DQ_REL);
  ENG__DQ_FENCE();
  int64_t t = atomic_load_explicit(&d->top, ENG__DQ_SC);
  struct eng__task *x = NULL;
  if (t <= b) {
    x = atomic_load_explicit(&d->buf[b & d->mask], memory_order_relaxed);
    if (t == b) {
      /* Last element: race the thieves for it. */
      if (!atomic_compare_exchange_strong_explicit(&d->top, &t, t + 1, memory_order_seq_cst,
                                                   memory_order_relaxed))
        x = NULL;
      atomic_store_explicit(&d->bottom, b + 1, memory_order_release);
    }
  } else {
    atomic_store_explicit(&d->bottom, b + 1, memory_order_release);
  }
  return x;
}

/* Owner only. Takes up to k of the newest tasks with one fence, but never
 * more than half of what the deque holds, so thieves keep the older half.
 * out[0..n) receives them oldest first (pop out[n-1] first for LIFO order).
 * Returns n, or 0 when fewer than two tasks are visible or a thief may be
 * racing for them: then use eng__deque_pop.
 *
 * Why it is safe: after the fence we see top t < nb (the new bottom). Every
 * thief either read bottom before our store, and then also read a top no
 * greater than t (top only grows), or read our nb; either way it can only
 * claim an index below nb, so [nb, B) is ours without a CAS. */
static inline unsigned eng__deque_pop_batch(eng__deque *d, struct eng__task **out, unsigned k) {
  int64_t B = atomic_load_explicit(&d->bottom, memory_order_relaxed);
  int64_t size = B - atomic_load_explicit(&d->top, memory_order_relaxed); /* a hint */
  if (size < 2) return 0;
  if ((int64_t)k > size / 2) k = (unsigned)(size / 2);
  int64_t nb = B - (int64_t)k;
  atomic_store_explicit(&d->bottom, nb, ENG__DQ_REL);
  ENG__DQ_FENCE();
  int64_t t = atomic_load_explicit(&d->top, ENG__DQ_SC);
  if (t >= nb) {
    atomic_store_explicit(&d->bottom, B, memory_order_release);
    return 0;
  }
  for (unsigned i = 0; i < k; i++)
    out[i] = atomic_load_explicit(&d->buf[(nb + (int64_t)i) & d->mask], memory_order_relaxed);
  return k;
}

/* Any thread. Returns the oldest task, or NULL when empty or when it lost a race. */
static inline struct eng__task *eng__deque_steal(eng__deque *d) {
  /* Acquire on top pairs with other thieves' CAS; acquire on bottom pairs with
   * the owner's release store in push/pop (the task's fields are visible). */
  int64_t t = atomic_load_explicit(&d->top, ENG__DQ_ACQ);
  ENG__DQ_FENCE();
  int64_t b = atomic_load_explicit(&d->bottom, ENG__DQ_ACQ);
  if (t >= b) return NULL;
  struct eng__task *x = atomic_load_explicit(&d->buf[t & d->mask], memory_order_relaxed);
  if (!atomic_compare_exchange_strong_explicit(&d->top, &t, t + 1, memory_order_seq_cst,
                                               memory_order_relaxed))
    return NULL;
  return x;
}

/* Any thread; a hint (may be stale by the time it returns). */
static inline int eng__deque_maybe_nonempty(eng__deque *d) {
  return atomic_load_explicit(&d->bottom, memory_order_relaxed) >
         atomic_load_explicit(&d->top, memory_order_relaxed);
}

#endif
