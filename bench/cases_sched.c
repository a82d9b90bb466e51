/* cases_sched.c: the scheduler workloads, each run by the engine, the mutex+condvar pool and the peers that can. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
/* The OpenMP child programs (see "OpenMP child processes") hold only the
 * OpenMP runtime: no other peer is linked into them. */
#ifdef BENCH_OMP_CHILD
#undef HAVE_PEER_TBB
#undef HAVE_PEER_UV
#undef HAVE_PEER_EVENT
#endif

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "engine.h"
#include "bench.h"
#include "peers.h"
#include "peer_fifo.h"
#include "pool.h"
#include "monotonic.h"

enum kind {
  K_SUBMIT_LOCAL, K_SUBMIT_FOREIGN, K_SUBMIT_RUN, K_BATCH, K_EMPTY_TPUT, K_XCORE, K_WAKE,
  K_OPENLOOP, K_SCALE, K_FIB, K_CALLBACKS, K_TIMERS, K_LOOPITER, K_PRIO, K_OVERSUB, K_IDLE
};

typedef struct sp {
  enum kind kind;
  unsigned workers; /* 0: one per core */
  uint64_t work_ns; /* busy work per task */
  unsigned batch;   /* batch size, fib n, callbacks per round, timers per round */
  unsigned cutoff;  /* fib: serial below this n */
} sp;

#define QCAP (1u << 16)
#define CHUNK_LOCAL 1024u     /* submit-only loops time chunks this long */
#define CHUNK_RUN 16384u      /* submit+run rounds: a quarter of the queue */
#define OPENLOOP_PERIOD_NS 20000u
#define PRIO_LOW_NS 200000u
#define PRIO_GAP_NS 300000u
#define PRIO_STARVED_NS 50000000u /* a probe not started after 50 ms is starved */
#define OVERSUB_CHAINS 4u
#define IDLE_WINDOW_NS 200000000u

/* ---------------------------------------------------------------- helpers */

static void sleep_ns(uint64_t ns) {
  struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};
  while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {}
}

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __asm__ volatile("pause");
#endif
}

static unsigned machine_pus(void) {
  unsigned pus = 0, cores = 0, numa = 0;
  if (eng_machine_info(&pus, &cores, &numa) == 0 && pus) return pus;
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (unsigned)n : 1;
}

static unsigned machine_cores(void) {
  unsigned pus = 0, cores = 0, numa = 0;
  if (eng_machine_info(&pus, &cores, &numa) == 0 && cores) return cores;
  return machine_pus();
}

/* Busy work without reading the clock: a loop calibrated once per process. */
static double loops_per_ns = 1.0;
static pthread_once_t calib_once = PTHREAD_ONCE_INIT;

static void burn(uint64_t loops) {
  for (uint64_t i = 0; i < loops; i++) __asm__ volatile("" ::: "memory");
}

static void calibrate(void) {
  uint64_t n = 1u << 20, best = UINT64_MAX;
  for (int k = 0; k < 5; k++) {
    uint64_t t0 = mono_ns();
    burn(n);
    uint64_t t = mono_ns() - t0;
    if (t < best) best = t;
  }
  if (best > 0) loops_per_ns = (double)n / (double)best;
}

static uint64_t loops_for(uint64_t ns) {
  pthread_once(&calib_once, calibrate);
  return (uint64_t)((double)ns * loops_per_ns + 0.5);
}

/* The calling thread moves to one PU while it drives a latency row, so the
 * worker on the other PU is a genuine cross-core hop. */
typedef struct pinning {
  cpu_set_t old;
  int saved;
} pinning;

static void pin_self(pinning *p, unsigned cpu) {
  p->saved = sched_getaffinity(0, sizeof p->old, &p->old) == 0;
  cpu_set_t s;
  CPU_ZERO(&s);
  CPU_SET(cpu, &s);
  sched_setaffinity(0, sizeof s, &s);
}

static void unpin_self(pinning *p) {
  if (p->saved) sched_setaffinity(0, sizeof p->old, &p->old);
}

/* ---------------------------------------------------------- executors */

/* Every runtime that can take a task from another thread runs the latency,
 * priority, oversubscription and idle rows through these calls, so the rows'
 * logic (run_exec) is the same code for all of them. */
enum ex_kind { EX_ENGINE, EX_POOL, EX_TBB, EX_UV, EX_EVENT, EX_OMP };

typedef struct exec {
  enum ex_kind kind;
  eng_engine *e;
  bench_pool *p;
  peer_ex *px;
  /* OpenMP (in its child process): the tasks are created by the driving
   * thread inside a parallel region of workers + 1 threads (run_exec). */
  unsigned omp_workers;
  const unsigned *cpus;
  unsigned ncpus;
  _Atomic uint64_t omp_pending;
} exec;

static unsigned cpu_list[1024];

static int ex_create(exec *x, enum ex_kind kind, unsigned workers, uint64_t spin_ns, const unsigned *cpus,
                     unsigned ncpus, int busy) {
  memset(x, 0, sizeof *x);
  x->kind = kind;
  switch (kind) {
  case EX_POOL:
    x->p = bench_pool_create(workers, cpus, ncpus);
    return x->p ? 0 : -1;
#ifdef HAVE_PEER_TBB
  case EX_TBB: x->px = peer_tbb_ex_create(workers, cpus, ncpus, busy); return x->px ? 0 : -1;
#endif
#ifdef HAVE_PEER_UV
  case EX_UV: x->px = peer_uv_ex_create(workers, cpus, ncpus, busy); return x->px ? 0 : -1;
#endif
#ifdef HAVE_PEER_EVENT
  case EX_EVENT: x->px = peer_event_ex_create(workers, cpus, ncpus, busy); return x->px ? 0 : -1;
#endif
#ifdef _OPENMP
  case EX_OMP:
    x->omp_workers = workers;
    x->cpus = cpus;
    x->ncpus = ncpus;
    return 0;
#endif
  case EX_ENGINE: {
    eng_config cfg;
    eng_config_init(&cfg);
    cfg.workers = workers;
    cfg.spin_ns = spin_ns;
    cfg.queue_capacity = QCAP;
    cfg.cpus = cpus;
    cfg.ncpus = ncpus;
    return eng_engine_create(&x->e, &cfg);
  }
  default: (void)busy; return -1;
  }
}

static void ex_destroy(exec *x) {
  switch (x->kind) {
  case EX_POOL: bench_pool_destroy(x->p); break;
#ifdef HAVE_PEER_TBB
  case EX_TBB: peer_tbb_ex_destroy(x->px); break;
#endif
#ifdef HAVE_PEER_UV
  case EX_UV: peer_uv_ex_destroy(x->px); break;
#endif
#ifdef HAVE_PEER_EVENT
  case EX_EVENT: peer_event_ex_destroy(x->px); break;
#endif
  case EX_ENGINE:
    if (x->e) eng_engine_destroy(x->e, ENG_DRAIN_FINISH, NULL);
    break;
  default: break;
  }
  x->e = NULL;
  x->p = NULL;
  x->px = NULL;
}

#ifdef _OPENMP
static void omp_task(exec *x, eng_task_fn fn, void *arg, int prio) {
  atomic_fetch_add_explicit(&x->omp_pending, 1, memory_order_relaxed);
  /* OpenMP priorities run the other way round (larger first), bounded by
   * OMP_MAX_TASK_PRIORITY, which the priority row's child gets set to 4.
   * Normal and below are all 0, the clause's default: libomp 14 leaves
   * priority tasks spawned from inside tasks unstolen by idle threads. */
  int op = prio < ENG_PRIO_NORMAL ? 2 * (ENG_PRIO_NORMAL - prio) : 0;
#pragma omp task firstprivate(x, fn, arg) priority(op)
  {
    fn(arg);
    atomic_fetch_sub_explicit(&x->omp_pending, 1, memory_order_release);
  }
}
#endif

/* Waits without taking a core from the workers. */
static void poll_until_zero(_Atomic uint64_t *v) {
  for (unsigned i = 0; atomic_load_explicit(v, memory_order_acquire); i++) peer_backoff(i);
}

/* Submits from whatever thread calls it. A full engine queue is retried from
 * a foreign thread and run inline on a worker (it cannot wait for itself);
 * neither happens in these rows, whose queues hold four times the chunk. */
