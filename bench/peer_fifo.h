/* peer_fifo.h: what the executor peers share: the task FIFO behind each
 * event loop, and the gentle wait for their pending count to drain. */
#ifndef ENGINE_BENCH_PEER_FIFO_H
#define ENGINE_BENCH_PEER_FIFO_H

#include <sched.h>
#include <stdlib.h>
#include <time.h>

#include "peers.h"

/* A growable ring of (fn, arg); the caller holds the lock that guards it. */
typedef struct peer_task {
  peer_fn fn;
  void *arg;
} peer_task;

typedef struct peer_fifo {
  peer_task *q;
  size_t cap, head, n;
} peer_fifo;

/* 0, or -1 when out of memory. */
static inline int peer_fifo_init(peer_fifo *f) {
  f->cap = 1024;
  f->head = f->n = 0;
  f->q = (peer_task *)malloc(f->cap * sizeof *f->q);
  return f->q ? 0 : -1;
}

/* 0, or -1 when the ring is full and cannot grow. */
static inline int peer_fifo_push(peer_fifo *f, peer_fn fn, void *arg) {
  if (f->n == f->cap) {
    peer_task *q = (peer_task *)malloc(2 * f->cap * sizeof *q);
    if (!q) return -1;
    for (size_t i = 0; i < f->n; i++) q[i] = f->q[(f->head + i) % f->cap];
    free(f->q);
    f->q = q;
    f->head = 0;
    f->cap *= 2;
  }
  peer_task *t = &f->q[(f->head + f->n) % f->cap];
  t->fn = fn;
  t->arg = arg;
  f->n++;
  return 0;
}

/* 1 with the oldest task in *t, or 0 when empty. */
static inline int peer_fifo_pop(peer_fifo *f, peer_task *t) {
  if (!f->n) return 0;
  *t = f->q[f->head];
  f->head = (f->head + 1) % f->cap;
  f->n--;
  return 1;
}

static inline void peer_fifo_free(peer_fifo *f) {
  free(f->q);
  f->q = NULL;
}

/* Round i of a wait for work that other threads finish: yield first, then
 * sleep 20 us, so the waiting thread does not take a core from them (the
 * engine parks in eng_wait_idle; the peers have no such call). */
static inline void peer_backoff(unsigned i) {
  if (i < 1000) {
    sched_yield();
  } else {
    struct timespec ts = {0, 20000};
    nanosleep(&ts, NULL);
  }
}

#endif
