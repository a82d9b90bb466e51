/* local.h: the submit path of a task from one of the engine's own workers,
 * inline, so that eng_task_submit's common case (no options, called from a
 * running task) is a single function with no calls on its way to the queue. */
#ifndef ENG_LOCAL_H
#define ENG_LOCAL_H

#include "internal.h"

static inline uint32_t eng__nspinning(uint64_t idle) { return (uint32_t)idle; }
static inline uint32_t eng__nparked(uint64_t idle) { return (uint32_t)(idle >> 32); }

/* After making stealable work visible: when nobody is looking for work but
 * someone sleeps, wake one (the Go scheduler's "spinning" rule). A stale read
 * only costs parallelism: the submitting worker still runs the task itself. */
static inline void eng__maybe_wake_spare(eng_engine *e) {
  uint64_t idle = atomic_load_explicit(&e->idle, memory_order_relaxed);
  if (eng__nspinning(idle) == 0 && eng__nparked(idle) != 0) eng__wake_one(e);
}

/* The queue-wait sampling decision for a submit from worker w: one task in
 * sample_mask + 1 is stamped. */
static inline uint64_t eng__sample_local(eng__worker *w) {
  return (w->sample_ctr++ & w->sample_mask) == 0 ? eng__now_ns() : 0;
}

/* A record from w's free list; the rest (records given back by other
 * threads, then the allocator) out of line. */
static inline eng__task *eng__task_alloc_local(eng__worker *w) {
  eng__task *t = w->free_list;
  if (__builtin_expect(t != NULL, 1)) {
    w->free_list = t->next;
    w->nfree--;
    return t;
  }
  return eng__task_alloc_local_slow(w);
}

/* Puts t back on w's free list when it is one of w's own records (and the
 * engine is not being torn down); returns 0 when eng__task_free must handle
 * it instead. */
static inline int eng__task_free_own(eng__worker *w, eng__task *t) {
  if (t->home != (int32_t)w->idx || w->e->teardown) return 0;
  t->next = w->free_list;
  w->free_list = t;
  w->nfree++;
  return 1;
}

/* Owner: queues a ready task (no delay, no deadline) on w. Returns 0 or -1
 * (full). A continuation from a running task takes the next-task slot unless
 * some worker is idle and could take it instead. */
static inline int eng__enqueue_ready(eng__worker *w, eng__task *t) {
  eng_engine *e = w->e;
  if (eng__tl_current && e->cfg.next_slot_limit &&
      eng__nspinning(atomic_load_explicit(&e->idle, memory_order_relaxed)) == 0) {
    eng__task *old = w->next_slot;
    if (!old) {
      w->next_slot = t;
      return 0;
    }
    if (eng__deque_push(&w->dq[old->prio], old) == 0) {
      w->local_mask |= 1u << old->prio;
      w->next_slot = t;
      return 0;
    }
  }
  unsigned p = t->prio;
  if (eng__deque_push(&w->dq[p], t) != 0) return -1;
  w->local_mask |= 1u << p;
  eng__maybe_wake_spare(e);
  return 0;
}

/* eng_task_submit with no options from one of e's own workers. Falls back to
 * the general path only when the local queues are full. */
static inline int eng__submit_local(eng__worker *w, eng_task_fn fn, void *arg) {
  eng_engine *e = w->e;
  int st = atomic_load_explicit(&e->state, memory_order_acquire);
  if (__builtin_expect(st != ENG__RUNNING && st != ENG__DRAIN_FINISH, 0)) {
    ENG__INC(w->c.rejected);
    return ENG_ESHUTDOWN;
  }
  eng__task *t = eng__task_alloc_local(w);
  if (__builtin_expect(t == NULL, 0)) return ENG_ENOMEM;
  /* next, sib and hkey are set by whichever heap or list takes the record. */
  t->u.fn = fn;
  t->arg = arg;
  t->fut = NULL;
  t->group = NULL;
  t->timer = NULL;
  t->kind = ENG__KIND_TASK;
  t->prio = ENG_PRIO_NORMAL;
  t->flags = 0;
  t->deadline_ns = 0;
  t->due_ns = 0;
  t->stamp_ns = eng__sample_local(w);
  /* Counted before the task is visible (see eng__submit_task); with xsub it
   * is also the "submitted" statistic (see eng__counters). */
  ENG__INC(w->c.nsub);
  if (__builtin_expect(eng__enqueue_ready(w, t) == 0, 1)) return 0;
  ENG__OWNER_ADD(w->c.nsub, (uint64_t)-1);
  return eng__submit_local_full(w, t);
}

#endif
