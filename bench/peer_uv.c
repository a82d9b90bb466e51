/* peer_uv.c: the libuv peer: event-loop rows (callbacks, timers, iterations) and a loop-per-thread executor. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <uv.h>

#include "peers.h"
#include "peer_fifo.h"
#include "monotonic.h"

typedef struct ctx {
  uint64_t n, ran, t_end;
  uint64_t *due, *late;
  unsigned *order;
  uv_timer_t *timers;
} ctx;

static void on_close(uv_handle_t *h) { (void)h; }

static void on_callback(uv_timer_t *t) {
  ctx *c = t->data;
  if (++c->ran == c->n) c->t_end = mono_ns();
}

uint64_t peer_uv_callbacks(uint64_t n) {
  uv_loop_t loop;
  ctx c = {.n = n};
  c.timers = malloc(n * sizeof *c.timers);
  if (!c.timers || uv_loop_init(&loop) != 0) {
    free(c.timers);
    return 0;
  }
  uint64_t t0 = mono_ns();
  for (uint64_t i = 0; i < n; i++) {
    uv_timer_init(&loop, &c.timers[i]);
    c.timers[i].data = &c;
    uv_timer_start(&c.timers[i], on_callback, 0, 0);
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  for (uint64_t i = 0; i < n; i++) uv_close((uv_handle_t *)&c.timers[i], on_close);
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  free(c.timers);
  return c.t_end > t0 ? c.t_end - t0 : 0;
}

static void on_timer(uv_timer_t *t) {
  ctx *c = t->data;
  unsigned i = (unsigned)(t - c->timers);
  uint64_t now = mono_ns();
  c->late[i] = now > c->due[i] ? now - c->due[i] : 0;
  c->order[c->ran++] = i;
}

uint64_t peer_uv_timers(uint64_t n, const unsigned *delay_ms, uint64_t *late_ns) {
  uv_loop_t loop;
  ctx c = {.n = n, .late = late_ns};
  c.timers = malloc(n * sizeof *c.timers);
  c.due = malloc(n * sizeof *c.due);
  c.order = malloc(n * sizeof *c.order);
  uint64_t inv = 0;
  if (!c.timers || !c.due || !c.order || uv_loop_init(&loop) != 0) goto out;
  for (uint64_t i = 0; i < n; i++) {
    uv_timer_init(&loop, &c.timers[i]);
    c.timers[i].data = &c;
    /* uv_timer_start counts the delay from the loop's cached time (uv_now),
     * which otherwise stays at uv_loop_init's while the 5k timers are set up:
     * the later timers would be due before the moment they were asked for and
     * fire "early", which the clamp below turned into lateness 0. Refreshing
     * it makes every timer due `delay` after its own call, as the engine's. */
    uv_update_time(&loop);
    c.due[i] = mono_ns() + (uint64_t)delay_ms[i] * 1000000u;
    uv_timer_start(&c.timers[i], on_timer, delay_ms[i], 0);
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  for (uint64_t i = 1; i < c.ran; i++)
    if (c.due[c.order[i]] + PEER_ORDER_SLACK_NS < c.due[c.order[i - 1]]) inv++;
  for (uint64_t i = 0; i < n; i++) uv_close((uv_handle_t *)&c.timers[i], on_close);
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
out:
  free(c.timers);
  free(c.due);
  free(c.order);
  return inv;
}

static void on_idle(uv_idle_t *h) {
  ctx *c = h->data;
  if (++c->ran >= c->n) uv_idle_stop(h);
}

void peer_uv_spin(uint64_t n) {
  uv_loop_t loop;
  uv_idle_t idle;
  ctx c = {.n = n};
  if (n == 0 || uv_loop_init(&loop) != 0) return;
  uv_idle_init(&loop, &idle);
  idle.data = &c;
  uv_idle_start(&idle, on_idle);
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_close((uv_handle_t *)&idle, on_close);
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
}

/* ------------------------------------------------------------- executor */

typedef struct uvloop {
  peer_ex *x;
  uv_loop_t loop;
  uv_async_t async; /* the cross-thread wake-up: uv_async_send from any thread */
  pthread_mutex_t mu;
  peer_fifo fifo;
  pthread_t th;
  int cpu; /* -1: not bound */
  int started;
} uvloop;

