/* pool.c: the mutex+condvar thread pool baseline (deliberately plain: one lock, one FIFO). */
#include "pool.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

typedef struct job {
  void (*fn)(void *);
  void *arg;
} job;

struct bench_pool {
  pthread_mutex_t mu;
  pthread_cond_t work;  /* signalled when a job is queued or on stop */
  pthread_cond_t idle;  /* broadcast when pending drops to zero */
  job *ring;
  size_t cap, head, count;
  uint64_t pending; /* queued + running */
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

static void *worker(void *v) {
  start s = *(start *)v;
  free(v);
  bench_pool *p = s.p;
  self_pool = p;
  self_index = (int)s.i;
  pthread_mutex_lock(&p->mu);
  for (;;) {
    while (p->count == 0 && !p->stop) pthread_cond_wait(&p->work, &p->mu);
    if (p->count == 0 && p->stop) break;
    job j = p->ring[p->head];
    p->head = (p->head + 1) & (p->cap - 1);
    p->count--;
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
  pthread_cond_init(&p->work, NULL);
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
  free(p->threads);
  free(p);
}
