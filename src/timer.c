/* timer.c: delayed and periodic tasks with a stop handle (the heaps live in worker.c). */
#include "internal.h"

#include <limits.h>

void eng__timer_unref(eng_timer *t) {
  if (atomic_fetch_sub_explicit(&t->refs, 1, memory_order_acq_rel) == 1) eng__free(t);
}

int eng__timer_start(eng_engine *e, eng_task_fn fn, void *arg, const eng_task_opts *o,
                     eng_timer **out) {
  if (o->group) return ENG_EINVAL; /* a timer is not a finite task a group can wait for */
  eng_timer *t = eng__calloc(ENG__ARENA_ANY, sizeof *t);
  if (!t) return ENG_ENOMEM;
  atomic_init(&t->refs, out ? 2u : 1u);
  t->fn = fn;
  t->arg = arg;
  t->period_ns = o->period_ns;
  t->count = o->period_ns ? o->count : 1;
  int rc = eng__submit(e, ENG__KIND_TIMER, (void (*)(void))fn, arg, o, NULL, t);
  if (rc) {
    eng__free(t);
    return rc;
  }
  if (out) *out = t;
  return 0;
}

int eng_timer_start(eng_engine *e, eng_task_fn fn, void *arg, const eng_task_opts *opts,
                    eng_timer **out) {
  eng_task_opts d;
  if (out) *out = NULL;
  if (!opts) {
    eng_task_opts_init(&d);
    opts = &d;
  }
  if (!e || !fn || !out || (unsigned)opts->priority >= ENG_PRIO_COUNT) return ENG_EINVAL;
  if (opts->flags & ~(unsigned)(ENG_TASK_BLOCK | ENG_TASK_DROP_LATE)) return ENG_EINVAL;
  return eng__timer_start(e, fn, arg, opts, out);
}

int eng_timer_stop(eng_timer *t, uint64_t *runs) {
  if (runs) *runs = 0;
  if (!t) return 0;
  eng__task *cur = eng__tl_current;
  if (cur && cur->kind == ENG__KIND_TIMER && cur->timer == t) return ENG_EMISUSE;
  /* Pairs with the worker's fetch_or of RUNNING: whichever comes second in
   * the word's modification order sees the other. */
  uint32_t s = atomic_fetch_or_explicit(&t->state, ENG__T_STOPPED, memory_order_acq_rel);
  while (s & ENG__T_RUNNING) {
    eng__futex_wait(&t->state, s, 1000000);
    s = atomic_load_explicit(&t->state, memory_order_acquire);
  }
  /* Acquire above pairs with the worker's release of RUNNING after storing runs. */
  if (runs) *runs = atomic_load_explicit(&t->runs, memory_order_acquire);
  eng__timer_unref(t);
  return 0;
}