static void ex_submit_prio(exec *x, eng_task_fn fn, void *arg, eng_priority prio) {
  int rc = 0;
  switch (x->kind) {
  case EX_POOL: rc = bench_pool_submit(x->p, fn, arg); break;
#ifdef HAVE_PEER_TBB
  case EX_TBB: rc = peer_tbb_ex_submit(x->px, fn, arg, (int)prio); break;
#endif
#ifdef HAVE_PEER_UV
  case EX_UV: rc = peer_uv_ex_submit(x->px, fn, arg, (int)prio); break;
#endif
#ifdef HAVE_PEER_EVENT
  case EX_EVENT: rc = peer_event_ex_submit(x->px, fn, arg, (int)prio); break;
#endif
#ifdef _OPENMP
  case EX_OMP: omp_task(x, fn, arg, (int)prio); break;
#endif
  case EX_ENGINE: {
    eng_task_opts o, *op = NULL;
    if (prio != ENG_PRIO_NORMAL) {
      eng_task_opts_init(&o);
      o.priority = prio;
      op = &o;
    }
    for (;;) {
      rc = eng_task_submit(x->e, fn, arg, op);
      if (rc == 0) return;
      if (rc != ENG_EAGAIN || eng_worker_self(x->e) >= 0) break;
      cpu_relax();
    }
    break;
  }
  default: rc = -1;
  }
  if (rc != 0) fn(arg);
}

static inline void ex_submit(exec *x, eng_task_fn fn, void *arg) { ex_submit_prio(x, fn, arg, ENG_PRIO_NORMAL); }

static void ex_wait(exec *x) {
  switch (x->kind) {
  case EX_POOL: bench_pool_wait_idle(x->p); break;
#ifdef HAVE_PEER_TBB
  case EX_TBB: peer_tbb_ex_wait(x->px); break;
#endif
#ifdef HAVE_PEER_UV
  case EX_UV: peer_uv_ex_wait(x->px); break;
#endif
#ifdef HAVE_PEER_EVENT
  case EX_EVENT: peer_event_ex_wait(x->px); break;
#endif
  case EX_OMP: poll_until_zero(&x->omp_pending); break;
  case EX_ENGINE: eng_wait_idle(x->e); break;
  default: break;
  }
}

/* ------------------------------------------------------------ the state */

typedef struct slot {
  uint64_t due;   /* intended start (open loop, timers) or submit time */
  uint64_t start; /* when the task started */
  struct st *s;
  unsigned idx;
} slot;

typedef struct fibnode {
  unsigned n;
  uint64_t r[2];
  uint64_t result;
  _Atomic unsigned pending;
  struct fibnode *parent;
  unsigned side;
  struct st *s;
} fibnode;

typedef struct chain {
  struct st *s;
  uint64_t left;
  uint64_t sent; /* when the current link was submitted */
  uint64_t *lat;
  size_t nlat;
} chain;

typedef struct st {
  const sp *p;
  exec x;
  unsigned workers;
  uint64_t loops;
  /* per run */
  uint64_t k, count, t0, t_end, timed, left;
  _Alignas(64) _Atomic uint64_t flag;
  _Alignas(64) _Atomic int stop;
  _Atomic uint64_t fib_next;
  uint64_t fib_expect, fib_errors;
  fibnode *nodes;
  size_t nnodes;
  slot *slots;
  size_t nslots;
  unsigned *fired;
  unsigned nfired;
  unsigned *delay_ms;
  chain chains[OVERSUB_CHAINS];
  uint64_t *lat;
  size_t nlat, latcap;
  double value;
  int pinned_main;
  unsigned main_cpu;
} st;

typedef struct driver {
  st *s;
  uint64_t n;
} driver;

static void noop(void *arg) { (void)arg; }

static void lat_push(st *s, uint64_t v) {
  if (s->nlat < s->latcap) s->lat[s->nlat++] = v;
}

/* fib(n) serially: the leaves of the fork-join rows and the expected value. */
static uint64_t fib_serial(unsigned n) { return n < 2 ? n : fib_serial(n - 1) + fib_serial(n - 2); }

static size_t fib_count_nodes(unsigned n, unsigned cutoff) {
  return n <= cutoff || n < 2 ? 1 : 1 + fib_count_nodes(n - 1, cutoff) + fib_count_nodes(n - 2, cutoff);
}

/* ------------------------------------------------------------ task bodies */

static void t_count_run(void *arg) {
  st *s = arg;
  /* One worker only: a plain counter is safe, and the last task stamps the end. */
  if (++s->count == s->k) s->t_end = mono_ns();
}

static void d_submit_local(void *arg) {
  st *s = arg;
  uint64_t t0 = mono_ns();
  for (uint64_t i = 0; i < s->k; i++) ex_submit(&s->x, noop, s);
  s->timed += mono_ns() - t0;
}

static void d_submit_run(void *arg) {
  st *s = arg;
  s->count = 0;
  s->t0 = mono_ns();
  for (uint64_t i = 0; i < s->k; i++) ex_submit(&s->x, t_count_run, s);
}

static void t_burn(void *arg) { burn(((st *)arg)->loops); }

static void d_spawn(void *arg) {
  driver *d = arg;
  for (uint64_t i = 0; i < d->n; i++) ex_submit(&d->s->x, t_burn, d->s);
}

static void t_pong(void *arg) {
  st *s = arg;
  /* Pairs with the acquire load in the pinging thread's spin. */
  atomic_store_explicit(&s->flag, s->k, memory_order_release);
}

static void t_openloop(void *arg) {
  slot *sl = arg;
  sl->start = mono_ns();
}

static void t_timer(void *arg) {
  slot *sl = arg;
  sl->start = mono_ns();
  st *s = sl->s;
  /* Timers of these rows run on one worker: plain stores are ordered. */
  s->fired[s->nfired++] = sl->idx;
}

static void t_loopiter(void *arg) {
  st *s = arg;
  if (--s->left) ex_submit(&s->x, t_loopiter, s);
}

static void t_prio_low(void *arg) {
  st *s = arg;
  burn(s->loops);
  if (!atomic_load_explicit(&s->stop, memory_order_relaxed)) ex_submit_prio(&s->x, t_prio_low, s, ENG_PRIO_LOW);
}

static void t_probe(void *arg) {
  slot *sl = arg;
  /* Pairs with the prober's acquire load. */
  __atomic_store_n(&sl->start, mono_ns(), __ATOMIC_RELEASE);
}

static void t_chain(void *arg) {
  chain *c = arg;
  uint64_t now = mono_ns();
  if (c->nlat < c->s->latcap / OVERSUB_CHAINS) c->lat[c->nlat++] = now - c->sent;
  burn(c->s->loops);
  if (--c->left) {
    c->sent = mono_ns();
    ex_submit(&c->s->x, t_chain, c);
  }
}

static void fib_done(fibnode *nd);

static void t_fib(void *arg) {
  fibnode *nd = arg;
  st *s = nd->s;
  if (nd->n <= s->p->cutoff || nd->n < 2) {
    nd->result = fib_serial(nd->n);
    fib_done(nd);
    return;
  }
  uint64_t i = atomic_fetch_add_explicit(&s->fib_next, 2, memory_order_relaxed);
  fibnode *a = &s->nodes[i], *b = &s->nodes[i + 1];
  atomic_store_explicit(&nd->pending, 2, memory_order_relaxed);
  *a = (fibnode){.n = nd->n - 1, .parent = nd, .side = 0, .s = s};
  *b = (fibnode){.n = nd->n - 2, .parent = nd, .side = 1, .s = s};
  ex_submit(&s->x, t_fib, a);
  ex_submit(&s->x, t_fib, b);
}

/* Continuation passing: a node completes its parent when it is the last child
 * to finish, so no worker ever blocks waiting for a child. */
static void fib_done(fibnode *nd) {
  while (nd->parent) {
    fibnode *p = nd->parent;
    p->r[nd->side] = nd->result;
    /* acq_rel: the last child sees the sibling's r[] store (released by its decrement). */
    if (atomic_fetch_sub_explicit(&p->pending, 1, memory_order_acq_rel) != 1) return;
    p->result = p->r[0] + p->r[1];
    nd = p;
  }
}

/* ------------------------------------------------- the machine's ceiling */

/* The scaling rows' "bare" column: w pinned threads (one per PU, wrapping
 * when w exceeds them), each burning its share of the row's tasks in one
 * loop, with no queue and no scheduler. Its efficiency is what the machine
 * itself delivers to w busy threads in this run: on a VM whose vCPUs share
 * or lose host time, it falls below 100% for every runtime alike. */
typedef struct bare {
  unsigned w;
  uint64_t loops; /* per task */
} bare;

typedef struct bare_thread {
  pthread_t th;
  uint64_t loops;
} bare_thread;

static void *bare_setup(const void *param) {
  const sp *p = param;
  bare *b = calloc(1, sizeof *b);
  if (!b) return NULL;
  b->w = p->workers ? p->workers : machine_cores();
  b->loops = loops_for(p->work_ns);
  return b;
}

static void *bare_main(void *arg) {
  burn(((bare_thread *)arg)->loops);
  return NULL;
}

