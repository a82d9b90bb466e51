/* deque.h: bounded split work-stealing deque (owner push/pop without atomics, thieves take batches).
 *
 * The deque is a ring of task pointers indexed by three monotonic counters,
 * top <= split <= bottom. [top, split) is the shared part: thieves take from
 * it, oldest first, many at a time with one CAS on top. [split, bottom) is the
 * private part: only the owner touches it, newest first, with plain loads and
 * stores and no fence. The idea is the split deque of van Dijk and van de Pol,
 * "Lace: non-blocking split deque for work-stealing" (Euro-Par 2014
 * workshops); docs/design.md says why the engine moved to it from Chase-Lev.
 *
 * The owner moves work into the shared part (publishes) in two cases only:
 *  - a push finds the shared part empty: it publishes half of the private part
 *    (at least the task just pushed), so a task spawned before a long
 *    computation can still be stolen at once;
 *  - a thief found the shared part empty and set `want`: the owner's next
 *    push or pop publishes half of its private part.
 * When its private part is empty, the owner takes the whole shared part back
 * with one CAS on top (eng__deque_pop), like a thief would.
 *
 * Why it is safe without fences: split only grows and is written only by the
 * owner, so a stale split a thief reads only hides work. Every removal from
 * the shared part, the owner's included, is a CAS on top, and top only grows
 * (64-bit: no ABA). A thief reads its slots before its CAS; a slot it read is
 * rewritten only by a push at an index one ring length further, which needs
 * top to have moved past the slot first (the push's full check), and then the
 * thief's CAS fails. Slots are atomics so that the racing read of a slot that
 * is being rewritten is defined (its value is discarded by the failed CAS).
 *
 * Progress: push and pop of private tasks are wait-free and use no atomic
 * read-modify-write; taking from the shared part is lock-free (a failed CAS
 * means another thread took tasks).
 */
#ifndef ENG_DEQUE_H
#define ENG_DEQUE_H

#include <stdatomic.h>
#include <stdint.h>

struct eng__task;

typedef struct eng__deque {
  /* The thieves' line: they CAS top, read split and set want. The owner
   * writes split and want only when it publishes, and reads want on pops. */
  _Atomic int64_t top __attribute__((aligned(64)));
  _Atomic int64_t split;
  _Atomic int want; /* a thief found the shared part empty */
  /* The owner's line. */
  int64_t bottom __attribute__((aligned(64)));
  int64_t osplit;    /* the owner's copy of split */
  int64_t top_cache; /* the owner's last view of top: refreshed when the ring looks full */
  int64_t mask;
  int solo; /* no thieves exist (a one-worker engine): never publish */
  _Atomic(struct eng__task *) *buf;
} eng__deque;

/* Owner: moves the older half (rounded up) of the private part into the
 * shared part. Release on split publishes the slots and the tasks' fields;
 * pairs with the thieves' acquire load of split. */
static inline void eng__deque_publish(eng__deque *d) {
  int64_t n = d->bottom - d->osplit;
  if (n <= 0) return;
  d->osplit += (n + 1) / 2;
  atomic_store_explicit(&d->split, d->osplit, memory_order_release);
  if (atomic_load_explicit(&d->want, memory_order_relaxed))
    atomic_store_explicit(&d->want, 0, memory_order_relaxed);
}

/* Owner: a thief asked for work and there is some to give. */
static inline int eng__deque_wanted(const eng__deque *d) {
  return d->bottom - d->osplit >= 2 && atomic_load_explicit(&d->want, memory_order_relaxed);
}

/* Owner: free slots, refreshing the view of top when the ring looks full. */
static inline int64_t eng__deque_room(eng__deque *d) {
  int64_t room = d->mask + 1 - (d->bottom - d->top_cache);
  if (room <= 0) {
    /* Acquire pairs with the release CAS of whoever took the slots: their
     * reads of the slots happen before we reuse them. */
    d->top_cache = atomic_load_explicit(&d->top, memory_order_acquire);
    room = d->mask + 1 - (d->bottom - d->top_cache);
  }
  return room;
}

/* Owner only. Returns 0, or -1 when full. */
static inline int eng__deque_push(eng__deque *d, struct eng__task *t) {
  const int64_t b = d->bottom; /* one load: the slot store below may alias it */
  if (b - d->top_cache > d->mask && eng__deque_room(d) <= 0) return -1;
  atomic_store_explicit(&d->buf[b & d->mask], t, memory_order_relaxed);
  d->bottom = b + 1;
  /* A relaxed read of top: a stale (smaller) value only delays publication
   * until a thief asks for it. */
  if (!d->solo && atomic_load_explicit(&d->top, memory_order_relaxed) >= d->osplit) eng__deque_publish(d);
  return 0;
}

