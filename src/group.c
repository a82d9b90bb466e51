/* group.c: task groups: a pending count that a thread can wait on. */
#include "internal.h"

#include <limits.h>

int eng_group_create(eng_engine *e, eng_group **out) {
  if (out) *out = NULL;
  if (!e || !out) return ENG_EINVAL;
  eng_group *g = eng__calloc(ENG__ARENA_ANY, sizeof *g);
  if (!g) return ENG_ENOMEM;
  g->e = e;
  atomic_init(&g->refs, 1);
  *out = g;
  return 0;
}

void eng__group_add(eng_group *g) {
  atomic_fetch_add_explicit(&g->pending, 1, memory_order_relaxed);
  atomic_fetch_add_explicit(&g->refs, 1, memory_order_relaxed);
}

void eng__group_unref(eng_group *g) {
  if (atomic_fetch_sub_explicit(&g->refs, 1, memory_order_acq_rel) == 1) eng__free(g);
}

void eng__group_done(eng_group *g, int cancelled) {
  if (cancelled) atomic_fetch_add_explicit(&g->cancelled, 1, memory_order_relaxed);
  /* seq_cst with the waiter's seq_cst increment of waiters and load of
   * pending: either it sees 0 or we see it waiting (store-load on both sides). */
  if (atomic_fetch_sub_explicit(&g->pending, 1, memory_order_seq_cst) != 1) return;
  if (atomic_load_explicit(&g->waiters, memory_order_seq_cst) == 0) return;
  atomic_fetch_add_explicit(&g->seq, 1, memory_order_release);
  eng__futex_wake(&g->seq, INT_MAX);
}

static int wait_group(eng_group *g, uint64_t timeout_ns) {
  if (!g) return ENG_EINVAL;
  int rc = 0;
  if (atomic_load_explicit(&g->pending, memory_order_acquire) != 0) {
    if (eng__self_in(g->e)) return ENG_EMISUSE;
    uint64_t start = eng__now_ns();
    atomic_fetch_add_explicit(&g->waiters, 1, memory_order_seq_cst);
    for (;;) {
      uint32_t seq = atomic_load_explicit(&g->seq, memory_order_acquire);
      if (atomic_load_explicit(&g->pending, memory_order_seq_cst) == 0) break;
      uint64_t left = UINT64_MAX;
      if (timeout_ns != UINT64_MAX) {
        uint64_t el = eng__now_ns() - start;
        if (el >= timeout_ns) {
          rc = ENG_ETIMEDOUT;
          break;
        }
        left = timeout_ns - el;
      }
      eng__futex_wait(&g->seq, seq, left);
    }
    atomic_fetch_sub_explicit(&g->waiters, 1, memory_order_relaxed);
  }
  if (rc == 0 && atomic_load_explicit(&g->cancelled, memory_order_relaxed)) rc = ENG_ECANCELED;
  return rc;
}

int eng_group_wait(eng_group *g) { return wait_group(g, UINT64_MAX); }

int eng_group_wait_for(eng_group *g, uint64_t timeout_ns) {
  if (timeout_ns == UINT64_MAX) timeout_ns--;
  return wait_group(g, timeout_ns);
}

uint64_t eng_group_pending(const eng_group *g) {
  return g ? atomic_load_explicit(&((eng_group *)g)->pending, memory_order_acquire) : 0;
}

void eng_group_destroy(eng_group *g) {
  if (!g) return;
  /* From a worker we cannot wait; the tasks' references keep it alive. */
  if (!eng__self_in(g->e)) wait_group(g, UINT64_MAX);
  eng__group_unref(g);
}