static void bare_run(void *state, uint64_t iters) {
  bare *b = state;
  bare_thread t[64];
  unsigned w = b->w < 64 ? b->w : 64, pus = machine_pus();
  for (unsigned i = 0; i < w; i++) {
    pthread_attr_t a;
    cpu_set_t cs;
    CPU_ZERO(&cs);
    CPU_SET(i % pus, &cs);
    pthread_attr_init(&a);
    pthread_attr_setaffinity_np(&a, sizeof cs, &cs);
    t[i].loops = (iters / w + (i < iters % w)) * b->loops;
    if (pthread_create(&t[i].th, &a, bare_main, &t[i]) != 0) {
      burn(t[i].loops); /* no thread: the work still gets done */
      t[i].th = pthread_self();
    }
    pthread_attr_destroy(&a);
  }
  for (unsigned i = 0; i < w; i++)
    if (!pthread_equal(t[i].th, pthread_self())) pthread_join(t[i].th, NULL);
}

static void bare_teardown(void *state) { free(state); }

/* ----------------------------------------------------- engine/pool impls */

static st *st_new(const sp *p) {
  st *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->p = p;
  s->value = 0;
  s->latcap = (size_t)1 << 18;
  return s;
}

static void st_free(st *s) {
  if (!s) return;
  free(s->lat);
  free(s->nodes);
  free(s->slots);
  free(s->fired);
  free(s->delay_ms);
  for (unsigned i = 0; i < OVERSUB_CHAINS; i++) free(s->chains[i].lat);
  free(s);
}

static void *setup_exec(const sp *p, enum ex_kind kind) {
  st *s = st_new(p);
  if (!s) return NULL;
  unsigned pus = machine_pus(), cores = machine_cores();
  unsigned workers = p->workers ? p->workers : cores;
  uint64_t spin = 50000;
  const unsigned *cpus = NULL;
  unsigned ncpus = 0;
  for (unsigned i = 0; i < pus && i < 1024; i++) cpu_list[i] = i;
  switch (p->kind) {
  case K_SUBMIT_LOCAL: case K_SUBMIT_FOREIGN: case K_SUBMIT_RUN: case K_XCORE: case K_WAKE:
  case K_OPENLOOP: case K_CALLBACKS: case K_TIMERS: case K_LOOPITER:
    /* One worker on the last PU; the driving thread pins itself to PU 0. */
    workers = 1;
    cpus = &cpu_list[pus - 1];
    ncpus = 1;
    s->main_cpu = 0;
    s->pinned_main = pus >= 2;
    if (p->kind == K_XCORE) {
      if (pus < 2) goto fail; /* no second PU: a cross-core row cannot exist */
      spin = 10000000000ull;  /* busy-poll for the whole run */
    }
    if (p->kind == K_WAKE) spin = 0;
    break;
  case K_SCALE: case K_OVERSUB:
    cpus = cpu_list;
    ncpus = p->kind == K_OVERSUB && pus > 2 ? 2 : pus;
    break;
  default: break;
  }
  s->workers = workers;
  if (ex_create(&s->x, kind, workers, spin, cpus, ncpus, p->kind == K_XCORE) != 0) goto fail;
  switch (p->kind) {
  case K_SCALE: s->loops = loops_for(p->work_ns); break;
  case K_PRIO: s->loops = loops_for(PRIO_LOW_NS); break;
  case K_OVERSUB: s->loops = loops_for(1000); break;
  case K_FIB:
    s->nnodes = fib_count_nodes(p->batch, p->cutoff) + 2;
    s->nodes = calloc(s->nnodes, sizeof *s->nodes);
    s->fib_expect = fib_serial(p->batch);
    if (!s->nodes) goto fail;
    break;
  case K_TIMERS: {
    s->slots = calloc(p->batch, sizeof *s->slots);
    s->fired = calloc(p->batch, sizeof *s->fired);
    s->delay_ms = calloc(p->batch, sizeof *s->delay_ms);
    if (!s->slots || !s->fired || !s->delay_ms) goto fail;
    uint64_t r = 0x2545f4914f6cdd1du; /* fixed delays: every impl gets the same set */
    for (unsigned i = 0; i < p->batch; i++) {
      r ^= r << 13, r ^= r >> 7, r ^= r << 17;
      s->delay_ms[i] = (unsigned)(r % 10);
    }
    break;
  }
  default: break;
  }
  if (p->kind == K_XCORE || p->kind == K_WAKE || p->kind == K_OPENLOOP || p->kind == K_TIMERS ||
      p->kind == K_PRIO || p->kind == K_OVERSUB) {
    s->lat = malloc(s->latcap * sizeof *s->lat);
    if (!s->lat) goto fail;
  }
  if (p->kind == K_OVERSUB)
    for (unsigned i = 0; i < OVERSUB_CHAINS; i++) {
      s->chains[i].lat = malloc(s->latcap / OVERSUB_CHAINS * sizeof(uint64_t));
      if (!s->chains[i].lat) goto fail;
    }
  return s;
fail:
  ex_destroy(&s->x);
  st_free(s);
  return NULL;
}

static void *setup_engine(const void *param) { return setup_exec(param, EX_ENGINE); }
static void *setup_pool(const void *param) { return setup_exec(param, EX_POOL); }

static void teardown_exec(void *state) {
  st *s = state;
  atomic_store(&s->stop, 1);
  ex_destroy(&s->x);
  st_free(s);
}

static uint64_t timed_exec(void *state) { return ((st *)state)->timed; }
static double value_exec(void *state) { return ((st *)state)->value; }

static size_t lat_exec(void *state, uint64_t *ns, size_t n) {
  st *s = state;
  size_t m = s->nlat < n ? s->nlat : n;
  if (m) memcpy(ns, s->lat, m * sizeof *ns);
  return m;
}