struct peer_ex {
  uvloop *loops;
  unsigned n;
  int busy;
  _Atomic unsigned rr;
  _Atomic uint64_t pending;
  _Atomic int stop;
};

static __thread uvloop *self_loop;

static void on_async(uv_async_t *a) {
  uvloop *l = a->data;
  /* uv_async_send coalesces: one callback runs everything queued so far. */
  for (;;) {
    peer_task it;
    pthread_mutex_lock(&l->mu);
    int got = peer_fifo_pop(&l->fifo, &it);
    pthread_mutex_unlock(&l->mu);
    if (!got) break;
    it.fn(it.arg);
    atomic_fetch_sub_explicit(&l->x->pending, 1, memory_order_release);
  }
  if (atomic_load(&l->x->stop)) uv_close((uv_handle_t *)&l->async, NULL);
}

static void *loop_main(void *v) {
  uvloop *l = v;
  self_loop = l;
  if (l->cpu >= 0) {
    cpu_set_t s;
    CPU_ZERO(&s);
    CPU_SET(l->cpu, &s);
    pthread_setaffinity_np(pthread_self(), sizeof s, &s);
  }
  if (l->x->busy)
    while (!atomic_load_explicit(&l->x->stop, memory_order_acquire)) uv_run(&l->loop, UV_RUN_NOWAIT);
  uv_run(&l->loop, UV_RUN_DEFAULT);
  return NULL;
}

peer_ex *peer_uv_ex_create(unsigned workers, const unsigned *cpus, unsigned ncpus, int busy) {
  peer_ex *x = calloc(1, sizeof *x);
  if (!x || !workers) {
    free(x);
    return NULL;
  }
  x->busy = busy;
  x->loops = calloc(workers, sizeof *x->loops);
  if (!x->loops) {
    free(x);
    return NULL;
  }
  for (unsigned i = 0; i < workers; i++) {
    uvloop *l = &x->loops[i];
    l->x = x;
    l->cpu = cpus && ncpus ? (int)cpus[i % ncpus] : -1;
    if (peer_fifo_init(&l->fifo) != 0) break;
    if (uv_loop_init(&l->loop) != 0) {
      peer_fifo_free(&l->fifo);
      break;
    }
    uv_async_init(&l->loop, &l->async, on_async);
    l->async.data = l;
    pthread_mutex_init(&l->mu, NULL);
    if (pthread_create(&l->th, NULL, loop_main, l) != 0) {
      uv_close((uv_handle_t *)&l->async, NULL);
      uv_run(&l->loop, UV_RUN_DEFAULT);
      uv_loop_close(&l->loop);
      pthread_mutex_destroy(&l->mu);
      peer_fifo_free(&l->fifo);
      break;
    }
    l->started = 1;
    x->n++;
  }
  if (x->n == workers) return x;
  peer_uv_ex_destroy(x);
  return NULL;
}

int peer_uv_ex_submit(peer_ex *x, peer_fn fn, void *arg, int prio) {
  (void)prio; /* libuv has no priorities: FIFO per loop */
  uvloop *l = self_loop && self_loop->x == x ? self_loop : &x->loops[atomic_fetch_add(&x->rr, 1) % x->n];
  pthread_mutex_lock(&l->mu);
  if (peer_fifo_push(&l->fifo, fn, arg) != 0) {
    pthread_mutex_unlock(&l->mu);
    return -1;
  }
  atomic_fetch_add_explicit(&x->pending, 1, memory_order_relaxed);
  pthread_mutex_unlock(&l->mu);
  uv_async_send(&l->async);
  return 0;
}

void peer_uv_ex_wait(peer_ex *x) {
  for (unsigned i = 0; atomic_load_explicit(&x->pending, memory_order_acquire); i++) peer_backoff(i);
}

void peer_uv_ex_destroy(peer_ex *x) {
  if (!x) return;
  peer_uv_ex_wait(x);
  atomic_store_explicit(&x->stop, 1, memory_order_release);
  for (unsigned i = 0; i < x->n; i++) uv_async_send(&x->loops[i].async);
  for (unsigned i = 0; i < x->n; i++) {
    uvloop *l = &x->loops[i];
    pthread_join(l->th, NULL);
    uv_loop_close(&l->loop);
    pthread_mutex_destroy(&l->mu);
    peer_fifo_free(&l->fifo);
  }
  free(x->loops);
  free(x);
}
