/* engine.h: public API of libengine, a pinned-worker task scheduler.
 *
 * Conventions: functions return 0 or a negative ENG_E* code (engine/error.h);
 * outputs go through pointer arguments; every destroy/release accepts NULL.
 * Each declaration states its thread safety: "any thread", "owner worker only"
 * or "not thread-safe". Times are nanoseconds on the engine clock (eng_now_ns).
 */
#ifndef ENGINE_H
#define ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "engine/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ENG_VERSION_MAJOR 0
#define ENG_VERSION_MINOR 1
#define ENG_VERSION_PATCH 0
#define ENG_VERSION_STRING "0.1.0"

/* The library's version string ("0.1.0"), which may differ from the header's
 * when linked dynamically. Thread: any thread. */
ENG_EXTERN const char *eng_version(void);

/* ---------------------------------------------------------------- clock */

/* Monotonic time in nanoseconds: the TSC scaled by a factor calibrated against
 * CLOCK_MONOTONIC_RAW at first use when the TSC is invariant, else
 * clock_gettime(CLOCK_MONOTONIC). Thread: any thread. */
ENG_EXTERN uint64_t eng_now_ns(void);

typedef struct eng_clock_info {
  int tsc;              /* 1 when eng_now_ns reads the TSC, 0 for clock_gettime */
  double tsc_ghz;       /* calibrated TSC frequency (0 when tsc == 0) */
  uint64_t resolution_ns; /* smallest observed step between two readings */
} eng_clock_info;

/* Describes the clock behind eng_now_ns. Thread: any thread. */
ENG_EXTERN void eng_clock_get_info(eng_clock_info *out);

/* ------------------------------------------------------------ priorities */

typedef enum eng_priority {
  ENG_PRIO_CRITICAL = 0,
  ENG_PRIO_HIGH = 1,
  ENG_PRIO_NORMAL = 2,
  ENG_PRIO_LOW = 3,
  ENG_PRIO_BACKGROUND = 4
} eng_priority;
#define ENG_PRIO_COUNT 5

/* "critical", "high", ...; NULL for an out-of-range value. Thread: any thread. */
ENG_EXTERN const char *eng_priority_name(eng_priority p);

/* --------------------------------------------------------------- engine */

typedef struct eng_engine eng_engine;

typedef struct eng_config {
  unsigned workers;          /* 0: one per physical core (hwloc), else this many */
  uint64_t spin_ns;          /* busy-poll this long with no work before parking */
  uint32_t queue_capacity;   /* per worker and priority; rounded up to a power of two */
  int pin;                   /* 1: bind each worker to one PU with hwloc */
  const unsigned *cpus;      /* optional OS indexes of the PUs to use, in order; */
  unsigned ncpus;            /*   copied by create; workers wrap around the list */
  unsigned starvation_limit; /* a level with waiting work ages by one per dispatch
                                from a higher level; at this age it is served
                                next: it waits at most starvation_limit + 3
                                higher dispatches on its worker */
  unsigned next_slot_limit;  /* continuations run back to back at most this often */
  unsigned stats_sample;     /* time one task in this many for the latency
                                histograms (rounded up to a power of two; 1 =
                                every task). Reading the clock costs ~50 ns on
                                some virtual machines, so the default samples. */
} eng_config;

/* Fills *cfg with defaults: workers 0, spin_ns 50000, queue_capacity 4096, pin 1,
 * no cpu list, starvation_limit 64, next_slot_limit 4, stats_sample 32.
 * Thread: any thread. */
ENG_EXTERN void eng_config_init(eng_config *cfg);

/* Creates an engine and starts its workers, each pinned (when cfg->pin) to one
 * PU and allocating its queues and task records from a jemalloc arena of its
 * own. cfg may be NULL for defaults. *out receives the engine, owned by the
 * caller until eng_engine_destroy.
 * Errors: ENG_EINVAL (out NULL, queue_capacity 0, a cpu not in the machine),
 * ENG_ENOMEM, ENG_ENOSYS (pinning asked for but unsupported). Thread: any thread. */
ENG_EXTERN int eng_engine_create(eng_engine **out, const eng_config *cfg);

typedef enum eng_drain_mode {
  ENG_DRAIN_FINISH = 0, /* run every pending task (timers fire at their time) */
  ENG_DRAIN_CANCEL = 1  /* cancel every task not yet started */
} eng_drain_mode;

typedef struct eng_drain_report {
  uint64_t finished;  /* pending tasks that ran during destroy */
  uint64_t cancelled; /* pending tasks cancelled (their futures complete ESHUTDOWN) */
} eng_drain_report;

/* Stops the engine: finishes or cancels every pending task per mode, joins the
 * workers and frees everything. Timers and periodic tasks stop in both modes
 * (not counted in the report). During ENG_DRAIN_FINISH running tasks may still
 * submit continuations; other threads get ENG_ESHUTDOWN.
 * report may be NULL. e may be NULL (no-op, returns 0). Futures and groups the
 * caller still holds stay valid until released.
 * Errors: ENG_EMISUSE when called from one of e's own workers.
 * Thread: any thread except e's workers; not concurrently with itself. */