static void run_body(st *s, uint64_t iters) {
  const sp *p = s->p;
  exec *x = &s->x;
  switch (p->kind) {
  case K_SUBMIT_LOCAL:
    for (uint64_t left = iters; left;) {
      s->k = left < CHUNK_LOCAL ? left : CHUNK_LOCAL;
      ex_submit(x, d_submit_local, s);
      ex_wait(x);
      left -= s->k;
    }
    break;
  case K_SUBMIT_FOREIGN:
    for (uint64_t left = iters; left;) {
      s->k = left < CHUNK_LOCAL ? left : CHUNK_LOCAL;
      uint64_t t0 = mono_ns();
      for (uint64_t i = 0; i < s->k; i++) ex_submit(x, noop, s);
      s->timed += mono_ns() - t0;
      ex_wait(x);
      left -= s->k;
    }
    break;
  case K_SUBMIT_RUN:
  case K_CALLBACKS: {
    uint64_t chunk = p->kind == K_CALLBACKS ? p->batch : CHUNK_RUN;
    for (uint64_t left = iters; left;) {
      s->k = left < chunk ? left : chunk;
      s->t_end = 0;
      ex_submit(x, d_submit_run, s);
      ex_wait(x);
      s->timed += s->t_end - s->t0;
      left -= s->k;
    }
    break;
  }
  case K_BATCH: {
    uint64_t t0 = mono_ns();
    for (uint64_t left = iters; left;) {
      uint64_t b = left < p->batch ? left : p->batch;
      for (uint64_t i = 0; i < b; i++) ex_submit(x, noop, s);
      ex_wait(x);
      left -= b;
    }
    s->timed = mono_ns() - t0;
    break;
  }
  case K_EMPTY_TPUT:
  case K_SCALE: {
    uint64_t t0 = mono_ns();
    driver d[64];
    unsigned w = s->workers < 64 ? s->workers : 64;
    uint64_t round = (uint64_t)w * (p->kind == K_SCALE ? 4096u : CHUNK_RUN);
    if (p->kind == K_EMPTY_TPUT) s->loops = 0;
    for (uint64_t left = iters; left;) {
      uint64_t r = left < round ? left : round;
      for (unsigned i = 0; i < w; i++) {
        d[i].s = s;
        d[i].n = r / w + (i < r % w);
        ex_submit(x, d_spawn, &d[i]);
      }
      ex_wait(x);
      left -= r;
    }
    s->timed = mono_ns() - t0;
    break;
  }
  case K_XCORE:
  case K_WAKE:
    for (uint64_t i = 0; i < iters; i++) {
      if (p->kind == K_WAKE) sleep_ns(200000); /* long past the spin budget: parked */
      s->k++;
      uint64_t t0 = eng_now_ns();
      ex_submit(x, t_pong, s);
      while (atomic_load_explicit(&s->flag, memory_order_acquire) != s->k) cpu_relax();
      uint64_t rt = eng_now_ns() - t0;
      s->timed += rt;
      /* Cross-core: half the round trip (the two PUs' clocks are not
       * comparable). Wake: the whole round trip, an upper bound. */
      lat_push(s, p->kind == K_XCORE ? rt / 2 : rt);
    }
    break;
  case K_OPENLOOP: {
    if (s->nslots < iters) {
      free(s->slots);
      s->slots = calloc(iters, sizeof *s->slots);
      s->nslots = s->slots ? iters : 0;
    }
    uint64_t n = iters < s->nslots ? iters : s->nslots;
    uint64_t base = mono_ns() + 10000;
    for (uint64_t i = 0; i < n; i++) {
      /* The schedule is fixed in advance: a slow task delays the measured
       * start of the next ones instead of their arrival (no coordinated omission). */
      uint64_t due = base + i * OPENLOOP_PERIOD_NS;
      while (mono_ns() < due) cpu_relax();
      s->slots[i].due = due;
      ex_submit(x, t_openloop, &s->slots[i]);
    }
    ex_wait(x);
    s->timed = mono_ns() - base;
    for (uint64_t i = 0; i < n; i++) lat_push(s, s->slots[i].start - s->slots[i].due);
    break;
  }
  case K_FIB: {
    uint64_t t0 = mono_ns();
    for (uint64_t i = 0; i < iters; i++) {
      atomic_store_explicit(&s->fib_next, 1, memory_order_relaxed);
      s->nodes[0] = (fibnode){.n = p->batch, .parent = NULL, .s = s};
      ex_submit(x, t_fib, &s->nodes[0]);
      ex_wait(x);
      if (s->nodes[0].result != s->fib_expect) s->fib_errors++;
    }
    s->timed = mono_ns() - t0;
    if (s->fib_errors) fprintf(stderr, "engine-bench: fib(%u) gave a wrong result %llu times\n", p->batch,
                               (unsigned long long)s->fib_errors);
    break;
  }
  case K_TIMERS: {
    uint64_t t0 = mono_ns();
    for (uint64_t it = 0; it < iters; it++) {
      s->nfired = 0;
      for (unsigned i = 0; i < p->batch; i++) {
        slot *sl = &s->slots[i];
        *sl = (slot){.s = s, .idx = i};
        uint64_t delay = (uint64_t)s->delay_ms[i] * 1000000u;
        /* Every column's lateness is measured against the same instant: the
         * moment just before the timer was asked for, plus its delay. */
        sl->due = mono_ns() + delay;
        int rc;
        if (x->kind == EX_POOL) rc = bench_pool_submit_at(x->p, sl->due, t_timer, sl);
        else {
          eng_task_opts o;
          eng_task_opts_init(&o);
          o.delay_ns = delay;
          o.flags = ENG_TASK_BLOCK;
          rc = eng_task_submit(x->e, t_timer, sl, &o);
        }
        if (rc != 0) sl->start = sl->due = 0;
      }
      ex_wait(x);
      uint64_t inv = 0;
      for (unsigned j = 1; j < s->nfired; j++)
        if (s->slots[s->fired[j]].due + PEER_ORDER_SLACK_NS < s->slots[s->fired[j - 1]].due) inv++;
      s->value = 100.0 * (double)inv / (double)p->batch;
      for (unsigned i = 0; i < p->batch; i++)
        lat_push(s, s->slots[i].start > s->slots[i].due ? s->slots[i].start - s->slots[i].due : 0);
    }
    s->timed = mono_ns() - t0;
    break;
  }
  case K_LOOPITER: {
    uint64_t t0 = mono_ns();
    s->left = iters;
    ex_submit(x, t_loopiter, s);
    ex_wait(x);
    s->timed = mono_ns() - t0;
    break;
  }
  case K_PRIO: {
    atomic_store(&s->stop, 0);
    unsigned chains = 2 * s->workers;
    for (unsigned i = 0; i < chains; i++) ex_submit_prio(x, t_prio_low, s, ENG_PRIO_LOW);
    slot probe;
    uint64_t starved = 0;
    for (uint64_t i = 0; i < iters; i++) {
      sleep_ns(PRIO_GAP_NS);
      probe = (slot){.s = s};
      probe.due = mono_ns();
      ex_submit_prio(x, t_probe, &probe, ENG_PRIO_CRITICAL);
      /* Poll gently: a spinning prober would take a core from the workers. */
      while (!__atomic_load_n(&probe.start, __ATOMIC_ACQUIRE)) {
        sleep_ns(20000);
        if (atomic_load_explicit(&s->stop, memory_order_relaxed) || mono_ns() - probe.due < PRIO_STARVED_NS) continue;
        /* Starved: a runtime may never pick the probe while its workers
         * have work of their own (LLVM libomp leaves a task in the
         * submitting thread's deque unstolen). Withdraw the load so the
         * probe runs (its latency is what it is), count it, restart. */
        atomic_store(&s->stop, 1);
        starved++;
      }
      lat_push(s, probe.start - probe.due);
      if (atomic_load(&s->stop)) {
        ex_wait(x);
        atomic_store(&s->stop, 0);
        for (unsigned c = 0; c < chains; c++) ex_submit_prio(x, t_prio_low, s, ENG_PRIO_LOW);
      }
    }
    s->value = iters ? 100.0 * (double)starved / (double)iters : 0;
    atomic_store(&s->stop, 1);
    ex_wait(x);
    s->timed = 0;
    for (size_t i = 0; i < s->nlat; i++) s->timed += s->lat[i];
    break;
  }
  case K_OVERSUB: {
    uint64_t t0 = mono_ns();
    for (unsigned c = 0; c < OVERSUB_CHAINS; c++) {
      chain *ch = &s->chains[c];
      ch->s = s;
      ch->nlat = 0;
      ch->left = iters / OVERSUB_CHAINS + (c < iters % OVERSUB_CHAINS);
      if (!ch->left) continue;
      ch->sent = mono_ns();
      ex_submit(x, t_chain, ch);
    }
    ex_wait(x);
    s->timed = mono_ns() - t0;
    for (unsigned c = 0; c < OVERSUB_CHAINS; c++)
      for (size_t i = 0; i < s->chains[c].nlat; i++) lat_push(s, s->chains[c].lat[i]);
    break;
  }
  case K_IDLE: {
    uint64_t t0 = mono_ns();
    for (uint64_t i = 0; i < iters; i++) {
      ex_submit(x, noop, s);
      ex_wait(x);
      sleep_ns(1000000); /* the engine's 1 ms to go idle */
      struct rusage r0, r1;
      getrusage(RUSAGE_SELF, &r0);
      uint64_t w0 = mono_ns();
      sleep_ns(IDLE_WINDOW_NS);
      getrusage(RUSAGE_SELF, &r1);
      uint64_t w1 = mono_ns();
      double cpu = (double)(r1.ru_utime.tv_sec - r0.ru_utime.tv_sec + r1.ru_stime.tv_sec - r0.ru_stime.tv_sec) * 1e9 +
                   (double)(r1.ru_utime.tv_usec - r0.ru_utime.tv_usec + r1.ru_stime.tv_usec - r0.ru_stime.tv_usec) * 1e3;
      s->value = 100.0 * cpu / (double)(w1 - w0);
    }
    s->timed = mono_ns() - t0;
    break;
  }
  }
}

static void run_exec(void *state, uint64_t iters) {
  st *s = state;
  exec *x = &s->x;
  pinning pin;
  s->timed = 0;
  s->nlat = 0;
  if (s->pinned_main) pin_self(&pin, s->main_cpu);
#ifdef _OPENMP
  if (x->kind == EX_OMP) {
    /* The driving thread is the region's primary thread: it creates the
     * tasks (and never runs them: it reaches no task scheduling point), the
     * other threads run them from the region's closing barrier. */
#pragma omp parallel num_threads(x->omp_workers + 1)
    {
      int t = omp_get_thread_num();
      if (t == 0) run_body(s, iters);
      else if (x->cpus && x->ncpus) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(x->cpus[(unsigned)(t - 1) % x->ncpus], &set);
        pthread_setaffinity_np(pthread_self(), sizeof set, &set);
      }
    }
  } else
#endif
    run_body(s, iters);
  (void)x;
  if (s->pinned_main) unpin_self(&pin);
}

#define IMPL_ENGINE                                                                                  \
  {.name = "engine", .setup = setup_engine, .run = run_exec, .latencies = lat_exec, .teardown = teardown_exec, \
   .timed_ns = timed_exec, .value = value_exec}
#define IMPL_POOL                                                                                  \
  {.name = "pool", .setup = setup_pool, .run = run_exec, .latencies = lat_exec, .teardown = teardown_exec, \
   .timed_ns = timed_exec, .value = value_exec}
