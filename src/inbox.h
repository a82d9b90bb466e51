/* inbox.h: bounded multi-producer multi-consumer ring (Vyukov's bounded MPMC queue).
 *
 * Every cell carries a sequence number: a producer claims position pos with a
 * CAS on enq when cell[pos].seq == pos, fills it, and publishes seq = pos + 1;
 * a consumer claims with a CAS on deq when seq == pos + 1 and frees the cell
 * with seq = pos + capacity. Used as the foreign-submit inbox of each worker
 * (the owner and thieves consume) and as the pool of spare task records.
 *
 * Progress: lock-free claims (a failed CAS means another thread advanced), but
 * a consumer cannot take a cell whose producer was suspended between claim and
 * publish, so the structure is not formally lock-free (Vyukov calls it
 * "practically" lock-free); it never blocks a producer on a consumer.
 */
#ifndef ENG_INBOX_H
#define ENG_INBOX_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct eng__task;

typedef struct eng__cell {
  _Atomic size_t seq;
  struct eng__task *data;
} eng__cell;

typedef struct eng__ring {
  _Atomic size_t enq __attribute__((aligned(64)));
  _Atomic size_t deq __attribute__((aligned(64)));
  eng__cell *cells __attribute__((aligned(64)));
  size_t mask;
} eng__ring;

/* cells must hold mask + 1 entries (a power of two). */
static inline void eng__ring_init(eng__ring *r, eng__cell *cells, size_t capacity) {
  r->cells = cells;
  r->mask = capacity - 1;
  for (size_t i = 0; i < capacity; i++) atomic_init(&cells[i].seq, i);
  atomic_init(&r->enq, 0);
  atomic_init(&r->deq, 0);
}

/* Returns 0, or -1 when full. */
static inline int eng__ring_push(eng__ring *r, struct eng__task *t) {
  size_t pos = atomic_load_explicit(&r->enq, memory_order_relaxed);
  eng__cell *c;
  for (;;) {
    c = &r->cells[pos & r->mask];
    /* Acquire pairs with the consumer's release of the cell (seq = pos + cap):
     * its read of data is done before we overwrite it. */
    size_t seq = atomic_load_explicit(&c->seq, memory_order_acquire);
    intptr_t dif = (intptr_t)seq - (intptr_t)pos;
    if (dif == 0) {
      if (atomic_compare_exchange_weak_explicit(&r->enq, &pos, pos + 1, memory_order_relaxed,
                                                memory_order_relaxed))
        break;
    } else if (dif < 0) {
      return -1;
    } else {
      pos = atomic_load_explicit(&r->enq, memory_order_relaxed);
    }
  }
  c->data = t;
  /* Release publishes data and the task's fields; pairs with the acquire load
   * of seq in eng__ring_pop. */
  atomic_store_explicit(&c->seq, pos + 1, memory_order_release);
  return 0;
}

/* Returns the oldest task or NULL when empty. */
static inline struct eng__task *eng__ring_pop(eng__ring *r) {
  size_t pos = atomic_load_explicit(&r->deq, memory_order_relaxed);
  eng__cell *c;
  for (;;) {
    c = &r->cells[pos & r->mask];
    size_t seq = atomic_load_explicit(&c->seq, memory_order_acquire); /* pairs with push's release */
    intptr_t dif = (intptr_t)seq - (intptr_t)(pos + 1);
    if (dif == 0) {
      if (atomic_compare_exchange_weak_explicit(&r->deq, &pos, pos + 1, memory_order_relaxed,
                                                memory_order_relaxed))
        break;
    } else if (dif < 0) {
      return NULL;
    } else {
      pos = atomic_load_explicit(&r->deq, memory_order_relaxed);
    }
  }
  struct eng__task *t = c->data;
  /* Release hands the cell back to producers; pairs with push's acquire. */
  atomic_store_explicit(&c->seq, pos + r->mask + 1, memory_order_release);
  return t;
}

/* Hint: 1 when the head cell looks published. */
static inline int eng__ring_maybe_nonempty(eng__ring *r) {
  size_t pos = atomic_load_explicit(&r->deq, memory_order_relaxed);
  return atomic_load_explicit(&r->cells[pos & r->mask].seq, memory_order_relaxed) == pos + 1;
}

#endif
