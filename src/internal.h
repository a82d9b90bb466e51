/* internal.h: structures and eng__ functions shared by the scheduler's files. */
#ifndef ENG_INTERNAL_H
#define ENG_INTERNAL_H

#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "alloc.h"
#include "clock.h"
#include "deque.h"
#include "hist.h"
#include "inbox.h"
#include "park.h"
#include "task.h"

#define ENG__LINE 64
#define ENG__ALIGNED __attribute__((aligned(ENG__LINE)))

/* Worker signal word (one per worker, the futex it parks on):
 * bits 0..4  a foreign producer queued work at that priority (cleared by the owner)
 * bit 5      WAKE: look around (stealable work, shutdown, a timer)
 * bit 31     PARKED: the owner is asleep or about to be */
#define ENG__SIG_INBOX 0x1fu
#define ENG__SIG_WAKE (1u << 5)
#define ENG__SIG_PARKED (1u << 31)

/* Engine life cycle (eng_engine.state). */
enum { ENG__RUNNING = 0, ENG__DRAIN_FINISH = 1, ENG__DRAIN_CANCEL = 2, ENG__STOP = 3 };

/* Per-worker counters: written only by the owner (relaxed load + store),
 * read by anyone with relaxed loads. */
typedef struct eng__counters {
  _Atomic uint64_t executed, stolen, parked, woken, misses, cancelled, rejected;
  /* Non-periodic tasks submitted from this worker (idle accounting). The
   * "submitted" statistic is nsub + xsub, so the common submit bumps one
   * counter: xsub adds timer records queued here (not in nsub) and takes off
   * tasks that overflowed into another worker's inbox (counted there). */
  _Atomic uint64_t nsub, xsub;
  /* Non-periodic tasks retired (ran, dropped, discarded) here: nret by
   * run_task_slow and the discard paths, nfast by the inline run of a plain
   * task, which is also its only count in the "executed" statistic
   * (executed + nfast). The slow path counts executed before it completes a
   * future or group, so a thread woken by one sees the task counted. */
  _Atomic uint64_t nret, nfast;
} eng__counters;

typedef struct eng__worker eng__worker;
struct eng__worker {
  /* --- owner-only state, hot */
  eng_engine *e ENG__ALIGNED;
  unsigned idx;
  unsigned arena;
  unsigned local_mask;  /* bit p: deque[p] or edf[p] may hold tasks */
  unsigned alt;         /* bit p: take from the deque next (alternates with the inbox) */
  eng__task *next_slot; /* continuation to run next on this worker */
  unsigned next_streak;
  unsigned skip[ENG_PRIO_COUNT]; /* higher-priority dispatches while p waited */
  eng__task *free_list;
  size_t nfree;
  uint32_t sample_ctr;
  uint32_t sample_mask; /* e->sample_mask, on this line */
  uint32_t ndisp;       /* dispatches since the last timer check */
  eng__task *edf[ENG_PRIO_COUNT];
  uint32_t nedf[ENG_PRIO_COUNT];
  eng__task *timers;    /* pairing heap by due time */
  size_t ntimers;
  int mode;             /* last engine state seen */
  int spinning;
  unsigned steal_from;
  uint64_t drain_finished, drain_cancelled; /* read by destroy after join */
  eng__deque dq[ENG_PRIO_COUNT];

  /* --- owner-written, read by stats readers */
  eng__counters c ENG__ALIGNED;
  eng__hist qwait ENG__ALIGNED;
  eng__hist run ENG__ALIGNED;

  /* --- written by other threads */
  _Atomic uint32_t signal ENG__ALIGNED;
  _Atomic(eng__task *) ret_stack ENG__ALIGNED; /* records of ours freed elsewhere */
  _Atomic uint64_t in_submitted ENG__ALIGNED;  /* foreign submits into our inbox */
  eng__ring inbox[ENG_PRIO_COUNT]; /* foreign tasks, no deadline */
  eng__ring dlbox[ENG_PRIO_COUNT]; /* foreign tasks with a deadline (go to edf[]) */

  /* --- placement, set at start */
  pthread_t thread ENG__ALIGNED;
  int pu, core, numa, pinned;
  void *cpuset; /* hwloc_bitmap_t of its PU, NULL when unpinned */
  int started;  /* 1 ok, <0 error; guarded by e->start_lock */
  void *mem;    /* deque buffers and ring cells, one block */
};

struct eng_engine {
  eng_config cfg;
  unsigned *cpus;
  unsigned nworkers;
  int oversubscribed; /* more workers than online CPUs */
  uint32_t cap;       /* per-queue capacity (power of two) */
  uint32_t sample_mask;
  eng__worker **w;

  /* nspinning in the low 32 bits, nparked in the high 32 */
  _Atomic uint64_t idle ENG__ALIGNED;
  _Atomic int state ENG__ALIGNED;
  /* Foreign-thread accounting (read-modify-write; not on the worker fast path). */
  _Atomic uint64_t fsub ENG__ALIGNED, fret, frejected, fcancelled;
  _Atomic uint32_t idle_seq ENG__ALIGNED;
  _Atomic uint32_t idle_waiters;
  _Atomic unsigned wake_rr;
  eng__ring pool ENG__ALIGNED; /* spare records for foreign submitters */

  pthread_mutex_t start_lock;
  pthread_cond_t start_cond;
  unsigned nstarted;
  int go;                     /* 1 run, -1 creation failed: exit */
  int teardown;               /* set after the workers joined: records are freed directly */