#define IMPL_POOL_TIMERS                                                                           \
  {.name = "pool", .setup = setup_pool, .run = run_exec, .latencies = lat_exec, .teardown = teardown_exec, \
   .timed_ns = timed_exec, .value = value_exec,                                                    \
   .note = "timers: a min-heap under the pool mutex, workers in pthread_cond_timedwait (CLOCK_MONOTONIC)"}

/* ------------------------------------------------------------ peer impls */

typedef struct pst {
  const sp *p;
  uint64_t loops, timed;
  uint64_t *lat;
  size_t nlat;
  double value;
  unsigned delay_ms[8192];
  uint64_t late[8192];
} pst;

static void *setup_peer(const void *param) {
  const sp *p = param;
  pst *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->p = p;
  if (p->kind == K_SCALE) s->loops = loops_for(p->work_ns);
  if (p->kind == K_TIMERS) {
    uint64_t r = 0x2545f4914f6cdd1du; /* the same delays as the engine's rows */
    for (unsigned i = 0; i < p->batch && i < 8192; i++) {
      r ^= r << 13, r ^= r >> 7, r ^= r << 17;
      s->delay_ms[i] = (unsigned)(r % 10);
    }
    s->lat = malloc(((size_t)1 << 18) * sizeof *s->lat);
  }
  return s;
}

static void teardown_peer(void *state) {
  pst *s = state;
  free(s->lat);
  free(s);
}

static uint64_t timed_peer(void *state) { return ((pst *)state)->timed; }
static double __attribute__((unused)) value_peer(void *state) { return ((pst *)state)->value; }
static size_t __attribute__((unused)) lat_peer(void *state, uint64_t *ns, size_t n) {
  pst *s = state;
  size_t m = s->nlat < n ? s->nlat : n;
  if (m) memcpy(ns, s->lat, m * sizeof *ns);
  return m;
}

static void p_burn(void *arg) { burn(((pst *)arg)->loops); }

static unsigned peer_threads(const sp *p) { return p->workers ? p->workers : machine_cores(); }

/* The task runtimes' own forms of the batch, throughput, scaling and
 * fork-join rows (task_group / taskwait), through one table per runtime. */
typedef struct task_rt {
  void (*batches)(unsigned, uint64_t, unsigned, peer_fn, void *);
  void (*spawn)(unsigned, uint64_t, peer_fn, void *);
  uint64_t (*fib)(unsigned, unsigned, unsigned);
} task_rt;

static void __attribute__((unused)) run_task_peer(pst *s, uint64_t iters, const task_rt *rt) {
  const sp *p = s->p;
  unsigned w = peer_threads(p);
  uint64_t t0 = mono_ns();
  switch (p->kind) {
  case K_BATCH: rt->batches(w, iters, p->batch, p_burn, s); break;
  case K_EMPTY_TPUT:
  case K_SCALE: rt->spawn(w, iters, p_burn, s); break;
  case K_FIB:
    for (uint64_t i = 0; i < iters; i++) {
      uint64_t r = rt->fib(w, p->batch, p->cutoff);
      bench_keep(&r);
    }
    break;
  default: break;
  }
  s->timed = mono_ns() - t0;
}

/* Rows a task runtime runs in its own form; the others go through exec. */
static int __attribute__((unused)) task_form(const sp *p) {
  return p->kind == K_BATCH || p->kind == K_EMPTY_TPUT || p->kind == K_SCALE || p->kind == K_FIB;
}

#define IMPL_NA(nm, why) {.name = nm, .missing = why}
#define IMPL_EX(nm, su, nt) \
  {.name = nm, .setup = su, .run = run_exec, .latencies = lat_exec, .teardown = teardown_exec, \
   .timed_ns = timed_exec, .value = value_exec, .note = nt}

#ifdef HAVE_PEER_TBB
static const task_rt tbb_rt = {peer_tbb_batches, peer_tbb_spawn, peer_tbb_fib};
static void run_tbb(void *state, uint64_t iters) { run_task_peer(state, iters, &tbb_rt); }
static void *setup_tbb_ex(const void *param) { return setup_exec(param, EX_TBB); }
#define IMPL_TBB {.name = "tbb", .setup = setup_peer, .run = run_tbb, .teardown = teardown_peer, .timed_ns = timed_peer}
#define IMPL_TBB_EX(nt) IMPL_EX("tbb", setup_tbb_ex, nt)
#else
#define IMPL_TBB IMPL_NA("tbb", "not built (install libtbb-dev)")
#define IMPL_TBB_EX(nt) IMPL_NA("tbb", "not built (install libtbb-dev)")
#endif

#if defined(HAVE_PEER_UV) || defined(HAVE_PEER_EVENT)
static void run_loop_peer(pst *s, uint64_t iters, int ev) {
  const sp *p = s->p;
  uint64_t t0 = mono_ns();
  s->nlat = 0;
  switch (p->kind) {
  case K_CALLBACKS: {
    uint64_t sum = 0;
    for (uint64_t left = iters; left;) {
      uint64_t k = left < p->batch ? left : p->batch;
#if defined(HAVE_PEER_UV) && defined(HAVE_PEER_EVENT)
      sum += ev ? peer_event_callbacks(k) : peer_uv_callbacks(k);
#elif defined(HAVE_PEER_UV)
      sum += peer_uv_callbacks(k);
#else
      sum += peer_event_callbacks(k);
#endif
      left -= k;
    }
    s->timed = sum;
    return;
  }
  case K_TIMERS:
    for (uint64_t it = 0; it < iters; it++) {
#if defined(HAVE_PEER_UV) && defined(HAVE_PEER_EVENT)
      uint64_t inv = ev ? peer_event_timers(p->batch, s->delay_ms, s->late)
                        : peer_uv_timers(p->batch, s->delay_ms, s->late);
#elif defined(HAVE_PEER_UV)
      uint64_t inv = peer_uv_timers(p->batch, s->delay_ms, s->late);
#else
      uint64_t inv = peer_event_timers(p->batch, s->delay_ms, s->late);
#endif
      s->value = 100.0 * (double)inv / (double)p->batch;
      for (unsigned i = 0; i < p->batch && s->lat && s->nlat < ((size_t)1 << 18); i++) s->lat[s->nlat++] = s->late[i];
    }
    break;
  case K_LOOPITER:
#if defined(HAVE_PEER_UV) && defined(HAVE_PEER_EVENT)
    if (ev) peer_event_spin(iters);
    else peer_uv_spin(iters);
#elif defined(HAVE_PEER_UV)
    peer_uv_spin(iters);
#else
    peer_event_spin(iters);
#endif
    break;
  default: break;
  }
  (void)ev;
  s->timed = mono_ns() - t0;
}
#endif

#ifdef HAVE_PEER_UV
static void run_uv(void *state, uint64_t iters) { run_loop_peer(state, iters, 0); }
static void *setup_uv_ex(const void *param) { return setup_exec(param, EX_UV); }
#define IMPL_UV(nt)                                                                                \
  {.name = "uv", .setup = setup_peer, .run = run_uv, .latencies = lat_peer, .teardown = teardown_peer, \
   .timed_ns = timed_peer, .value = value_peer, .note = nt}
#define IMPL_UV_EX(nt) IMPL_EX("uv", setup_uv_ex, nt)
#else
#define IMPL_UV(nt) IMPL_NA("uv", "not built (install libuv1-dev)")
#define IMPL_UV_EX(nt) IMPL_NA("uv", "not built (install libuv1-dev)")
#endif
#ifdef HAVE_PEER_EVENT
static void run_event(void *state, uint64_t iters) { run_loop_peer(state, iters, 1); }
static void *setup_event_ex(const void *param) { return setup_exec(param, EX_EVENT); }
#define IMPL_EVENT(nt)                                                                                    \
  {.name = "event", .setup = setup_peer, .run = run_event, .latencies = lat_peer, .teardown = teardown_peer, \
   .timed_ns = timed_peer, .value = value_peer, .note = nt}
#define IMPL_EVENT_EX(nt) IMPL_EX("event", setup_event_ex, nt)
#else
#define IMPL_EVENT(nt) IMPL_NA("event", "not built (install libevent-dev)")
#define IMPL_EVENT_EX(nt) IMPL_NA("event", "not built (install libevent-dev)")
#endif

/* ------------------------------------------------- OpenMP child processes
 *
 * libgomp and LLVM's libomp both define the GOMP_* entry points gcc's
 * OpenMP code calls, so one process can hold only one of them. Each OpenMP
 * column therefore runs in a child process built from this same file with
 * -fopenmp (bench/engine-bench-omp linked with libgomp, bench/engine-bench-
 * llvm-omp with libomp), started by setup and driven over a socket: setup
 * sends the row's parameters, every run() sends its iteration count and gets
 * back the child's own timing, value and latencies, measured by the same code
 * as the in-process columns. A child also gets the row's OpenMP environment
 * (OMP_WAIT_POLICY for the busy and parked rows, OMP_MAX_TASK_PRIORITY for the
 * priority row), which a runtime reads once at start. */

