/* pool.c: the mutex+condvar thread pool baseline (deliberately plain: one lock, one FIFO, one timer heap). */
#include "pool.h"
#include "monotonic.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct job {
  void (*fn)(void *);
  void *arg;
} job;

typedef struct timer {
  uint64_t due; /* CLOCK_MONOTONIC ns */
  uint64_t seq; /* equal due times run in the order they were added */
  job j;
} timer;

struct bench_pool {
  pthread_mutex_t mu;
  pthread_cond_t work;  /* signalled when a job is queued or on stop */
  pthread_cond_t idle;  /* broadcast when pending drops to zero */
  job *ring;
  size_t cap, head, count;
  timer *heap; /* binary min-heap on (due, seq) */
  size_t hcap, hn;
  uint64_t hseq;
  uint64_t pending; /* queued + timers + running */
  int stop;
  unsigned n;
  pthread_t *threads;
  const unsigned *cpus;
  unsigned ncpus;
};

static __thread const bench_pool *self_pool;
static __thread int self_index = -1;

typedef struct start {
  bench_pool *p;
  unsigned i;
} start;

static int t_before(const timer *a, const timer *b) {
  return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static void heap_pop(bench_pool *p) {
  timer last = p->heap[--p->hn];
  size_t i = 0;
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= p->hn) break;
    if (c + 1 < p->hn && t_before(&p->heap[c + 1], &p->heap[c])) c++;
    if (!t_before(&p->heap[c], &last)) break;
    p->heap[i] = p->heap[c];
    i = c;
  }
  if (p->hn) p->heap[i] = last;
}

/* The next job under the lock: a due timer first (it is already late), else
 * the FIFO; waits on the condvar, with a deadline when a timer is pending. */
static int next_job(bench_pool *p, job *out) {
  for (;;) {
    if (p->hn) {
      uint64_t now = mono_ns();
      if (p->heap[0].due <= now) {
        *out = p->heap[0].j;
        heap_pop(p);
        return 1;
      }
      if (p->count == 0) {
        if (p->stop) { /* stopping: run what is left without waiting for it */
          *out = p->heap[0].j;
          heap_pop(p);
          return 1;
        }
        struct timespec ts = {(time_t)(p->heap[0].due / 1000000000u), (long)(p->heap[0].due % 1000000000u)};
        pthread_cond_timedwait(&p->work, &p->mu, &ts);
        continue;
      }
    }
    if (p->count) {
      *out = p->ring[p->head];
      p->head = (p->head + 1) & (p->cap - 1);
      p->count--;
      return 1;
    }
    if (p->stop) return 0;
    pthread_cond_wait(&p->work, &p->mu);
  }
}

static void *worker(void *v) {
  start s = *(start *)v;
  free(v);
  bench_pool *p = s.p;
  self_pool = p;
  self_index = (int)s.i;
  pthread_mutex_lock(&p->mu);
  for (;;) {
    job j;
    if (!next_job(p, &j)) break;
    pthread_mutex_unlock(&p->mu);
    j.fn(j.arg);
    pthread_mutex_lock(&p->mu);
    if (--p->pending == 0) pthread_cond_broadcast(&p->idle);
  }
  pthread_mutex_unlock(&p->mu);
  return NULL;
}

bench_pool *bench_pool_create(unsigned nthreads, const unsigned *cpus, unsigned ncpus) {
  if (nthreads == 0) return NULL;
  bench_pool *p = calloc(1, sizeof *p);
  if (!p) return NULL;
  p->cap = 1024;
  p->ring = malloc(p->cap * sizeof *p->ring);
  p->threads = calloc(nthreads, sizeof *p->threads);
  if (!p->ring || !p->threads) goto fail;
  pthread_mutex_init(&p->mu, NULL);
  /* Timer deadlines are CLOCK_MONOTONIC, like every clock of the benchmarks. */
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&p->work, &ca);
  pthread_condattr_destroy(&ca);
  pthread_cond_init(&p->idle, NULL);
  for (unsigned i = 0; i < nthreads; i++) {
    start *s = malloc(sizeof *s);
    if (!s) break;
    s->p = p;
    s->i = i;
    if (pthread_create(&p->threads[i], NULL, worker, s) != 0) {
      free(s);
      break;
    }
    if (cpus && ncpus) {
      cpu_set_t set;
      CPU_ZERO(&set);
      CPU_SET(cpus[i % ncpus], &set);
      pthread_setaffinity_np(p->threads[i], sizeof set, &set);
    }
    p->n++;
  }
  if (p->n == nthreads) return p;
  bench_pool_destroy(p);
  return NULL;
fail:
  free(p->ring);
  free(p->threads);
  free(p);
  return NULL;
}

int bench_pool_submit(bench_pool *p, void (*fn)(void *), void *arg) {
  pthread_mutex_lock(&p->mu);
  if (p->count == p->cap) {
    job *r = malloc(2 * p->cap * sizeof *r);
    if (!r) {
      pthread_mutex_unlock(&p->mu);
      return -ENOMEM;
    }
    for (size_t i = 0; i < p->count; i++) r[i] = p->ring[(p->head + i) & (p->cap - 1)];
    free(p->ring);
    p->ring = r;
    p->head = 0;
    p->cap *= 2;
  }
  p->ring[(p->head + p->count) & (p->cap - 1)] = (job){fn, arg};
  p->count++;
  p->pending++;
  pthread_cond_signal(&p->work);
  pthread_mutex_unlock(&p->mu);
  return 0;
}

int bench_pool_submit_at(bench_pool *p, uint64_t due_ns, void (*fn)(void *), void *arg) {
  pthread_mutex_lock(&p->mu);
  if (p->hn == p->hcap) {
    size_t nc = p->hcap ? 2 * p->hcap : 256;
    timer *h = realloc(p->heap, nc * sizeof *h);
    if (!h) {
      pthread_mutex_unlock(&p->mu);
      return -ENOMEM;
    }
    p->heap = h;
    p->hcap = nc;
  }
  timer t = {due_ns, p->hseq++, {fn, arg}};
  size_t i = p->hn++;
  while (i > 0 && t_before(&t, &p->heap[(i - 1) / 2])) {
    p->heap[i] = p->heap[(i - 1) / 2];
    i = (i - 1) / 2;
  }
  p->heap[i] = t;
  p->pending++;
  /* A new earliest timer shortens a sleeping worker's deadline: wake one to
   * re-arm. Broadcast, as the worker holding the old deadline may not be the
   * one a signal picks. */
  if (i == 0) pthread_cond_broadcast(&p->work);
  pthread_mutex_unlock(&p->mu);
  return 0;
}

void bench_pool_wait_idle(bench_pool *p) {
  pthread_mutex_lock(&p->mu);
  while (p->pending) pthread_cond_wait(&p->idle, &p->mu);
  pthread_mutex_unlock(&p->mu);
}

int bench_pool_self(const bench_pool *p) { return self_pool == p ? self_index : -1; }

void bench_pool_destroy(bench_pool *p) {
  if (!p) return;
  pthread_mutex_lock(&p->mu);
  p->stop = 1;
  pthread_cond_broadcast(&p->work);
  pthread_mutex_unlock(&p->mu);
  for (unsigned i = 0; i < p->n; i++) pthread_join(p->threads[i], NULL);
  pthread_mutex_destroy(&p->mu);
  pthread_cond_destroy(&p->work);
  pthread_cond_destroy(&p->idle);
  free(p->ring);
  free(p->heap);
  free(p->threads);
  free(p);
}