ENG_EXTERN int eng_engine_destroy(eng_engine *e, eng_drain_mode mode, eng_drain_report *report);

/* Number of workers. Thread: any thread. */
ENG_EXTERN unsigned eng_engine_workers(const eng_engine *e);

/* Index of the calling thread's worker in e, or -1 for a foreign thread.
 * Thread: any thread. */
ENG_EXTERN int eng_worker_self(const eng_engine *e);

/* Blocks until every task submitted before the call (including delayed tasks,
 * excluding periodic ones and timers) has finished or been cancelled; tasks
 * submitted meanwhile extend the wait (it returns at a quiescent moment).
 * Errors: ENG_EMISUSE from a worker of e. Thread: any thread except e's workers. */
ENG_EXTERN int eng_wait_idle(eng_engine *e);

/* ---------------------------------------------------------------- tasks */

typedef void (*eng_task_fn)(void *arg);

typedef struct eng_group eng_group;

enum {
  ENG_TASK_BLOCK = 1u << 0,     /* wait for room instead of returning ENG_EAGAIN */
  ENG_TASK_DROP_LATE = 1u << 1  /* do not run a task that would start after its
                                   deadline (counted as a miss and as cancelled;
                                   its future completes ENG_EDEADLINE) */
};

typedef struct eng_task_opts {
  eng_priority priority; /* default ENG_PRIO_NORMAL */
  uint64_t delay_ns;     /* run no earlier than submit time + delay_ns */
  uint64_t period_ns;    /* > 0: run every period_ns after the first run */
  uint64_t count;        /* periodic: number of runs (0 = until cancelled) */
  uint64_t deadline_ns;  /* absolute eng_now_ns() deadline, 0 = none; within a
                            priority, deadline tasks run earliest first and
                            before tasks with no deadline */
  unsigned flags;        /* ENG_TASK_* */
  eng_group *group;      /* optional: the task counts towards this group */
} eng_task_opts;

/* Fills *o with defaults (normal priority, no delay, no deadline, no group).
 * Thread: any thread. */
ENG_EXTERN void eng_task_opts_init(eng_task_opts *o);

/* Submits fn(arg). opts NULL means defaults. From one of e's workers the task
 * goes to that worker's own queue with no lock and no read-modify-write atomic;
 * from any other thread it goes through a lock-free multi-producer inbox. arg is
 * borrowed: it must stay valid until fn has run (or the task is cancelled).
 * Errors: ENG_EINVAL (e or fn NULL, bad priority), ENG_EAGAIN (queue full and
 * ENG_TASK_BLOCK not set; nothing was queued), ENG_ESHUTDOWN (destroy started).
 * Thread: any thread. */
ENG_EXTERN int eng_task_submit(eng_engine *e, eng_task_fn fn, void *arg, const eng_task_opts *opts);

/* -------------------------------------------------------------- futures */

typedef struct eng_future eng_future;

/* A task with a result: fn's return value becomes the future's result. */
typedef void *(*eng_call_fn)(void *arg);

/* Submits fn(arg) like eng_task_submit and returns a future for its result in
 * *out. The caller owns one reference to *out and drops it with
 * eng_future_release (before or after completion). Periodic options are
 * rejected (ENG_EINVAL): a future completes once.
 * Errors: as eng_task_submit, plus ENG_ENOMEM. Thread: any thread. */
ENG_EXTERN int eng_async(eng_engine *e, eng_call_fn fn, void *arg, const eng_task_opts *opts,
                         eng_future **out);

/* Waits for completion. On success *result (may be NULL) receives fn's return
 * value. Errors: ENG_ECANCELED (cancelled before it started), ENG_EDEADLINE
 * (dropped for lateness), ENG_ESHUTDOWN (engine destroyed with ENG_DRAIN_CANCEL),
 * ENG_EMISUSE (waiting from a worker of the same engine on a future that has not
 * completed could deadlock: use eng_future_then). Thread: any thread. */
ENG_EXTERN int eng_future_wait(eng_future *f, void **result);

/* As eng_future_wait, giving up after timeout_ns: ENG_ETIMEDOUT (the future
 * stays valid and pending). Thread: any thread. */
ENG_EXTERN int eng_future_wait_for(eng_future *f, uint64_t timeout_ns, void **result);

/* 1 when completed (ran, cancelled or dropped), else 0. Thread: any thread. */
ENG_EXTERN int eng_future_done(const eng_future *f);

/* Callback on completion: status is 0 or the error eng_future_wait would give.
 * Runs on the worker that completed the future, or immediately on the calling
 * thread when f is already complete. One callback per future.
 * Errors: ENG_EINVAL (NULL), ENG_EBUSY (a callback is already set).
 * Thread: any thread. */