  pthread_mutex_t stats_lock; /* guards the reset baseline */
  eng_counters *base_c;       /* per worker, counters at the last reset */
  uint64_t *base_in_sub;      /* per worker */
  uint64_t base_f[2];         /* fcancelled, frejected */
  eng__hist_snap *base_q, *base_r;
};

struct eng_future {
  _Atomic uint32_t state; /* ENG__F_* bits below; futex word for waiters */
  _Atomic uint32_t refs;
  eng_engine *e;          /* compared, never dereferenced after destroy */
  struct eng_group *group;
  int status;
  void *result;
  eng_future_cb cb;
  void *ud;
};
#define ENG__F_PHASE 3u   /* 0 pending, 1 running, 2 done */
#define ENG__F_RUNNING 1u
#define ENG__F_DONE 2u
#define ENG__F_CLAIM 4u   /* a then() callback is being installed */
#define ENG__F_CB 8u      /* the callback is installed */
#define ENG__F_WAITERS 16u

struct eng_group {
  eng_engine *e;
  _Atomic uint64_t pending;
  _Atomic uint64_t cancelled;
  _Atomic uint32_t refs;   /* creator + one per task record that names it */
  _Atomic uint32_t seq;    /* futex: bumped when pending reaches 0 */
  _Atomic uint32_t waiters;
};

struct eng_timer {
  _Atomic uint32_t state;  /* ENG__T_* */
  _Atomic uint32_t refs;   /* handle + the task record */
  _Atomic uint64_t runs;
  eng_task_fn fn;
  void *arg;
  uint64_t period_ns;
  uint64_t count;
  uint64_t next_ns;        /* scheduled time of the pending run (worker-owned) */
};
#define ENG__T_RUNNING 1u
#define ENG__T_STOPPED 2u
#define ENG__T_DONE 4u

/* Owner-only counter increment (single writer: load + store, no RMW). */
#define ENG__INC(var) ENG__OWNER_ADD(var, 1)
/* Same with release: used for the retire counter (pairs with the acquire loads
 * in eng__outstanding, so a retired task's submit count is visible there). */
#define ENG__INC_REL(var)                                                                  \
  atomic_store_explicit(&(var), atomic_load_explicit(&(var), memory_order_relaxed) + 1, \
                        memory_order_release)

/* worker.c */
/* Initial-exec TLS: a direct %fs-relative access instead of a __tls_get_addr
 * call on every submit (the general-dynamic model a shared library gets by
 * default). Our thread-locals take 24 bytes, which fit in the static TLS
 * space glibc reserves for libraries loaded later, so `require "engine"`
 * from a stock lua5.4 still loads engine.so (tests/lua/require.sh). */
#define ENG__TLS _Thread_local __attribute__((tls_model("initial-exec")))
extern ENG__TLS eng__worker *eng__tl_self;
extern ENG__TLS eng__task *eng__tl_current;
static inline eng__worker *eng__self_in(const eng_engine *e) {
  eng__worker *w = eng__tl_self;
  return w && w->e == e ? w : NULL;
}
void *eng__worker_main(void *arg);
/* engine.c: allocates and initialises w's queues (on the worker thread). */
int eng__worker_buffers(eng__worker *w);
/* eng__task_alloc_local (local.h) when w's free list is empty. */
eng__task *eng__task_alloc_local_slow(eng__worker *w);
eng__task *eng__task_alloc_foreign(eng_engine *e);
void eng__task_free(eng__worker *w, eng__task *t);
int eng__submit_task(eng_engine *e, eng__task *t, unsigned flags);
/* eng__submit_local (local.h) when w's own queues are full: the general path
 * for the record t (freed on failure). */
int eng__submit_local_full(eng__worker *w, eng__task *t);
void eng__wake_one(eng_engine *e);
void eng__wake_worker(eng__worker *w);
void eng__idle_notify(eng_engine *e);
/* A queue-wait start stamp for one submit in sample_mask + 1, else 0. */
uint64_t eng__sample_stamp(eng_engine *e);
/* Completes a task that will not run (status ENG_ECANCELED, ENG_ESHUTDOWN or
 * ENG_EDEADLINE), settles its future, group, timer and accounting, frees it. */
void eng__task_discard(eng__worker *w, eng__task *t, int status);

/* future.c */
eng_future *eng__future_new(eng_engine *e);
/* Moves a pending future to running; 0 when it was cancelled first. */
int eng__future_start(eng_future *f);
void eng__future_complete(eng_future *f, int status, void *result);
void eng__future_unref(eng_future *f);

/* group.c */
void eng__group_add(struct eng_group *g);
void eng__group_done(struct eng_group *g, int cancelled);
void eng__group_unref(struct eng_group *g);

/* timer.c */
void eng__timer_unref(struct eng_timer *t);
/* eng_timer_start with an optional handle (out NULL: the task owns the timer). */
int eng__timer_start(eng_engine *e, eng_task_fn fn, void *arg, const eng_task_opts *o,
                     eng_timer **out);

/* topology.c */
int eng__topology_plan(eng_engine *e);
void eng__topology_bind(eng__worker *w);
void eng__topology_release(eng_engine *e);
unsigned eng__online_cpus(void);

/* engine.c */
uint64_t eng__outstanding(eng_engine *e);
/* Builds and queues one record. fn is an eng_task_fn or eng_call_fn per kind. */
int eng__submit(eng_engine *e, int kind, void (*fn)(void), void *arg, const eng_task_opts *o,
                eng_future *fut, struct eng_timer *tm);

#endif
