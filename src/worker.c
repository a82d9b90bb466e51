/* worker.c: task records, queue routing, the worker loop (dispatch order, next-task slot, stealing, timers, idling). */
#include "internal.h"
#include "local.h"

#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <string.h>

ENG__TLS eng__worker *eng__tl_self;
ENG__TLS eng__task *eng__tl_current;
static ENG__TLS unsigned tl_rr;     /* foreign submitter's round-robin start */
static ENG__TLS uint32_t tl_sample; /* foreign submitter's sampling counter */

/* Records a worker keeps on its free list beyond its own (adopted from the
 * shared pool) before handing them back. */
#define ADOPT_CAP 4096u
/* Longest park without a notification: a safety net only (10 wake-ups/s). */
#define PARK_MAX_NS 100000000u

/* ------------------------------------------------------------------ records */

eng__task *eng__task_alloc_local_slow(eng__worker *w) {
  eng__task *t;
  /* Take every record other threads gave back. Acquire pairs with the release
   * CAS in eng__task_free, so their last writes to the records are visible. */
  t = atomic_exchange_explicit(&w->ret_stack, NULL, memory_order_acquire);
  if (t) {
    size_t n = 0;
    for (eng__task *p = t->next; p; p = p->next) n++;
    w->free_list = t->next;
    w->nfree = n;
    return t;
  }
  t = eng__alloc(w->arena, sizeof *t);
  if (t) t->home = (int32_t)w->idx;
  return t;
}

eng__task *eng__task_alloc_foreign(eng_engine *e) {
  eng__task *t = eng__ring_pop(&e->pool);
  if (t) return t;
  t = eng__alloc(ENG__ARENA_ANY, sizeof *t);
  if (t) t->home = -1;
  return t;
}

void eng__task_free(eng__worker *w, eng__task *t) {
  eng_engine *e = w->e;
  if (eng__task_free_own(w, t)) return;
  if (e->teardown) {
    eng__free(t);
    return;
  }
  if (t->home >= 0) {
    /* Treiber push onto the home worker's return stack; the owner only ever
     * takes the whole stack, so there is no ABA. Release pairs with the
     * owner's acquire exchange in eng__task_alloc_local. */
    eng__worker *h = e->w[t->home];
    eng__task *head = atomic_load_explicit(&h->ret_stack, memory_order_relaxed);
    do t->next = head;
    while (!atomic_compare_exchange_weak_explicit(&h->ret_stack, &head, t, memory_order_release,
                                                  memory_order_relaxed));
    return;
  }
  /* A shared-pool record: adopt it while our list is short, else recycle it
   * for foreign submitters, else give it back to the allocator. */
  if (w->nfree < ADOPT_CAP) {
    t->home = (int32_t)w->idx;
    t->next = w->free_list;
    w->free_list = t;
    w->nfree++;
    return;
  }
  if (eng__ring_push(&e->pool, t) != 0) eng__free(t);
}

/* ------------------------------------------------------------------- waking */

void eng__wake_worker(eng__worker *w) {
  /* acq_rel: orders our earlier publication before the flag, and the flag
   * before reading whether the owner parked (pairs with its park CAS). */
  uint32_t old = atomic_fetch_or_explicit(&w->signal, ENG__SIG_WAKE, memory_order_acq_rel);
  if ((old & ENG__SIG_PARKED) && !(old & (ENG__SIG_WAKE | ENG__SIG_INBOX)))
    eng__futex_wake(&w->signal, 1);
}

void eng__wake_one(eng_engine *e) {
  unsigned n = e->nworkers;
  unsigned start = atomic_fetch_add_explicit(&e->wake_rr, 1, memory_order_relaxed);
  for (unsigned i = 0; i < n; i++) {
    eng__worker *w = e->w[(start + i) % n];
    uint32_t s = atomic_load_explicit(&w->signal, memory_order_relaxed);
    if ((s & ENG__SIG_PARKED) && !(s & (ENG__SIG_WAKE | ENG__SIG_INBOX))) {
      eng__wake_worker(w);
      return;
    }
  }
}