typedef void (*eng_future_cb)(eng_future *f, int status, void *result, void *ud);
ENG_EXTERN int eng_future_then(eng_future *f, eng_future_cb cb, void *ud);

/* Cancels the task if it has not started. Returns 1 when the cancel won (the
 * task will never run; the future completes ENG_ECANCELED), 0 when it lost
 * (already running or complete), or ENG_EINVAL. For a periodic task submitted
 * through eng_timer_start see eng_timer_stop. Thread: any thread. */
ENG_EXTERN int eng_future_cancel(eng_future *f);

/* Drops the caller's reference; NULL is a no-op. Thread: any thread. */
ENG_EXTERN void eng_future_release(eng_future *f);

/* --------------------------------------------------------------- timers */

typedef struct eng_timer eng_timer;

/* Starts a delayed and/or periodic task (opts->delay_ns, opts->period_ns,
 * opts->count). *out receives a handle owned by the caller, released with
 * eng_timer_stop. Errors: as eng_task_submit. Thread: any thread. */
ENG_EXTERN int eng_timer_start(eng_engine *e, eng_task_fn fn, void *arg, const eng_task_opts *opts,
                               eng_timer **out);

/* Stops future runs (a run in progress completes), waits until fn can no
 * longer be running, and frees the handle. Returns how many times it ran in
 * *runs (may be NULL). NULL timer is a no-op.
 * Errors: ENG_EMISUSE from inside the timer's own callback. Thread: any thread. */
ENG_EXTERN int eng_timer_stop(eng_timer *t, uint64_t *runs);

/* --------------------------------------------------------------- groups */

/* A group counts tasks submitted with opts.group = g and lets a thread wait for
 * all of them. *out is owned by the caller. Errors: ENG_EINVAL, ENG_ENOMEM.
 * Thread: any thread. */
ENG_EXTERN int eng_group_create(eng_engine *e, eng_group **out);

/* Waits until every task submitted to the group so far has finished or been
 * cancelled. Returns 0, or ENG_ECANCELED when at least one was cancelled.
 * Errors: ENG_EMISUSE from a worker. Thread: any thread. */
ENG_EXTERN int eng_group_wait(eng_group *g);

/* As eng_group_wait with a timeout: ENG_ETIMEDOUT. Thread: any thread. */
ENG_EXTERN int eng_group_wait_for(eng_group *g, uint64_t timeout_ns);

/* Tasks of the group not yet finished. Thread: any thread. */
ENG_EXTERN uint64_t eng_group_pending(const eng_group *g);

/* Waits for the group's tasks, then frees it. NULL is a no-op. Thread: any
 * thread except e's workers. */
ENG_EXTERN void eng_group_destroy(eng_group *g);

/* ----------------------------------------------------------- statistics */

typedef struct eng_counters {
  uint64_t submitted, executed, stolen, parked, woken;
  uint64_t deadline_misses, cancelled, rejected;
} eng_counters;

typedef struct eng_latency {
  uint64_t count;
  uint64_t min_ns, p50_ns, p90_ns, p99_ns, p999_ns, max_ns; /* ~2 significant digits */
  double mean_ns;
} eng_latency;

typedef struct eng_stats {
  unsigned workers;
  eng_counters total;     /* summed over workers */
  eng_latency queue_wait; /* submit (or due time) to start */
  eng_latency run_time;   /* start to end of the task function */
} eng_stats;

/* Merges the per-worker counters and histograms without stopping the workers.
 * reset: 1 also zeroes them (counts that land during the read may go to either
 * side). Errors: ENG_EINVAL. Thread: any thread. */
ENG_EXTERN int eng_stats_read(eng_engine *e, eng_stats *out, int reset);

/* One worker's counters. Errors: ENG_EINVAL (index out of range). Thread: any thread. */
ENG_EXTERN int eng_stats_worker(eng_engine *e, unsigned worker, eng_counters *out);

/* ------------------------------------------------------------- topology */

typedef struct eng_placement {
  unsigned worker;
  int pu;        /* OS index of the PU the worker is bound to, -1 when unpinned */
  int core;      /* logical index of its core, -1 when unknown */
  int numa_node; /* OS index of its NUMA node, -1 when unknown */
  int pinned;    /* 1 when the binding succeeded */
  unsigned arena;/* jemalloc arena of this worker (0 with --enable-system-alloc) */
} eng_placement;

/* Fills out[0..min(n, workers)) with where each worker was placed; *count (may
 * be NULL) receives the number of workers. Errors: ENG_EINVAL. Thread: any thread. */
ENG_EXTERN int eng_topology(eng_engine *e, eng_placement *out, unsigned n, unsigned *count);

/* Number of PUs and physical cores of the machine as hwloc sees them.
 * Errors: ENG_ENOSYS. Thread: any thread. */
ENG_EXTERN int eng_machine_info(unsigned *pus, unsigned *cores, unsigned *numa_nodes);

#ifdef __cplusplus
}
#endif
#endif
