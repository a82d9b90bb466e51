/* future.c: futures: completion word, waiting (spin then futex), then-callbacks, cancellation. */
#include "internal.h"

#include <limits.h>
#include <sched.h>

eng_future *eng__future_new(eng_engine *e) {
  eng_future *f = eng__calloc(ENG__ARENA_ANY, sizeof *f);
  if (!f) return NULL;
  atomic_init(&f->state, 0);
  atomic_init(&f->refs, 2); /* the caller and the task */
  f->e = e;
  return f;
}

void eng__future_unref(eng_future *f) {
  /* acq_rel: the last owner sees every other owner's writes before freeing. */
  if (atomic_fetch_sub_explicit(&f->refs, 1, memory_order_acq_rel) == 1) eng__free(f);
}

int eng__future_start(eng_future *f) {
  uint32_t s = atomic_load_explicit(&f->state, memory_order_relaxed);
  do {
    if (s & ENG__F_PHASE) return 0;
  } while (!atomic_compare_exchange_weak_explicit(&f->state, &s, s | ENG__F_RUNNING,
                                                  memory_order_acq_rel, memory_order_relaxed));
  return 1;
}

/* Called by the thread that won eng__future_start. */
void eng__future_complete(eng_future *f, int status, void *result) {
  f->status = status;
  f->result = result;
  uint32_t s = atomic_load_explicit(&f->state, memory_order_relaxed), n;
  do n = (s & ~ENG__F_PHASE) | ENG__F_DONE;
  /* Release publishes status and result (pairs with the acquire loads in
   * wait/done/then); acquire sees cb and ud stored before ENG__F_CB was set. */
  while (!atomic_compare_exchange_weak_explicit(&f->state, &s, n, memory_order_acq_rel,
                                                memory_order_relaxed));
  if (s & ENG__F_CB) f->cb(f, status, result, f->ud);
  if (s & ENG__F_WAITERS) eng__futex_wake(&f->state, INT_MAX);
}

static int finished(eng_future *f, void **result) {
  /* Acquire pairs with the release CAS in eng__future_complete. */
  uint32_t s = atomic_load_explicit(&f->state, memory_order_acquire);
  if ((s & ENG__F_PHASE) != ENG__F_DONE) return 0;
  if (result) *result = f->status == 0 ? f->result : NULL;
  return 1;
}

static int wait_until(eng_future *f, uint64_t timeout_ns, void **result) {
  if (result) *result = NULL;
  if (!f) return ENG_EINVAL;
  if (finished(f, result)) return f->status;
  if (eng__self_in(f->e)) return ENG_EMISUSE;
  /* A short spin catches completions that are microseconds away without a
   * system call on either side. */
  for (int i = 0; i < 200; i++) {
    eng__cpu_relax();
    if (finished(f, result)) return f->status;
  }
  uint64_t start = timeout_ns != UINT64_MAX ? eng__now_ns() : 0;
  for (;;) {
    uint32_t s = atomic_load_explicit(&f->state, memory_order_acquire);
    if ((s & ENG__F_PHASE) == ENG__F_DONE) break;
    if (!(s & ENG__F_WAITERS) &&
        !atomic_compare_exchange_weak_explicit(&f->state, &s, s | ENG__F_WAITERS,
                                               memory_order_acq_rel, memory_order_relaxed))
      continue;
    uint64_t left = UINT64_MAX;
    if (timeout_ns != UINT64_MAX) {
      uint64_t el = eng__now_ns() - start;
      if (el >= timeout_ns) return ENG_ETIMEDOUT;
      left = timeout_ns - el;
    }
    eng__futex_wait(&f->state, s | ENG__F_WAITERS, left);
  }
  finished(f, result);
  return f->status;
}

int eng_future_wait(eng_future *f, void **result) { return wait_until(f, UINT64_MAX, result); }

int eng_future_wait_for(eng_future *f, uint64_t timeout_ns, void **result) {
  if (timeout_ns == UINT64_MAX) timeout_ns--;
  return wait_until(f, timeout_ns, result);
}

int eng_future_done(const eng_future *f) {
  if (!f) return 0;
  uint32_t s = atomic_load_explicit(&((eng_future *)f)->state, memory_order_acquire);
  return (s & ENG__F_PHASE) == ENG__F_DONE;
}

int eng_future_then(eng_future *f, eng_future_cb cb, void *ud) {
  if (!f || !cb) return ENG_EINVAL;
  uint32_t s = atomic_fetch_or_explicit(&f->state, ENG__F_CLAIM, memory_order_acquire);
  if (s & ENG__F_CLAIM) return ENG_EBUSY;
  f->cb = cb;
  f->ud = ud;
  s = atomic_load_explicit(&f->state, memory_order_acquire);
  for (;;) {
    if ((s & ENG__F_PHASE) == ENG__F_DONE) {
      cb(f, f->status, f->status == 0 ? f->result : NULL, ud);
      return 0;
    }
    /* Release publishes cb/ud to the completer (its acquire CAS). */
    if (atomic_compare_exchange_weak_explicit(&f->state, &s, s | ENG__F_CB, memory_order_acq_rel,
                                              memory_order_acquire))
      return 0;
  }
}

int eng_future_cancel(eng_future *f) {
  if (!f) return ENG_EINVAL;
  if (!eng__future_start(f)) return 0;
  /* We own the task's completion now: the worker that dequeues the record
   * will see the future started and drop it without running it. */
  eng_engine *e = f->e;
  eng__future_complete(f, ENG_ECANCELED, NULL);
  if (f->group) eng__group_done(f->group, 1);
  atomic_fetch_add_explicit(&e->fcancelled, 1, memory_order_relaxed);
  /* Release: pairs with the acquire in eng__outstanding. */
  atomic_fetch_add_explicit(&e->fret, 1, memory_order_release);
  eng__idle_notify(e);
  return 1;
}

void eng_future_release(eng_future *f) {
  if (f) eng__future_unref(f);
}