void eng__idle_notify(eng_engine *e) {
  if (atomic_load_explicit(&e->idle_waiters, memory_order_seq_cst) == 0) return;
  atomic_fetch_add_explicit(&e->idle_seq, 1, memory_order_release);
  eng__futex_wake(&e->idle_seq, INT_MAX);
}

/* ------------------------------------------------------------------ routing */

static inline void timers_insert(eng__worker *w, eng__task *t) {
  w->timers = eng__heap_insert(w->timers, t, t->due_ns);
  w->ntimers++;
}

static inline void edf_insert(eng__worker *w, eng__task *t) {
  unsigned p = t->prio;
  /* Deadline tasks by deadline; a released delayed task without a deadline
   * sorts after them (it is due, so it runs before the FIFO queues). */
  w->edf[p] = eng__heap_insert(w->edf[p], t, t->deadline_ns ? t->deadline_ns : UINT64_MAX);
  w->nedf[p]++;
  w->local_mask |= 1u << p;
}

/* Owner: queue t on w. Returns 0 or -1 (full). */
static int enqueue_local(eng__worker *w, eng__task *t) {
  eng_engine *e = w->e;
  unsigned p = t->prio;
  if (t->due_ns) {
    if (w->ntimers >= (size_t)e->cap * ENG_PRIO_COUNT) return -1;
    timers_insert(w, t);
    return 0;
  }
  if (t->deadline_ns) {
    if (w->nedf[p] >= e->cap) return -1;
    edf_insert(w, t);
    return 0;
  }
  return eng__enqueue_ready(w, t);
}

/* Any thread: queue t in some worker's inbox, starting round-robin. */
static int enqueue_foreign(eng_engine *e, eng__task *t) {
  unsigned n = e->nworkers, start = tl_rr++;
  unsigned p = t->prio, bit = 1u << p;
  for (unsigned i = 0; i < n; i++) {
    eng__worker *w = e->w[(start + i) % n];
    eng__ring *r = t->deadline_ns ? &w->dlbox[p] : &w->inbox[p];
    if (eng__ring_push(r, t) != 0) continue;
    atomic_fetch_add_explicit(&w->in_submitted, 1, memory_order_relaxed);
    /* acq_rel: the ring push is ordered before the bit (the owner's clearing
     * fetch_and reads it and re-checks the ring), and reading PARKED is
     * ordered after it (pairs with the owner's park CAS). */
    uint32_t old = atomic_fetch_or_explicit(&w->signal, bit, memory_order_acq_rel);
    if (old & ENG__SIG_PARKED) {
      if (!(old & (ENG__SIG_INBOX | ENG__SIG_WAKE))) eng__futex_wake(&w->signal, 1);
    } else {
      eng__maybe_wake_spare(e);
    }
    return 0;
  }
  return -1;
}

static void run_task_slow(eng__worker *w, eng__task *t);
static eng__task *pick_slow(eng__worker *w);