#define SERVE_MAGIC 0x656e6762u /* "engb" */
#define SERVE_LAT_CAP ((size_t)1 << 18)

typedef struct serve_setup {
  uint32_t magic;
  sp p;
  double loops_per_ns;
} serve_setup;

typedef struct serve_reply {
  uint64_t timed;
  double value;
  uint64_t nlat;
} serve_reply;

static int read_full(int fd, void *buf, size_t n) {
  char *b = buf;
  while (n) {
    ssize_t r = read(fd, b, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    b += r;
    n -= (size_t)r;
  }
  return 0;
}

static int write_full(int fd, const void *buf, size_t n) {
  const char *b = buf;
  while (n) {
    /* MSG_NOSIGNAL: a dead peer is an error here, not a SIGPIPE. */
    ssize_t r = send(fd, b, n, MSG_NOSIGNAL);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    b += r;
    n -= (size_t)r;
  }
  return 0;
}

#ifdef BENCH_OMP_CHILD
static const task_rt omp_rt = {peer_omp_batches, peer_omp_spawn, peer_omp_fib};
static void run_omp(void *state, uint64_t iters) { run_task_peer(state, iters, &omp_rt); }
static void *setup_omp_ex(const void *param) { return setup_exec(param, EX_OMP); }
static void calib_given(void) {}

int bench_sched_serve(int fd) {
  static serve_setup m;
  if (read_full(fd, &m, sizeof m) != 0 || m.magic != SERVE_MAGIC) return 2;
  /* The parent's calibration, so a task burns the same loops in every column. */
  loops_per_ns = m.loops_per_ns;
  pthread_once(&calib_once, calib_given);
  const bench_impl task_im = {.name = "omp", .setup = setup_peer, .run = run_omp, .teardown = teardown_peer,
                              .timed_ns = timed_peer};
  const bench_impl ex_im = IMPL_EX("omp", setup_omp_ex, NULL);
  const bench_impl *im = task_form(&m.p) ? &task_im : &ex_im;
  void *state = im->setup(&m.p);
  int32_t status = state ? 0 : -1;
  if (write_full(fd, &status, sizeof status) != 0 || !state) return 1;
  uint64_t *lat = malloc(SERVE_LAT_CAP * sizeof *lat);
  uint64_t iters;
  while (lat && read_full(fd, &iters, sizeof iters) == 0) {
    uint64_t t0 = mono_ns();
    im->run(state, iters);
    uint64_t t1 = mono_ns();
    serve_reply r = {im->timed_ns ? im->timed_ns(state) : t1 - t0, im->value ? im->value(state) : 0, 0};
    r.nlat = im->latencies ? im->latencies(state, lat, SERVE_LAT_CAP) : 0;
    if (write_full(fd, &r, sizeof r) != 0 || (r.nlat && write_full(fd, lat, r.nlat * sizeof *lat) != 0)) break;
  }
  im->teardown(state);
  free(lat);
  return 0;
}
#endif

#ifndef BENCH_OMP_CHILD
typedef struct proxy {
  pid_t pid;
  int fd;
  int broken;
  uint64_t timed;
  double value;
  uint64_t *lat;
  size_t nlat;
} proxy;

extern char **environ;

/* The child's environment: ours, with the row's OpenMP settings in place of
 * any the user set. */
static char **child_env(const sp *p) {
  const char *set[2] = {NULL, NULL};
  /* libomp keeps spinning for KMP_BLOCKTIME whatever the wait policy says. */
  if (p->kind == K_XCORE) set[0] = "OMP_WAIT_POLICY=ACTIVE", set[1] = "KMP_BLOCKTIME=infinite";
  if (p->kind == K_WAKE) set[0] = "OMP_WAIT_POLICY=PASSIVE", set[1] = "KMP_BLOCKTIME=0";
  if (p->kind == K_PRIO) set[0] = "OMP_MAX_TASK_PRIORITY=4";
  size_t n = 0;
  while (environ[n]) n++;
  char **env = calloc(n + 3, sizeof *env);
  if (!env) return NULL;
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    int drop = 0;
    for (int j = 0; j < 2; j++)
      if (set[j]) {
        size_t len = (size_t)(strchr(set[j], '=') - set[j]) + 1;
        if (strncmp(environ[i], set[j], len) == 0) drop = 1;
      }
    if (!drop) env[k++] = environ[i];
  }
  for (int j = 0; j < 2; j++)
    if (set[j]) env[k++] = (char *)set[j];
  env[k] = NULL;
  return env;
}

static void teardown_proxy(void *state) {
  proxy *x = state;
  if (x->fd >= 0) close(x->fd); /* the child sees end of file, tears down and exits */
  if (x->pid > 0) {
    int st;
    while (waitpid(x->pid, &st, 0) < 0 && errno == EINTR) {}
  }
  free(x->lat);
  free(x);
}

static void *setup_proxy(const sp *p, const char *prog) {
  proxy *x = calloc(1, sizeof *x);
  if (!x) return NULL;
  x->fd = -1;
  x->lat = malloc(SERVE_LAT_CAP * sizeof *x->lat);
  int sv[2];
  char **env = child_env(p);
  if (!x->lat || !env || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    free(env);
    teardown_proxy(x);
    return NULL;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, sv[1], 3); /* dup2 clears close-on-exec */
  char *argv[] = {(char *)prog, (char *)"--serve", (char *)"3", NULL};
  int rc = posix_spawn(&x->pid, prog, &fa, NULL, argv, env);
  posix_spawn_file_actions_destroy(&fa);
  free(env);
  close(sv[1]);
  x->fd = sv[0];
  if (rc != 0) {
    fprintf(stderr, "engine-bench: cannot start %s: %s\n", prog, strerror(rc));
    x->pid = 0;
    teardown_proxy(x);
    return NULL;
  }
  pthread_once(&calib_once, calibrate);
  serve_setup m = {.magic = SERVE_MAGIC, .p = *p, .loops_per_ns = loops_per_ns};
  int32_t status = -1;
  if (write_full(x->fd, &m, sizeof m) != 0 || read_full(x->fd, &status, sizeof status) != 0 || status != 0) {
    teardown_proxy(x);
    return NULL;
  }
  return x;
}

static void run_proxy(void *state, uint64_t iters) {
  proxy *x = state;
  serve_reply r;
  x->timed = 0;
  x->value = NAN;
  x->nlat = 0;
  if (x->broken) return;
  if (write_full(x->fd, &iters, sizeof iters) != 0 || read_full(x->fd, &r, sizeof r) != 0 ||
      r.nlat > SERVE_LAT_CAP || (r.nlat && read_full(x->fd, x->lat, r.nlat * sizeof *x->lat) != 0)) {
    fprintf(stderr, "engine-bench: an OpenMP child process stopped answering\n");
    x->broken = 1;
    return;
  }
  x->timed = r.timed;
  x->value = r.value;
  x->nlat = r.nlat;
}

static uint64_t timed_proxy(void *state) { return ((proxy *)state)->timed; }
static double value_proxy(void *state) { return ((proxy *)state)->value; }
static size_t lat_proxy(void *state, uint64_t *ns, size_t n) {
  proxy *x = state;
  size_t m = x->nlat < n ? x->nlat : n;
  if (m) memcpy(ns, x->lat, m * sizeof *ns);
  return m;
}

#endif /* !BENCH_OMP_CHILD */

#ifndef BENCH_BUILDDIR
#define BENCH_BUILDDIR "."
#endif

#define IMPL_PROXY(nm, su, nt)                                                                     \
  {.name = nm, .setup = su, .run = run_proxy, .latencies = lat_proxy, .teardown = teardown_proxy, \
   .timed_ns = timed_proxy, .value = value_proxy, .note = nt}
#define TASK_NOTE_GOMP "libgomp, in a child process (bench/engine-bench-omp)"
#define TASK_NOTE_LLVM "LLVM libomp, in a child process (bench/engine-bench-llvm-omp)"

