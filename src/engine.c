/* engine.c: configuration, creation, submission entry points, idle waiting, destruction and drain accounting. */
#include "internal.h"
#include "local.h"

#include <limits.h>
#include <string.h>

const char *eng_version(void) { return ENG_VERSION_STRING; }

const char *eng_priority_name(eng_priority p) {
  static const char *const names[ENG_PRIO_COUNT] = {"critical", "high", "normal", "low",
                                                     "background"};
  return (unsigned)p < ENG_PRIO_COUNT ? names[p] : NULL;
}

void eng_config_init(eng_config *cfg) {
  if (!cfg) return;
  memset(cfg, 0, sizeof *cfg);
  cfg->workers = 0;
  cfg->spin_ns = 50000;
  cfg->queue_capacity = 4096;
  cfg->pin = 1;
  cfg->cpus = NULL;
  cfg->ncpus = 0;
  cfg->starvation_limit = 64;
  cfg->next_slot_limit = 4;
  cfg->stats_sample = 32;
}

void eng_task_opts_init(eng_task_opts *o) {
  if (!o) return;
  memset(o, 0, sizeof *o);
  o->priority = ENG_PRIO_NORMAL;
}

static uint32_t pow2_ceil(uint32_t v) {
  uint32_t p = 1;
  while (p < v) p <<= 1;
  return p;
}

/* ------------------------------------------------------------- accounting */

/* Non-periodic tasks submitted and not yet retired. Retire counters are read
 * first, with acquire (pairs with the release increments made after a task's
 * completion), then submit counters: every retire we counted has its submit
 * counted too, so the difference never underflows and 0 means quiescent. */
uint64_t eng__outstanding(eng_engine *e) {
  uint64_t r = atomic_load_explicit(&e->fret, memory_order_acquire);
  for (unsigned i = 0; i < e->nworkers; i++)
    r += atomic_load_explicit(&e->w[i]->c.nret, memory_order_acquire) +
         atomic_load_explicit(&e->w[i]->c.nfast, memory_order_acquire);
  uint64_t s = atomic_load_explicit(&e->fsub, memory_order_relaxed);
  for (unsigned i = 0; i < e->nworkers; i++)
    s += atomic_load_explicit(&e->w[i]->c.nsub, memory_order_relaxed);
  return s >= r ? s - r : 0;
}

static void wait_quiet(eng_engine *e) {
  /* seq_cst pairs with the seq_cst load in eng__idle_notify (store-load
   * order on both sides); the 1 ms timeout covers a retire that happens
   * without an idle transition (a cancel from another thread). */
  atomic_fetch_add_explicit(&e->idle_waiters, 1, memory_order_seq_cst);
  for (;;) {
    uint32_t seq = atomic_load_explicit(&e->idle_seq, memory_order_acquire);
    if (eng__outstanding(e) == 0) break;
    eng__futex_wait(&e->idle_seq, seq, 1000000);
  }
  atomic_fetch_sub_explicit(&e->idle_waiters, 1, memory_order_relaxed);
}

int eng_wait_idle(eng_engine *e) {
  if (!e) return ENG_EINVAL;
  if (eng__self_in(e)) return ENG_EMISUSE;
  wait_quiet(e);
  return 0;
}

unsigned eng_engine_workers(const eng_engine *e) { return e ? e->nworkers : 0; }

int eng_worker_self(const eng_engine *e) {
  eng__worker *w = e ? eng__self_in(e) : NULL;
  return w ? (int)w->idx : -1;
}

/* ------------------------------------------------------------------ submit */

static void free_unqueued(eng_engine *e, eng__worker *w, eng__task *t) {
  if (w)
    eng__task_free(w, t);
  else if (eng__ring_push(&e->pool, t) != 0) /* foreign records are shared-pool ones */
    eng__free(t);
}