int eng__submit_task(eng_engine *e, eng__task *t, unsigned flags) {
  eng__worker *w = eng__self_in(e);
  int counted = t->kind != ENG__KIND_TIMER;
  unsigned backoff = 0;
  /* Count before the task becomes visible, so a retire is never seen before
   * its submit (eng__outstanding). */
  if (counted) {
    if (w)
      ENG__INC(w->c.nsub);
    else
      atomic_fetch_add_explicit(&e->fsub, 1, memory_order_relaxed);
  }
  for (;;) {
    if (w) {
      if (enqueue_local(w, t) == 0) {
        if (!counted) ENG__INC(w->c.xsub); /* a timer record: not in nsub */
        return 0;
      }
      /* Own queue full: an inbox (counted there as a foreign submit). */
      if (enqueue_foreign(e, t) == 0) {
        if (counted) ENG__OWNER_ADD(w->c.xsub, (uint64_t)-1);
        return 0;
      }
    } else if (enqueue_foreign(e, t) == 0) {
      return 0;
    }
    int st = atomic_load_explicit(&e->state, memory_order_acquire);
    if (!(flags & ENG_TASK_BLOCK) || st == ENG__DRAIN_CANCEL || st == ENG__STOP ||
        (st == ENG__DRAIN_FINISH && !w))
      break;
    if (w) {
      /* A worker cannot wait for itself: make room by running one of its own tasks. */
      eng__task *x = pick_slow(w);
      if (x) {
        run_task_slow(w, x);
        continue;
      }
    }
    if (++backoff < 64) {
      sched_yield();
    } else {
      struct timespec ts = {0, 20000};
      nanosleep(&ts, NULL);
    }
  }
  if (counted) {
    if (w)
      ENG__OWNER_ADD(w->c.nsub, (uint64_t)-1);
    else
      atomic_fetch_sub_explicit(&e->fsub, 1, memory_order_relaxed);
  }
  if (w)
    ENG__INC(w->c.rejected);
  else
    atomic_fetch_add_explicit(&e->frejected, 1, memory_order_relaxed);
  return ENG_EAGAIN;
}

int eng__submit_local_full(eng__worker *w, eng__task *t) {
  int rc = eng__submit_task(w->e, t, 0);
  if (rc) eng__task_free(w, t);
  return rc;
}

/* Stamps a submit for the queue-wait histogram: one task in sample_mask + 1. */
uint64_t eng__sample_stamp(eng_engine *e) {
  eng__worker *w = eng__self_in(e);
  if (w) return eng__sample_local(w);
  return (tl_sample++ & e->sample_mask) == 0 ? eng__now_ns() : 0;
}

/* ------------------------------------------------------------------ running */

static void retire(eng__worker *w, eng__task *t) {
  if (t->kind != ENG__KIND_TIMER) ENG__INC_REL(w->c.nret);
}

static void release_record(eng__worker *w, eng__task *t) {
  if (t->fut) eng__future_unref(t->fut);
  if (t->group) eng__group_unref(t->group);
  if (t->timer) eng__timer_unref(t->timer);
  t->fut = NULL;
  t->group = NULL;
  t->timer = NULL;
  eng__task_free(w, t);
}

void eng__task_discard(eng__worker *w, eng__task *t, int status) {
  if (t->kind == ENG__KIND_TIMER) {
    /* Timers stop at destroy (both modes); they are not tasks in the counts. */
    uint32_t s = atomic_fetch_or_explicit(&t->timer->state, ENG__T_DONE, memory_order_acq_rel);
    if (s & ENG__T_STOPPED) eng__futex_wake(&t->timer->state, INT_MAX);
    release_record(w, t);
    return;
  }
  if (t->kind == ENG__KIND_CALL && !eng__future_start(t->fut)) {
    /* Cancelled through its future: the canceller did the accounting. */
    release_record(w, t);
    return;
  }
  if (t->fut) eng__future_complete(t->fut, status, NULL);
  if (t->group) eng__group_done(t->group, 1);
  ENG__INC(w->c.cancelled);
  if (w->mode != ENG__RUNNING) w->drain_cancelled++;
  retire(w, t);
  release_record(w, t);
}