#if defined(HAVE_PEER_OMP) && !defined(BENCH_OMP_CHILD)
static void *setup_gomp(const void *param) { return setup_proxy(param, BENCH_BUILDDIR "/bench/engine-bench-omp"); }
#define IMPL_OMP(nt) IMPL_PROXY("omp", setup_gomp, nt)
#else
#define IMPL_OMP(nt) IMPL_NA("omp", "not built (compiler without OpenMP)")
#endif
#if defined(HAVE_LIBOMP) && !defined(BENCH_OMP_CHILD)
static void *setup_llvm_omp(const void *param) {
  return setup_proxy(param, BENCH_BUILDDIR "/bench/engine-bench-llvm-omp");
}
#define IMPL_LLVM_OMP(nt) IMPL_PROXY("llvm-omp", setup_llvm_omp, nt)
#else
#define IMPL_LLVM_OMP(nt) IMPL_NA("llvm-omp", "not built (install libomp-dev)")
#endif

/* ------------------------------------------------------- the wire floor */

/* The cross-core row's floor: no scheduler at all, one pinned thread spinning
 * on a word and answering on another, driven the same way as the runtimes
 * (half the round trip from PU 0 to the last PU). What is left between this
 * column and a runtime's is that runtime's own cost; what this column shows is
 * the machine's, which no scheduler can go under. */
typedef struct wire {
  _Alignas(64) _Atomic uint64_t ping;
  _Alignas(64) _Atomic uint64_t pong;
  _Alignas(64) _Atomic int stop;
  pthread_t th;
  unsigned cpu;
  uint64_t k, timed;
  uint64_t *lat;
  size_t nlat, latcap;
} wire;

static void *wire_echo(void *arg) {
  wire *w = arg;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(w->cpu, &set);
  pthread_setaffinity_np(pthread_self(), sizeof set, &set);
  uint64_t seen = 0;
  while (!atomic_load_explicit(&w->stop, memory_order_relaxed)) {
    uint64_t v = atomic_load_explicit(&w->ping, memory_order_acquire);
    if (v != seen) {
      seen = v;
      atomic_store_explicit(&w->pong, v, memory_order_release);
    } else {
      cpu_relax();
    }
  }
  return NULL;
}

static void *setup_wire(const void *param) {
  (void)param;
  unsigned pus = machine_pus();
  if (pus < 2) return NULL;
  wire *w = aligned_alloc(64, sizeof *w);
  if (!w) return NULL;
  memset(w, 0, sizeof *w);
  w->cpu = pus - 1;
  w->latcap = (size_t)1 << 18;
  w->lat = malloc(w->latcap * sizeof *w->lat);
  if (!w->lat || pthread_create(&w->th, NULL, wire_echo, w) != 0) {
    free(w->lat);
    free(w);
    return NULL;
  }
  return w;
}

static void run_wire(void *state, uint64_t iters) {
  wire *w = state;
  pinning pin;
  pin_self(&pin, 0);
  w->timed = 0;
  w->nlat = 0;
  for (uint64_t i = 0; i < iters; i++) {
    uint64_t k = ++w->k, t0 = eng_now_ns();
    atomic_store_explicit(&w->ping, k, memory_order_release);
    while (atomic_load_explicit(&w->pong, memory_order_acquire) != k) cpu_relax();
    uint64_t rt = eng_now_ns() - t0;
    w->timed += rt;
    if (w->nlat < w->latcap) w->lat[w->nlat++] = rt / 2;
  }
  unpin_self(&pin);
}

static size_t lat_wire(void *state, uint64_t *ns, size_t n) {
  wire *w = state;
  size_t m = w->nlat < n ? w->nlat : n;
  if (m) memcpy(ns, w->lat, m * sizeof *ns);
  return m;
}

static uint64_t timed_wire(void *state) { return ((wire *)state)->timed; }

static void teardown_wire(void *state) {
  wire *w = state;
  atomic_store(&w->stop, 1);
  pthread_join(w->th, NULL);
  free(w->lat);
  free(w);
}

#define IMPL_WIRE                                                                                    \
  {.name = "wire", .setup = setup_wire, .run = run_wire, .latencies = lat_wire,                      \
   .teardown = teardown_wire, .timed_ns = timed_wire,                                               \
   .note = "no scheduler: a pinned thread echoing one atomic word, the machine's floor for this row"}

/* ------------------------------------------------------------ the impls */

#define POOL_FIFO_NOTE "no priorities: the same load through its one FIFO"
static const bench_impl impls_basic[] = {IMPL_ENGINE, IMPL_POOL};
static const bench_impl impls_scale[] = {
    IMPL_ENGINE, IMPL_POOL, IMPL_OMP(TASK_NOTE_GOMP), IMPL_LLVM_OMP(TASK_NOTE_LLVM), IMPL_TBB,
    {.name = "bare", .setup = bare_setup, .run = bare_run, .teardown = bare_teardown,
     .note = "no scheduler: w pinned threads burn their share in one loop (the machine's ceiling)"}};
static const bench_impl impls_tasks[] = {IMPL_ENGINE, IMPL_POOL, IMPL_OMP(TASK_NOTE_GOMP),
                                         IMPL_LLVM_OMP(TASK_NOTE_LLVM), IMPL_TBB};
static const bench_impl impls_loop[] = {IMPL_ENGINE, IMPL_POOL, IMPL_UV(NULL), IMPL_EVENT(NULL)};
static const bench_impl impls_timers[] = {
    IMPL_ENGINE, IMPL_POOL_TIMERS,
    IMPL_UV("uv_update_time before each uv_timer_start; 1 ms resolution: a timer may run up to 1 ms "
            "before its due time, counted as lateness 0"),
    IMPL_EVENT("EVENT_BASE_FLAG_PRECISE_TIMER (the default coarse clock ticks in ms)")};
static const bench_impl impls_xcore[] = {
    IMPL_ENGINE,
    {.name = "pool", .setup = setup_pool, .run = run_exec, .latencies = lat_exec, .teardown = teardown_exec,
     .timed_ns = timed_exec, .value = value_exec, .note = "no busy-poll: its workers wait on the condvar"},
    IMPL_OMP("OMP_WAIT_POLICY=ACTIVE: the worker spins in the region's barrier; libgomp"),
    IMPL_LLVM_OMP("OMP_WAIT_POLICY=ACTIVE KMP_BLOCKTIME=infinite: the worker spins in the barrier; LLVM libomp"),
    IMPL_TBB_EX("task_arena::enqueue; no busy-poll setting: its worker spins briefly, then sleeps"),
    IMPL_UV_EX("busy-polls: uv_run(UV_RUN_NOWAIT) in a loop, woken by uv_async_send"),
    IMPL_EVENT_EX("busy-polls: event_base_loop(EVLOOP_NONBLOCK) in a loop, woken by event_active"),
    IMPL_WIRE};
static const bench_impl impls_wake[] = {
    IMPL_ENGINE, IMPL_POOL,
    IMPL_OMP("OMP_WAIT_POLICY=PASSIVE: the worker sleeps in the region's barrier; libgomp"),
    IMPL_LLVM_OMP("OMP_WAIT_POLICY=PASSIVE KMP_BLOCKTIME=0: the worker sleeps in the barrier; LLVM libomp"),
    IMPL_TBB_EX("task_arena::enqueue; its own idle policy parks the worker within the 200 us gap"),
    IMPL_UV_EX("parked in epoll_wait (uv_run UV_RUN_DEFAULT), woken by uv_async_send"),
    IMPL_EVENT_EX("parked in epoll_wait (event_base_loop), woken by event_active")};
static const bench_impl impls_open[] = {
    IMPL_ENGINE, IMPL_POOL, IMPL_OMP("default wait policy; libgomp"), IMPL_LLVM_OMP("default wait policy; LLVM libomp"),
    IMPL_TBB_EX("task_arena::enqueue"), IMPL_UV_EX("uv_async_send per arrival (a queue drained per wake-up)"),
    IMPL_EVENT_EX("event_active per arrival (a queue, one task per callback)")};
static const bench_impl impls_prio[] = {
    IMPL_ENGINE,
    {.name = "pool", .setup = setup_pool, .run = run_exec, .latencies = lat_exec, .teardown = teardown_exec,
     .timed_ns = timed_exec, .value = value_exec, .note = POOL_FIFO_NOTE},
    IMPL_OMP("task priority clause (OMP_MAX_TASK_PRIORITY=4); libgomp"),
    IMPL_LLVM_OMP("task priority clause (OMP_MAX_TASK_PRIORITY=4); LLVM libomp"),
    IMPL_TBB_EX("arena priorities: critical/high, normal and low/background tasks in three arenas"),
    IMPL_UV_EX("no priorities: the same load, FIFO; one loop per worker"),
    IMPL_EVENT_EX("event priorities, one callback per pass below the top one; one loop per worker")};
static const bench_impl impls_over[] = {
    IMPL_ENGINE, IMPL_POOL, IMPL_OMP("4 threads bound 2 per core; libgomp"),
    IMPL_LLVM_OMP("4 threads bound 2 per core; LLVM libomp"), IMPL_TBB_EX("4 workers bound 2 per core"),
    IMPL_UV_EX("4 loops bound 2 per core, each chain on its own loop"),
    IMPL_EVENT_EX("4 loops bound 2 per core, each chain on its own loop")};