int eng__submit(eng_engine *e, int kind, void (*fn)(void), void *arg, const eng_task_opts *o,
                eng_future *fut, struct eng_timer *tm) {
  eng__worker *w = eng__self_in(e);
  int st = atomic_load_explicit(&e->state, memory_order_acquire);
  if (st != ENG__RUNNING && !(st == ENG__DRAIN_FINISH && w)) {
    if (w)
      ENG__INC(w->c.rejected);
    else
      atomic_fetch_add_explicit(&e->frejected, 1, memory_order_relaxed);
    return ENG_ESHUTDOWN;
  }
  eng__task *t = w ? eng__task_alloc_local(w) : eng__task_alloc_foreign(e);
  if (!t) return ENG_ENOMEM;
  t->next = t->sib = NULL;
  if (kind == ENG__KIND_CALL)
    t->u.call = (eng_call_fn)fn;
  else
    t->u.fn = (eng_task_fn)fn;
  t->arg = arg;
  t->fut = fut;
  t->group = o->group;
  t->timer = tm;
  t->kind = (uint8_t)kind;
  t->prio = (uint8_t)o->priority;
  t->flags = (uint8_t)o->flags;
  t->deadline_ns = o->deadline_ns;
  t->hkey = 0;
  if (o->delay_ns) {
    uint64_t now = eng__now_ns();
    t->due_ns = now + o->delay_ns;
    t->stamp_ns = 0;
    if (tm) tm->next_ns = t->due_ns;
  } else {
    t->due_ns = 0;
    t->stamp_ns = eng__sample_stamp(e);
    if (tm) tm->next_ns = t->stamp_ns ? t->stamp_ns : eng__now_ns();
  }
  if (t->group) eng__group_add(t->group);
  int rc = eng__submit_task(e, t, o->flags);
  if (rc) {
    if (t->group) {
      eng__group_done(t->group, 0);
      eng__group_unref(t->group);
    }
    free_unqueued(e, w, t);
  }
  return rc;
}

static int check_opts(eng_engine *e, const eng_task_opts *o) {
  if ((unsigned)o->priority >= ENG_PRIO_COUNT) return ENG_EINVAL;
  if (o->group && o->group->e != e) return ENG_EINVAL;
  if (o->flags & ~(unsigned)(ENG_TASK_BLOCK | ENG_TASK_DROP_LATE)) return ENG_EINVAL;
  return 0;
}

/* Defaults for opts == NULL, without building a struct per call. */
static const eng_task_opts default_opts = {.priority = ENG_PRIO_NORMAL};

int eng_task_submit(eng_engine *e, eng_task_fn fn, void *arg, const eng_task_opts *opts) {
  eng__worker *w = eng__tl_self;
  if (opts == NULL && w != NULL && w->e == e && fn != NULL) return eng__submit_local(w, fn, arg);
  if (!opts) opts = &default_opts;
  if (!e || !fn) return ENG_EINVAL;
  int rc = check_opts(e, opts);
  if (rc) return rc;
  if (opts->period_ns) return eng__timer_start(e, fn, arg, opts, NULL);
  return eng__submit(e, ENG__KIND_TASK, (void (*)(void))fn, arg, opts, NULL, NULL);
}

int eng_async(eng_engine *e, eng_call_fn fn, void *arg, const eng_task_opts *opts,
              eng_future **out) {
  if (out) *out = NULL;
  if (!opts) opts = &default_opts;
  if (!e || !fn || !out || opts->period_ns) return ENG_EINVAL;
  int rc = check_opts(e, opts);
  if (rc) return rc;
  eng_future *f = eng__future_new(e);
  if (!f) return ENG_ENOMEM;
  f->group = opts->group;
  rc = eng__submit(e, ENG__KIND_CALL, (void (*)(void))fn, arg, opts, f, NULL);
  if (rc) {
    eng__future_unref(f); /* the task's reference */
    eng__future_unref(f); /* the caller's */
    return rc;
  }
  *out = f;
  return 0;
}

/* ------------------------------------------------------------ create/destroy */

int eng__worker_buffers(eng__worker *w) {
  eng_engine *e = w->e;
  size_t cap = e->cap;
  size_t dq = (size_t)ENG_PRIO_COUNT * cap * sizeof(_Atomic(eng__task *));
  size_t rings = (size_t)2 * ENG_PRIO_COUNT * cap * sizeof(eng__cell);
  unsigned char *mem = eng__alloc_aligned(w->arena, dq + rings, ENG__LINE);
  if (!mem) return ENG_ENOMEM;
  w->mem = mem;
  for (unsigned p = 0; p < ENG_PRIO_COUNT; p++) {
    eng__deque *d = &w->dq[p];
    d->buf = (_Atomic(eng__task *) *)(void *)(mem + (size_t)p * cap * sizeof(*d->buf));
    for (size_t i = 0; i < cap; i++) atomic_init(&d->buf[i], NULL);
    d->mask = (int64_t)cap - 1;
    d->top_cache = 0;
    d->solo = e->nworkers < 2;
    atomic_init(&d->top, 0);
    atomic_init(&d->split, 0);
    atomic_init(&d->want, 0);
  }
  eng__cell *cells = (eng__cell *)(void *)(mem + dq);
  for (unsigned p = 0; p < ENG_PRIO_COUNT; p++) {
    eng__ring_init(&w->inbox[p], cells + (size_t)(2 * p) * cap, cap);
    eng__ring_init(&w->dlbox[p], cells + (size_t)(2 * p + 1) * cap, cap);
  }
  return 0;
}