/* Returns whether the timer's function ran (not when it was stopped first). */
static bool run_timer(eng__worker *w, eng__task *t, uint64_t now) {
  struct eng_timer *tm = t->timer;
  /* Pairs with the stopper's fetch_or: exactly one of us sees the other. */
  uint32_t s = atomic_fetch_or_explicit(&tm->state, ENG__T_RUNNING, memory_order_acq_rel);
  if (s & ENG__T_STOPPED) {
    atomic_fetch_and_explicit(&tm->state, ~ENG__T_RUNNING, memory_order_release);
    eng__task_discard(w, t, ENG_ECANCELED);
    return false;
  }
  eng__task *prev = eng__tl_current;
  eng__tl_current = t;
  tm->fn(tm->arg);
  eng__tl_current = prev;
  uint64_t runs = atomic_load_explicit(&tm->runs, memory_order_relaxed) + 1;
  /* Release: the stopper reads runs after seeing RUNNING clear. */
  atomic_store_explicit(&tm->runs, runs, memory_order_release);
  s = atomic_fetch_and_explicit(&tm->state, ~ENG__T_RUNNING, memory_order_acq_rel);
  if (s & ENG__T_STOPPED) eng__futex_wake(&tm->state, INT_MAX);
  if (!(s & ENG__T_STOPPED) && tm->period_ns && (tm->count == 0 || runs < tm->count) &&
      w->mode == ENG__RUNNING) {
    /* Fixed rate: the next run is one period after the scheduled time of
     * this one, not after it finished, so runs do not drift. */
    tm->next_ns += tm->period_ns;
    t->due_ns = tm->next_ns > now ? tm->next_ns : now;
    if (t->due_ns == 0) t->due_ns = 1;
    timers_insert(w, t);
    return true;
  }
  eng__task_discard(w, t, 0);
  return true;
}

static void run_task_slow(eng__worker *w, eng__task *t) {
  if (w->mode == ENG__DRAIN_CANCEL || w->mode == ENG__STOP ||
      (t->kind == ENG__KIND_TIMER && w->mode != ENG__RUNNING)) {
    eng__task_discard(w, t, ENG_ESHUTDOWN);
    return;
  }
  uint64_t start = 0;
  if (t->stamp_ns || t->deadline_ns || t->kind == ENG__KIND_TIMER) start = eng__now_ns();
  if (t->deadline_ns && start > t->deadline_ns) {
    ENG__INC(w->c.misses);
    if (t->flags & ENG_TASK_DROP_LATE) {
      eng__task_discard(w, t, ENG_EDEADLINE);
      return;
    }
  }
  if (t->stamp_ns) eng__hist_record(&w->qwait, start > t->stamp_ns ? start - t->stamp_ns : 0);
  if (t->kind == ENG__KIND_TIMER) {
    uint64_t stamped = t->stamp_ns; /* run_timer may free or requeue t */
    bool ran = run_timer(w, t, start);
    if (stamped) eng__hist_record(&w->run, eng__now_ns() - start);
    if (ran) ENG__INC(w->c.executed);
    return;
  }
  void *result = NULL;
  eng__task *prev = eng__tl_current;
  eng__tl_current = t;
  if (t->kind == ENG__KIND_CALL) {
    if (!eng__future_start(t->fut)) {
      eng__tl_current = prev;
      release_record(w, t);
      return;
    }
    result = t->u.call(t->arg);
  } else {
    t->u.fn(t->arg);
  }
  eng__tl_current = prev;
  if (t->stamp_ns) eng__hist_record(&w->run, eng__now_ns() - start);
  ENG__INC(w->c.executed);
  if (w->mode == ENG__DRAIN_FINISH) w->drain_finished++;
  if (t->fut) eng__future_complete(t->fut, 0, result);
  if (t->group) eng__group_done(t->group, 0);
  retire(w, t);
  release_record(w, t);
}

/* The common task (plain, unsampled, no deadline, future or group, engine
 * running) inline in the worker loop; everything else through run_task_slow.
 * Both do the same bookkeeping for such a task: run it, retire it, and put
 * its record back on this worker's free list. */
static inline __attribute__((always_inline)) void run_task(eng__worker *w, eng__task *t) {
  if (__builtin_expect(t->kind != ENG__KIND_TASK || t->stamp_ns || t->deadline_ns || t->fut ||
                           t->group || w->mode != ENG__RUNNING,
                       0)) {
    run_task_slow(w, t);
    return;
  }
  eng__task *prev = eng__tl_current;
  eng__tl_current = t;
  t->u.fn(t->arg);
  eng__tl_current = prev;
  ENG__INC_REL(w->c.nfast);
  if (__builtin_expect(!eng__task_free_own(w, t), 0)) eng__task_free(w, t);
}