static const bench_impl impls_idle[] = {
    IMPL_ENGINE, IMPL_POOL,
    IMPL_OMP("default wait policy (spins GOMP_SPINCOUNT, then sleeps); CPU of its child process"),
    IMPL_LLVM_OMP("default wait policy (spins KMP_BLOCKTIME, 200 ms); CPU of its child process"),
    IMPL_TBB_EX("its own idle policy"), IMPL_UV_EX("loops parked in epoll_wait"),
    IMPL_EVENT_EX("loops parked in epoll_wait")};

#define N_OF(a) (sizeof(a) / sizeof *(a))

/* ------------------------------------------------------------ the cases */

static const sp p_local = {K_SUBMIT_LOCAL, 1, 0, 0, 0};
static const sp p_foreign = {K_SUBMIT_FOREIGN, 1, 0, 0, 0};
static const sp p_subrun = {K_SUBMIT_RUN, 1, 0, 0, 0};
static const sp p_batch[] = {{K_BATCH, 0, 0, 10, 0}, {K_BATCH, 0, 0, 100, 0}, {K_BATCH, 0, 0, 1000, 0}};
static const sp p_tput = {K_EMPTY_TPUT, 0, 0, 0, 0};
static const sp p_xcore = {K_XCORE, 1, 0, 0, 0};
static const sp p_wake = {K_WAKE, 1, 0, 0, 0};
static const sp p_open = {K_OPENLOOP, 1, 0, 0, 0};
static const sp p_fib[] = {{K_FIB, 0, 0, 25, 10}, {K_FIB, 0, 0, 25, 16}};
static const sp p_cb = {K_CALLBACKS, 1, 0, 50000, 0};
static const sp p_timers = {K_TIMERS, 1, 0, 5000, 0};
static const sp p_loop = {K_LOOPITER, 1, 0, 0, 0};
static const sp p_prio = {K_PRIO, 0, 0, 0, 0};
static const sp p_over = {K_OVERSUB, 4, 0, 0, 0};
static const sp p_idle = {K_IDLE, 0, 0, 0, 0};

#define SCALE_SIZES 4
static const uint64_t scale_ns[SCALE_SIZES] = {100, 1000, 10000, 100000};
static const char *scale_tag[SCALE_SIZES] = {"100ns", "1us", "10us", "100us"};

static bench_case *list;
static size_t nlist;
static sp *scale_params;
static char (*scale_names)[64];
static char (*scale_series)[32];
static char fib_names[2][48], fib_work[2];

static void build(void) {
  unsigned cores = machine_cores();
  unsigned maxw = 2 * cores;
  size_t nscale = (size_t)SCALE_SIZES * maxw;
  size_t cap = 32 + nscale;
  list = calloc(cap, sizeof *list);
  scale_params = calloc(nscale, sizeof *scale_params);
  scale_names = calloc(nscale, sizeof *scale_names);
  scale_series = calloc(SCALE_SIZES, sizeof *scale_series);
  if (!list || !scale_params || !scale_names || !scale_series) return;
  size_t n = 0;
#define ADD(...) list[n++] = (bench_case){__VA_ARGS__}
  ADD(.name = "sched/submit/local", .op = "submit", .work = 1, .work_unit = "submits", .param = &p_local,
      .impls = impls_basic, .nimpls = N_OF(impls_basic), .target_kind = BENCH_TARGET_NS_PER_OP_MAX, .target = 8);
  ADD(.name = "sched/submit/foreign", .op = "submit", .work = 1, .work_unit = "submits", .param = &p_foreign,
      .impls = impls_basic, .nimpls = N_OF(impls_basic));
  ADD(.name = "sched/submit+run/1worker", .op = "task", .work = 1, .work_unit = "tasks", .param = &p_subrun,
      .impls = impls_basic, .nimpls = N_OF(impls_basic), .target_kind = BENCH_TARGET_NS_PER_OP_MAX, .target = 15);
  static const char *bn[] = {"sched/batch/10", "sched/batch/100", "sched/batch/1000"};
  for (int i = 0; i < 3; i++)
    ADD(.name = bn[i], .op = "task", .work = 1, .work_unit = "tasks", .param = &p_batch[i], .impls = impls_tasks,
        .nimpls = N_OF(impls_tasks));
  ADD(.name = "sched/throughput/empty", .op = "task", .work = 1, .work_unit = "tasks", .param = &p_tput,
      .impls = impls_tasks, .nimpls = N_OF(impls_tasks), .workers = cores,
      .target_kind = BENCH_TARGET_RATE_PER_WORKER_MIN, .target = 60e6);
  ADD(.name = "sched/latency/cross-core", .op = "round trip", .param = &p_xcore, .impls = impls_xcore,
      .nimpls = N_OF(impls_xcore), .target_kind = BENCH_TARGET_P50_MAX, .target = 250, .max_iters = 200000,
      .min_iters = 15000);
  ADD(.name = "sched/latency/wake-parked", .op = "round trip", .param = &p_wake, .impls = impls_wake,
      .nimpls = N_OF(impls_wake), .max_iters = 100);
  ADD(.name = "sched/latency/open-loop-50k", .op = "arrival", .param = &p_open, .impls = impls_open,
      .nimpls = N_OF(impls_open), .max_iters = 15000, .min_iters = 15000);
  for (int i = 0; i < 2; i++) {
    snprintf(fib_names[i], sizeof fib_names[i], "sched/forkjoin/fib%u-cutoff%u", p_fib[i].batch, p_fib[i].cutoff);
    ADD(.name = fib_names[i], .op = "fib call", .work = (double)fib_count_nodes(p_fib[i].batch, p_fib[i].cutoff),
        .work_unit = "tasks", .param = &p_fib[i], .impls = impls_tasks, .nimpls = N_OF(impls_tasks));
  }
  (void)fib_work;
  ADD(.name = "sched/loop/callbacks-50k", .op = "callback", .work = 1, .work_unit = "callbacks", .param = &p_cb,
      .impls = impls_loop, .nimpls = N_OF(impls_loop));
  ADD(.name = "sched/loop/timers-5k", .op = "5k timers", .work = 5000, .work_unit = "timers", .param = &p_timers,
      .impls = impls_timers, .nimpls = N_OF(impls_timers), .value_unit = "% out of order", .max_iters = 1);
  ADD(.name = "sched/loop/iteration", .op = "iteration", .work = 1, .work_unit = "iterations", .param = &p_loop,
      .impls = impls_loop, .nimpls = N_OF(impls_loop));
  ADD(.name = "sched/priority/critical-under-load", .op = "probe", .param = &p_prio, .impls = impls_prio,
      .nimpls = N_OF(impls_prio), .value_unit = "% probes starved (> 50 ms)", .max_iters = 60);
  ADD(.name = "sched/oversubscribed/4w-2cores", .op = "handoff", .work = 1, .work_unit = "handoffs",
      .param = &p_over, .impls = impls_over, .nimpls = N_OF(impls_over), .target_kind = BENCH_TARGET_P99_MAX,
      .target = 20000, .min_iters = 15000);
  ADD(.name = "sched/idle/cpu-after-1ms", .op = "200 ms window", .param = &p_idle, .impls = impls_idle,
      .nimpls = N_OF(impls_idle), .value_unit = "% CPU", .target_kind = BENCH_TARGET_VALUE_MAX, .target = 1,
      .max_iters = 1, .slow = 0);
  size_t k = 0;
  for (unsigned si = 0; si < SCALE_SIZES; si++) {
    snprintf(scale_series[si], sizeof scale_series[si], "sched/scale/%s", scale_tag[si]);
    for (unsigned w = 1; w <= maxw; w++, k++) {
      scale_params[k] = (sp){K_SCALE, w, scale_ns[si], 0, 0};
      snprintf(scale_names[k], sizeof scale_names[k], "sched/scale/%s/w%u", scale_tag[si], w);
      ADD(.name = scale_names[k], .op = "task", .work = 1, .work_unit = "tasks", .param = &scale_params[k],
          .impls = impls_scale, .nimpls = N_OF(impls_scale), .series = scale_series[si], .workers = w,
          .target_kind = (si == 1 && w == 2) ? BENCH_TARGET_EFFICIENCY_MIN : BENCH_TARGET_NONE,
          .target = (si == 1 && w == 2) ? 0.9 : 0, .slow = si >= 2 && w > cores);
    }
  }
#undef ADD
  nlist = n;
}

const bench_case *bench_cases_sched(size_t *n) {
  if (!list) build();
  *n = list ? nlist : 0;
  return list;
}