static void drain_worker(eng_engine *e, eng__worker *w, eng_drain_report *rep) {
  (void)e;
  if (!w->mem) return;
  w->mode = ENG__STOP;
  uint64_t before = w->drain_cancelled;
  eng__task *t;
  if ((t = w->next_slot)) {
    w->next_slot = NULL;
    eng__task_discard(w, t, ENG_ESHUTDOWN);
  }
  for (unsigned p = 0; p < ENG_PRIO_COUNT; p++) {
    while ((t = eng__deque_pop(&w->dq[p]))) eng__task_discard(w, t, ENG_ESHUTDOWN);
    while ((t = eng__ring_pop(&w->inbox[p]))) eng__task_discard(w, t, ENG_ESHUTDOWN);
    while ((t = eng__ring_pop(&w->dlbox[p]))) eng__task_discard(w, t, ENG_ESHUTDOWN);
    while (w->edf[p]) eng__task_discard(w, eng__heap_pop(&w->edf[p]), ENG_ESHUTDOWN);
  }
  while (w->timers) eng__task_discard(w, eng__heap_pop(&w->timers), ENG_ESHUTDOWN);
  if (rep) rep->cancelled += w->drain_cancelled - before;
}

static void free_worker(eng__worker *w) {
  eng__task *t, *n;
  for (t = w->free_list; t; t = n) {
    n = t->next;
    eng__free(t);
  }
  for (t = atomic_load_explicit(&w->ret_stack, memory_order_acquire); t; t = n) {
    n = t->next;
    eng__free(t);
  }
  eng__free(w->mem);
}

/* Frees everything; workers must have exited (or never started). */
static void teardown(eng_engine *e, eng_drain_report *rep) {
  e->teardown = 1;
  for (unsigned i = 0; i < e->nworkers; i++)
    if (e->w && e->w[i]) drain_worker(e, e->w[i], rep);
  eng__task *t;
  if (e->pool.cells) {
    while ((t = eng__ring_pop(&e->pool))) eng__free(t);
    eng__free(e->pool.cells);
  }
  eng__topology_release(e);
  for (unsigned i = 0; e->w && i < e->nworkers; i++) {
    eng__worker *w = e->w[i];
    if (!w) continue;
    unsigned arena = w->arena;
    free_worker(w);
    eng__free(w);
    eng__arena_destroy(arena);
  }
  eng__free(e->w);
  eng__free(e->base_c);
  eng__free(e->base_in_sub);
  eng__free(e->base_q);
  eng__free(e->base_r);
  eng__free(e->cpus);
  pthread_mutex_destroy(&e->start_lock);
  pthread_cond_destroy(&e->start_cond);
  pthread_mutex_destroy(&e->stats_lock);
  eng__free(e);
}

static void wake_all(eng_engine *e) {
  for (unsigned i = 0; i < e->nworkers; i++) eng__wake_worker(e->w[i]);
}