/* ----------------------------------------------------------------- dispatch */

/* A task taken from an inbox or stolen: a delayed one that is not yet due
 * goes to our timer heap. Returns t when it can run now. */
static eng__task *admit(eng__worker *w, eng__task *t) {
  if (t->due_ns) {
    uint64_t now = eng__now_ns();
    if (t->due_ns > now && w->mode != ENG__DRAIN_CANCEL) {
      timers_insert(w, t);
      return NULL;
    }
    t->stamp_ns = t->due_ns;
    t->due_ns = 0;
  }
  return t;
}

/* Moves due timers to the ready structures (all of them when cancelling). */
static int release_timers(eng__worker *w, uint64_t now) {
  int n = 0;
  while (w->timers && (w->timers->hkey <= now || w->mode == ENG__DRAIN_CANCEL)) {
    eng__task *t = eng__heap_pop(&w->timers);
    w->ntimers--;
    t->stamp_ns = t->due_ns;
    t->due_ns = 0;
    edf_insert(w, t);
    n++;
  }
  return n;
}

static eng__task *inbox_take(eng__worker *w, unsigned p) {
  eng__task *t;
  while ((t = eng__ring_pop(&w->inbox[p])) != NULL)
    if ((t = admit(w, t)) != NULL) return t;
  return NULL;
}

/* p's rings looked empty: clear its inbox bit, then re-check the rings, so a
 * producer that set it concurrently is never lost (its ring push precedes its
 * fetch_or, which our acq_rel fetch_and reads from or precedes). */
static void clear_inbox_bit(eng__worker *w, unsigned p) {
  unsigned bit = 1u << p;
  atomic_fetch_and_explicit(&w->signal, ~bit, memory_order_acq_rel);
  if (eng__ring_maybe_nonempty(&w->inbox[p]) || eng__ring_maybe_nonempty(&w->dlbox[p]))
    atomic_fetch_or_explicit(&w->signal, bit, memory_order_relaxed);
}

/* The newest own task of priority p. Private tasks cost no atomic operation;
 * a thief that found nothing to steal here gets half of them published first
 * (and a parked worker is woken to take them if nobody is spinning). */
static inline __attribute__((always_inline)) eng__task *own_pop(eng__worker *w, unsigned p) {
  eng__deque *d = &w->dq[p];
  if (__builtin_expect(eng__deque_wanted(d), 0)) {
    eng__deque_publish(d);
    eng__maybe_wake_spare(w->e);
  }
  return eng__deque_pop(d);
}

/* Takes one task of priority p from w's own structures: EDF heap (after
 * draining the deadline inbox into it), then the foreign inbox and the local
 * deque in turn. oldest: take the deque's oldest task instead of its newest.
 * foreign: p's inbox bit was set. A clear bit means both rings of p are empty
 * (a producer sets it after its push, and clear_prio re-checks the rings after
 * clearing it), so they are not read: each read is a cache miss on a line
 * that producers write. */
static eng__task *take_prio(eng__worker *w, unsigned p, int oldest, int foreign) {
  eng__task *t;
  int dl_empty = 0;
  if (foreign) {
    while (w->nedf[p] < w->e->cap && (t = eng__ring_pop(&w->dlbox[p])) != NULL)
      if ((t = admit(w, t)) != NULL) edf_insert(w, t);
    dl_empty = w->nedf[p] < w->e->cap;
  }
  if (w->edf[p]) {
    w->nedf[p]--;
    return eng__heap_pop(&w->edf[p]);
  }
  unsigned bit = 1u << p;
  t = NULL;
  if ((w->alt & bit) && !oldest) {
    t = own_pop(w, p);
    if (!t && foreign) t = inbox_take(w, p);
  } else {
    if (foreign) {
      t = inbox_take(w, p);
      /* Both rings came up empty while own tasks remain: drop the bit now
       * rather than when the whole level runs dry, so the rings stop being
       * read on every dispatch. Not when the rings are all there is: a
       * producer streaming tasks would then flip the bit back and forth with
       * us on every task (foreign submit 117 -> 175 ns). */
      if (!t && dl_empty && eng__deque_nonempty(&w->dq[p]))
        clear_inbox_bit(w, p);
    }
    if (!t && oldest) t = eng__deque_pop_oldest(&w->dq[p]);
    if (!t) t = own_pop(w, p);
  }
  w->alt ^= bit;
  return t;
}