/* Owner: takes the whole shared part back; returns its newest task and keeps
 * the others as private ones (in the same order), or NULL when it is empty. */
static inline struct eng__task *eng__deque_reclaim(eng__deque *d) {
  const int64_t s = d->osplit;
  int64_t t = atomic_load_explicit(&d->top, memory_order_acquire);
  do {
    if (t >= s) return NULL;
  } while (!atomic_compare_exchange_weak_explicit(&d->top, &t, s, memory_order_acq_rel, memory_order_acquire));
  /* [t, s) is ours and only the owner writes slots: read them after the CAS.
   * They move to [s, s + k - 1), the new private part; a forward copy never
   * overwrites a slot before reading it (k <= ring size). */
  int64_t k = s - t;
  struct eng__task *x = atomic_load_explicit(&d->buf[(s - 1) & d->mask], memory_order_relaxed);
  for (int64_t i = 0; i + 1 < k; i++)
    atomic_store_explicit(&d->buf[(s + i) & d->mask],
                          atomic_load_explicit(&d->buf[(t + i) & d->mask], memory_order_relaxed),
                          memory_order_relaxed);
  d->top_cache = s;
  d->bottom = s + k - 1;
  return x;
}

/* Owner only. Returns the newest task or NULL. */
static inline struct eng__task *eng__deque_pop(eng__deque *d) {
  if (d->bottom > d->osplit) {
    d->bottom--;
    return atomic_load_explicit(&d->buf[d->bottom & d->mask], memory_order_relaxed);
  }
  return eng__deque_reclaim(d);
}

/* Owner only. Returns the oldest task or NULL: the starvation path, not fast. */
static inline struct eng__task *eng__deque_pop_oldest(eng__deque *d) {
  for (;;) {
    int64_t t = atomic_load_explicit(&d->top, memory_order_acquire);
    if (t < d->osplit) {
      if (atomic_compare_exchange_strong_explicit(&d->top, &t, t + 1, memory_order_acq_rel,
                                                  memory_order_relaxed))
        return atomic_load_explicit(&d->buf[t & d->mask], memory_order_relaxed);
      continue;
    }
    if (d->bottom == d->osplit) return NULL;
    /* Publish just the oldest private task, then claim it like a thief. */
    d->osplit++;
    atomic_store_explicit(&d->split, d->osplit, memory_order_release);
  }
}

/* Thief: moves every task of v's shared part (as many as fit) into the private
 * part of `mine`, a deque the calling thread owns. Returns how many; 0 when
 * the shared part was empty (then asks v's owner to publish) or a race was
 * lost. The tasks are copied before the CAS into mine's free slots past its
 * bottom: they count only once bottom moves, and a thief of `mine` that reads
 * one of them through a stale top fails its CAS (the push argument above). */
static inline int64_t eng__deque_steal_into(eng__deque *v, eng__deque *mine) {
  /* Acquire on split pairs with the owner's release in eng__deque_publish. */
  int64_t t = atomic_load_explicit(&v->top, memory_order_acquire);
  int64_t s = atomic_load_explicit(&v->split, memory_order_acquire);
  if (t >= s) {
    /* Read before writing: waiting thieves leave the line shared. */
    if (!atomic_load_explicit(&v->want, memory_order_relaxed))
      atomic_store_explicit(&v->want, 1, memory_order_relaxed);
    return 0;
  }
  int64_t k = s - t, room = eng__deque_room(mine);
  if (k > room) k = room;
  if (k <= 0) return 0;
  for (int64_t i = 0; i < k; i++)
    atomic_store_explicit(&mine->buf[(mine->bottom + i) & mine->mask],
                          atomic_load_explicit(&v->buf[(t + i) & v->mask], memory_order_relaxed),
                          memory_order_relaxed);
  /* Release: our slot reads happen before the owner reuses the slots (its
   * acquire load of top in eng__deque_room). */
  if (!atomic_compare_exchange_strong_explicit(&v->top, &t, t + k, memory_order_acq_rel, memory_order_relaxed))
    return 0;
  mine->bottom += k;
  return k;
}

/* Owner: whether the deque holds any task. */
static inline int eng__deque_nonempty(eng__deque *d) {
  return d->bottom > d->osplit || atomic_load_explicit(&d->top, memory_order_relaxed) < d->osplit;
}

/* Any thread; a hint (may be stale by the time it returns): the shared part
 * holds tasks to steal. */
static inline int eng__deque_stealable(eng__deque *d) {
  return atomic_load_explicit(&d->top, memory_order_relaxed) <
         atomic_load_explicit(&d->split, memory_order_relaxed);
}

#endif