int eng_engine_create(eng_engine **out, const eng_config *cfg) {
  eng_config c;
  if (!out) return ENG_EINVAL;
  *out = NULL;
  if (cfg)
    c = *cfg;
  else
    eng_config_init(&c);
  if (c.queue_capacity == 0 || c.queue_capacity > (1u << 22)) return ENG_EINVAL;
  if (c.ncpus && !c.cpus) return ENG_EINVAL;
  if (c.workers > 4096) return ENG_EINVAL;
  if (c.starvation_limit == 0) c.starvation_limit = 1;
  if (c.stats_sample == 0) c.stats_sample = 1;
  if (c.stats_sample > (1u << 30)) c.stats_sample = 1u << 30;
  eng__clock_init();

  eng_engine *e = eng__calloc(ENG__ARENA_ANY, sizeof *e);
  if (!e) return ENG_ENOMEM;
  pthread_mutex_init(&e->start_lock, NULL);
  pthread_cond_init(&e->start_cond, NULL);
  pthread_mutex_init(&e->stats_lock, NULL);
  e->cfg = c;
  e->cap = pow2_ceil(c.queue_capacity < 2 ? 2 : c.queue_capacity);
  e->sample_mask = pow2_ceil(c.stats_sample) - 1;
  int rc = 0;
  if (c.ncpus) {
    e->cpus = eng__alloc(ENG__ARENA_ANY, c.ncpus * sizeof *e->cpus);
    if (!e->cpus) {
      rc = ENG_ENOMEM;
      goto fail;
    }
    memcpy(e->cpus, c.cpus, c.ncpus * sizeof *e->cpus);
    e->cfg.cpus = e->cpus;
  }
  /* Decides nworkers and each worker's PU; allocates e->w and the workers. */
  rc = eng__topology_plan(e);
  if (rc) goto fail;
  e->oversubscribed = e->nworkers > eng__online_cpus();
  {
    size_t pcap = pow2_ceil(e->cap * 2u);
    eng__cell *cells = eng__alloc(ENG__ARENA_ANY, pcap * sizeof *cells);
    if (!cells) {
      rc = ENG_ENOMEM;
      goto fail;
    }
    eng__ring_init(&e->pool, cells, pcap);
  }
  e->base_c = eng__calloc(ENG__ARENA_ANY, e->nworkers * sizeof *e->base_c);
  e->base_in_sub = eng__calloc(ENG__ARENA_ANY, e->nworkers * sizeof *e->base_in_sub);
  e->base_q = eng__calloc(ENG__ARENA_ANY, sizeof *e->base_q);
  e->base_r = eng__calloc(ENG__ARENA_ANY, sizeof *e->base_r);
  if (!e->base_c || !e->base_in_sub || !e->base_q || !e->base_r) {
    rc = ENG_ENOMEM;
    goto fail;
  }

  unsigned launched = 0;
  for (; launched < e->nworkers; launched++) {
    eng__worker *w = e->w[launched];
    if (pthread_create(&w->thread, NULL, eng__worker_main, w) != 0) {
      rc = ENG_ENOMEM;
      break;
    }
  }
  pthread_mutex_lock(&e->start_lock);
  while (e->nstarted < launched) pthread_cond_wait(&e->start_cond, &e->start_lock);
  for (unsigned i = 0; i < launched && !rc; i++)
    if (e->w[i]->started < 0) rc = e->w[i]->started;
  e->go = rc ? -1 : 1;
  pthread_cond_broadcast(&e->start_cond);
  pthread_mutex_unlock(&e->start_lock);
  if (rc) {
    atomic_store_explicit(&e->state, ENG__STOP, memory_order_release);
    for (unsigned i = 0; i < launched; i++) pthread_join(e->w[i]->thread, NULL);
    goto fail;
  }
  *out = e;
  return 0;

fail:
  teardown(e, NULL);
  return rc;
}

int eng_engine_destroy(eng_engine *e, eng_drain_mode mode, eng_drain_report *report) {
  if (report) memset(report, 0, sizeof *report);
  if (!e) return 0;
  if (eng__self_in(e)) return ENG_EMISUSE;
  if (mode != ENG_DRAIN_FINISH && mode != ENG_DRAIN_CANCEL) return ENG_EINVAL;
  /* Release pairs with the workers' acquire load of state at the top of
   * their loop; the WAKE bit gets parked workers to look. */
  atomic_store_explicit(&e->state, mode == ENG_DRAIN_FINISH ? ENG__DRAIN_FINISH : ENG__DRAIN_CANCEL,
                        memory_order_release);
  wake_all(e);
  wait_quiet(e);
  atomic_store_explicit(&e->state, ENG__STOP, memory_order_release);
  wake_all(e);
  for (unsigned i = 0; i < e->nworkers; i++) pthread_join(e->w[i]->thread, NULL);
  eng_drain_report rep = {0, 0};
  for (unsigned i = 0; i < e->nworkers; i++) {
    rep.finished += e->w[i]->drain_finished;
    rep.cancelled += e->w[i]->drain_cancelled;
  }
  teardown(e, &rep);
  if (report) *report = rep;
  return 0;
}