/* Priority p looked non-empty but gave nothing: clear its hints. */
static void clear_prio(eng__worker *w, unsigned p) {
  unsigned bit = 1u << p;
  if (!w->edf[p] && !eng__deque_nonempty(&w->dq[p])) w->local_mask &= ~bit;
  if (atomic_load_explicit(&w->signal, memory_order_relaxed) & bit) clear_inbox_bit(w, p);
}

/* The dispatch rule. Let mask be the priorities with visible work. The
 * highest (lowest number) p runs, except that every lower level r that waits
 * ages by one per dispatch from a higher level (skip[r]); once skip[r] reaches
 * starvation_limit, the highest such aged level is served instead. So a level
 * with waiting work is served after at most starvation_limit + 3 dispatches
 * from higher levels on that worker (3: the other levels that may have aged
 * at the same time, each served once first). */
static eng__task *pick_slow(eng__worker *w) {
  eng_engine *e = w->e;
  const unsigned limit = e->cfg.starvation_limit;
  for (;;) {
    unsigned sig = atomic_load_explicit(&w->signal, memory_order_relaxed) & ENG__SIG_INBOX;
    eng__task *nx = w->next_slot;
    unsigned mask = w->local_mask | sig | (nx ? 1u << nx->prio : 0u);
    if (!mask) return NULL;
    unsigned p = (unsigned)__builtin_ctz(mask), q = p;
    for (unsigned r = p + 1; r < ENG_PRIO_COUNT; r++)
      if ((mask >> r & 1u) && w->skip[r] >= limit) {
        q = r;
        break;
      }
    eng__task *t = NULL;
    int oldest = 0;
    if (nx && nx->prio == q && w->next_streak < e->cfg.next_slot_limit) {
      t = nx;
      w->next_slot = NULL;
      w->next_streak++;
    } else {
      if (nx) {
        w->next_slot = NULL;
        if (eng__deque_push(&w->dq[nx->prio], nx) == 0) {
          w->local_mask |= 1u << nx->prio;
          /* The slot ran its limit back to back: let the oldest task of
           * that level go next, so the chain cannot starve its own queue. */
          oldest = nx->prio == q;
        } else {
          t = nx; /* deque full: run it rather than hold it */
        }
      }
      w->next_streak = 0;
      if (!t) t = take_prio(w, q, oldest, (sig >> q) & 1u);
      if (!t) {
        clear_prio(w, q);
        continue;
      }
    }
    w->skip[q] = 0;
    for (unsigned r = q + 1; r < ENG_PRIO_COUNT; r++)
      if (mask >> r & 1u) w->skip[r]++;
    return t;
  }
}

/* pick, inline for the common case of one priority level with work, all of
 * it this worker's own and none of it in the deadline heap: then no other
 * level ages, and the rule above reduces to the next-task slot (within its
 * limit) or the newest own task. Anything else goes through pick_slow. */
static inline __attribute__((always_inline)) eng__task *pick(eng__worker *w) {
  unsigned sig = atomic_load_explicit(&w->signal, memory_order_relaxed) & ENG__SIG_INBOX;
  eng__task *nx = w->next_slot;
  unsigned mask = w->local_mask | (nx ? 1u << nx->prio : 0u);
  if (__builtin_expect(!sig && mask && !(mask & (mask - 1)), 1)) {
    unsigned q = (unsigned)__builtin_ctz(mask);
    if (nx) {
      if (w->next_streak < w->e->cfg.next_slot_limit) {
        w->next_slot = NULL;
        w->next_streak++;
        w->skip[q] = 0;
        return nx;
      }
    } else if (!w->edf[q]) {
      eng__task *t = own_pop(w, q);
      if (t) {
        w->next_streak = 0;
        w->alt ^= 1u << q;
        w->skip[q] = 0;
        return t;
      }
    }
  }
  return pick_slow(w);
}

/* Highest priority first over every other worker's inbox, deadline inbox and
 * deque, starting after the last victim. */
static eng__task *steal(eng__worker *w) {
  eng_engine *e = w->e;
  unsigned n = e->nworkers;
  if (n < 2) return NULL;
  for (unsigned p = 0; p < ENG_PRIO_COUNT; p++) {
    for (unsigned i = 0; i + 1 < n; i++) {
      /* Victims are the n - 1 others, rotating from the last successful one. */
      unsigned k = (w->steal_from + i) % (n - 1);
      eng__worker *v = e->w[(w->idx + 1 + k) % n];
      eng__task *t = eng__ring_pop(&v->inbox[p]);
      if (!t) t = eng__ring_pop(&v->dlbox[p]);
      if (t) {
        w->steal_from = k;
        ENG__INC(w->c.stolen);
        return admit(w, t);
      }
      /* The whole shared part of the victim's deque in one CAS, into our
       * own deque (deque tasks are never delayed: no admit). */
      int64_t got = eng__deque_steal_into(&v->dq[p], &w->dq[p]);
      if (got) {
        w->steal_from = k;
        ENG__OWNER_ADD(w->c.stolen, (uint64_t)got);
        w->local_mask |= 1u << p;
        return eng__deque_pop(&w->dq[p]);
      }
    }
  }
  return NULL;
}

/* ------------------------------------------------------------------ idling */

/* Returns the idle word with us counted. */
static uint64_t spin_begin(eng__worker *w) {
  w->spinning = 1;
  return atomic_fetch_add_explicit(&w->e->idle, 1, memory_order_relaxed) + 1;
}

static void spin_end(eng__worker *w) {
  w->spinning = 0;
  uint64_t old = atomic_fetch_sub_explicit(&w->e->idle, 1, memory_order_relaxed);
  /* The last spinner found work: if more is visible and others sleep, wake
   * one so work keeps being picked up in parallel. */
  if (eng__nspinning(old) == 1 && eng__nparked(old) != 0 &&
      (w->local_mask | (atomic_load_explicit(&w->signal, memory_order_relaxed) & ENG__SIG_INBOX)))
    eng__wake_one(w->e);
}

static int any_stealable(eng__worker *w) {
  eng_engine *e = w->e;
  for (unsigned i = 0; i < e->nworkers; i++) {
    eng__worker *v = e->w[i];
    if (v == w) continue;
    for (unsigned p = 0; p < ENG_PRIO_COUNT; p++)
      if (eng__deque_stealable(&v->dq[p]) || eng__ring_maybe_nonempty(&v->inbox[p]) ||
          eng__ring_maybe_nonempty(&v->dlbox[p]))
        return 1;
  }
  return 0;
}

/* Eventcount on w->signal: "prepare" is the CAS that sets PARKED only when no
 * notification bit is set, "cancel" is not sleeping when that fails or work
 * showed up, "commit" is FUTEX_WAIT on the exact value we installed, which
 * returns at once if any notifier changed the word in between. */
static void park(eng__worker *w) {
  eng_engine *e = w->e;
  uint32_t s = atomic_load_explicit(&w->signal, memory_order_acquire);
  if (s & (ENG__SIG_INBOX | ENG__SIG_WAKE)) {
    if (s & ENG__SIG_WAKE) atomic_fetch_and_explicit(&w->signal, ~ENG__SIG_WAKE, memory_order_acq_rel);
    return;
  }
  /* spinning -> parked in one step: nspinning - 1, nparked + 1. */
  atomic_fetch_add_explicit(&e->idle, (1ull << 32) - 1, memory_order_seq_cst);
  w->spinning = 0;
  int slept = 0;
  /* Re-check stealable work after announcing ourselves: a worker that pushed
   * before reading nparked may have missed us. */
  if (!any_stealable(w) &&
      atomic_compare_exchange_strong_explicit(&w->signal, &s, s | ENG__SIG_PARKED,
                                              memory_order_acq_rel, memory_order_acquire)) {
    uint64_t timeout = PARK_MAX_NS;
    if (w->timers) {
      uint64_t now = eng__now_ns(), due = w->timers->hkey;
      timeout = due > now ? due - now : 0;
      if (timeout > PARK_MAX_NS) timeout = PARK_MAX_NS;
    }
    ENG__INC(w->c.parked);
    if (timeout) eng__futex_wait(&w->signal, s | ENG__SIG_PARKED, timeout);
    uint32_t old = atomic_fetch_and_explicit(&w->signal, ~(ENG__SIG_PARKED | ENG__SIG_WAKE),
                                             memory_order_acq_rel);
    if (old & (ENG__SIG_WAKE | ENG__SIG_INBOX)) ENG__INC(w->c.woken);
    slept = 1;
  }
  (void)slept;
  /* parked -> spinning */
  atomic_fetch_add_explicit(&e->idle, 1 - (1ull << 32), memory_order_relaxed);
  w->spinning = 1;
}

void *eng__worker_main(void *arg) {
  eng__worker *w = arg;
  eng_engine *e = w->e;
  eng__tl_self = w;
  w->sample_mask = e->sample_mask;
  eng__topology_bind(w);
  /* Queues are allocated and first touched here, after binding, so their
   * pages come from this worker's NUMA node. */
  int rc = eng__worker_buffers(w);
  pthread_mutex_lock(&e->start_lock);
  w->started = rc ? rc : 1;
  e->nstarted++;
  pthread_cond_broadcast(&e->start_cond);
  /* Other workers' queues must exist before anyone steals: wait for go. */
  while (e->go == 0) pthread_cond_wait(&e->start_cond, &e->start_lock);
  int go = e->go;
  pthread_mutex_unlock(&e->start_lock);
  if (go < 0 || rc) {
    eng__tl_self = NULL;
    return NULL;
  }

  const uint64_t spin_ns = e->cfg.spin_ns;
  uint64_t spin_start = 0;
  for (;;) {
    int st = atomic_load_explicit(&e->state, memory_order_acquire);
    w->mode = st;
    if (st == ENG__STOP) break;
    if (w->timers && ((++w->ndisp & 15u) == 0 || w->spinning)) release_timers(w, eng__now_ns());
    eng__task *t = pick(w);
    if (!t) t = steal(w);
    if (t) {
      if (w->spinning) spin_end(w);
      run_task(w, t);
      continue;
    }
    if (w->timers && release_timers(w, eng__now_ns())) continue;
    uint64_t now = eng__now_ns();
    if (!w->spinning) {
      uint64_t idle = spin_begin(w);
      spin_start = now;
      /* Only the last worker to go idle can leave the engine quiet; waking
       * eng_wait_idle's thread sooner just takes a CPU from a busy worker. */
      if (eng__nspinning(idle) + eng__nparked(idle) == e->nworkers) eng__idle_notify(e);
    }
    if (now - spin_start < spin_ns) {
      /* Oversubscribed: give the CPU to a worker that has work instead of
       * burning our time slice against it. */
      if (e->oversubscribed)
        sched_yield();
      else
        for (int i = 0; i < 16; i++) eng__cpu_relax();
      continue;
    }
    park(w);
    spin_start = eng__now_ns();
  }
  if (w->spinning) {
    w->spinning = 0;
    atomic_fetch_sub_explicit(&e->idle, 1, memory_order_relaxed);
  }
  eng__tl_self = NULL;
  return NULL;
}
