/* peer_event.c: the libevent peer: event-loop rows (callbacks, timers, iterations) and a loop-per-thread executor. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <event2/event.h>
#include <event2/thread.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "peers.h"
#include "peer_fifo.h"
#include "monotonic.h"

typedef struct ctx {
  uint64_t n, ran, t_end;
  uint64_t *due, *late;
  unsigned *order;
  struct event *evs; /* event_get_struct_event_size() bytes each */
  size_t evsize;
  struct event_base *base;
} ctx;

typedef struct item {
  ctx *c;
  unsigned i;
} item;

static struct event *ev_at(ctx *c, uint64_t i) { return (struct event *)((char *)c->evs + i * c->evsize); }

static void on_callback(evutil_socket_t fd, short what, void *arg) {
  (void)fd, (void)what;
  ctx *c = arg;
  if (++c->ran == c->n) c->t_end = mono_ns();
}

uint64_t peer_event_callbacks(uint64_t n) {
  ctx c = {.n = n, .evsize = event_get_struct_event_size()};
  c.base = event_base_new();
  c.evs = malloc(n * c.evsize);
  if (!c.base || !c.evs) goto out;
  uint64_t t0 = mono_ns();
  for (uint64_t i = 0; i < n; i++) {
    evtimer_assign(ev_at(&c, i), c.base, on_callback, &c);
    event_active(ev_at(&c, i), EV_TIMEOUT, 1);
  }
  event_base_dispatch(c.base);
  event_base_free(c.base);
  free(c.evs);
  return c.t_end > t0 ? c.t_end - t0 : 0;
out:
  free(c.evs);
  if (c.base) event_base_free(c.base);
  return 0;
}

static void on_timer(evutil_socket_t fd, short what, void *arg) {
  (void)fd, (void)what;
  item *it = arg;
  ctx *c = it->c;
  uint64_t now = mono_ns();
  c->late[it->i] = now > c->due[it->i] ? now - c->due[it->i] : 0;
  c->order[c->ran++] = it->i;
}

uint64_t peer_event_timers(uint64_t n, const unsigned *delay_ms, uint64_t *late_ns) {
  ctx c = {.n = n, .late = late_ns, .evsize = event_get_struct_event_size()};
  item *items = malloc(n * sizeof *items);
  /* Without PRECISE_TIMER libevent reads CLOCK_MONOTONIC_COARSE (a 1-4 ms
   * tick): timers asked for within one tick share a due time, fire in no
   * particular order among themselves and up to a tick early against the
   * moment they were asked for. The engine and libuv rows use a ns clock. */
  struct event_config *cfg = event_config_new();
  if (cfg) {
    event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
    c.base = event_base_new_with_config(cfg);
    event_config_free(cfg);
  }
  c.evs = malloc(n * c.evsize);
  c.due = malloc(n * sizeof *c.due);
  c.order = malloc(n * sizeof *c.order);
  uint64_t inv = 0;
  if (!items || !c.base || !c.evs || !c.due || !c.order) goto out;
  for (uint64_t i = 0; i < n; i++) {
    items[i] = (item){&c, (unsigned)i};
    evtimer_assign(ev_at(&c, i), c.base, on_timer, &items[i]);
    struct timeval tv = {0, (suseconds_t)delay_ms[i] * 1000};
    c.due[i] = mono_ns() + (uint64_t)delay_ms[i] * 1000000u;
    evtimer_add(ev_at(&c, i), &tv);
  }
  event_base_dispatch(c.base);
  for (uint64_t i = 1; i < c.ran; i++)
    if (c.due[c.order[i]] + PEER_ORDER_SLACK_NS < c.due[c.order[i - 1]]) inv++;
out:
  if (c.base) event_base_free(c.base);
  free(items);
  free(c.evs);
  free(c.due);
  free(c.order);
  return inv;
}

static void on_spin(evutil_socket_t fd, short what, void *arg) {
  (void)fd, (void)what;
  ctx *c = arg;
  /* Re-activating itself makes every loop turn run exactly one callback. */
  if (++c->ran < c->n) event_active(c->evs, EV_TIMEOUT, 1);
}

void peer_event_spin(uint64_t n) {
  ctx c = {.n = n, .evsize = event_get_struct_event_size()};
  if (n == 0) return;
  c.base = event_base_new();
  c.evs = malloc(c.evsize);
  if (c.base && c.evs) {
    evtimer_assign(c.evs, c.base, on_spin, &c);
    event_active(c.evs, EV_TIMEOUT, 1);
    event_base_dispatch(c.base);
  }
  free(c.evs);
  if (c.base) event_base_free(c.base);
}

/* ------------------------------------------------------------- executor */

#define EX_PRIOS 5 /* the engine's five levels, libevent's priorities 0..4 */

struct evloop;

typedef struct pq {
  struct evloop *l;
  struct event *ev; /* activated from any thread while pq has items */
  peer_fifo fifo;
} pq;

typedef struct evloop {
  peer_ex *x;
  struct event_base *base;
  pthread_mutex_t mu; /* guards every pq of this loop */
  pq pq[EX_PRIOS];
  struct event *stopev; /* activated once by destroy; its callback breaks the loop */
  pthread_t th;
  int cpu;
} evloop;

struct peer_ex {
  evloop *loops;
  unsigned n;
  int busy;
  _Atomic unsigned rr;
  _Atomic uint64_t pending;
  _Atomic int stop;
};

static __thread evloop *self_loop;
static pthread_once_t threads_once = PTHREAD_ONCE_INIT;
static int threads_ok;
static void use_threads(void) { threads_ok = evthread_use_pthreads() == 0; }

static void on_queue(evutil_socket_t fd, short what, void *arg) {
  (void)fd, (void)what;
  pq *q = arg;
  evloop *l = q->l;
  /* One task per activation, then back to the loop, which runs the highest
   * active priority next: a critical task waits for at most the task that is
   * running (with max_dispatch_callbacks = 1, set at create). */
  peer_task it;
  pthread_mutex_lock(&l->mu);
  int got = peer_fifo_pop(&q->fifo, &it), more = q->fifo.n > 0;
  pthread_mutex_unlock(&l->mu);
  if (!got) return;
  it.fn(it.arg);
  atomic_fetch_sub_explicit(&l->x->pending, 1, memory_order_release);
  if (more) event_active(q->ev, EV_READ, 0);
}

static void on_stop(evutil_socket_t fd, short what, void *arg) {
  (void)fd, (void)what;
  event_base_loopbreak(((evloop *)arg)->base);
}

static void *ev_loop_main(void *v) {
  evloop *l = v;
  self_loop = l;
  if (l->cpu >= 0) {
    cpu_set_t s;
    CPU_ZERO(&s);
    CPU_SET(l->cpu, &s);
    pthread_setaffinity_np(pthread_self(), sizeof s, &s);
  }
  if (l->x->busy)
    while (!atomic_load_explicit(&l->x->stop, memory_order_acquire)) event_base_loop(l->base, EVLOOP_NONBLOCK);
  else
    event_base_loop(l->base, EVLOOP_NO_EXIT_ON_EMPTY);
  return NULL;
}

static void evloop_free(evloop *l) {
  if (l->stopev) event_free(l->stopev);
  for (int p = 0; p < EX_PRIOS; p++) {
    if (l->pq[p].ev) event_free(l->pq[p].ev);
    peer_fifo_free(&l->pq[p].fifo);
  }
  if (l->base) event_base_free(l->base);
  pthread_mutex_destroy(&l->mu);
}

peer_ex *peer_event_ex_create(unsigned workers, const unsigned *cpus, unsigned ncpus, int busy) {
  pthread_once(&threads_once, use_threads);
  if (!threads_ok || !workers) return NULL;
  peer_ex *x = calloc(1, sizeof *x);
  if (!x) return NULL;
  x->busy = busy;
  x->loops = calloc(workers, sizeof *x->loops);
  if (!x->loops) {
    free(x);
    return NULL;
  }
  for (unsigned i = 0; i < workers; i++) {
    evloop *l = &x->loops[i];
    l->x = x;
    l->cpu = cpus && ncpus ? (int)cpus[i % ncpus] : -1;
    pthread_mutex_init(&l->mu, NULL);
    struct event_config *cfg = event_config_new();
    if (cfg) {
      /* Priorities 1..4 run one callback per loop pass, so a newly active
       * priority-0 event is seen after the running callback. */
      event_config_set_max_dispatch_interval(cfg, NULL, 1, 1);
      event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
      l->base = event_base_new_with_config(cfg);
      event_config_free(cfg);
    }
    int ok = l->base && event_base_priority_init(l->base, EX_PRIOS) == 0;
    for (int p = 0; ok && p < EX_PRIOS; p++) {
      pq *q = &l->pq[p];
      q->l = l;
      ok = peer_fifo_init(&q->fifo) == 0;
      q->ev = event_new(l->base, -1, 0, on_queue, q);
      ok = ok && q->ev && event_priority_set(q->ev, p) == 0;
    }
    if (ok) {
      l->stopev = event_new(l->base, -1, 0, on_stop, l);
      ok = l->stopev && event_priority_set(l->stopev, EX_PRIOS - 1) == 0;
    }
    if (!ok || pthread_create(&l->th, NULL, ev_loop_main, l) != 0) {
      evloop_free(l);
      break;
    }
    x->n++;
  }
  if (x->n == workers) return x;
  peer_event_ex_destroy(x);
  return NULL;
}

int peer_event_ex_submit(peer_ex *x, peer_fn fn, void *arg, int prio) {
  evloop *l = self_loop && self_loop->x == x ? self_loop : &x->loops[atomic_fetch_add(&x->rr, 1) % x->n];
  pq *q = &l->pq[prio < 0 ? 0 : prio >= EX_PRIOS ? EX_PRIOS - 1 : prio];
  pthread_mutex_lock(&l->mu);
  if (peer_fifo_push(&q->fifo, fn, arg) != 0) {
    pthread_mutex_unlock(&l->mu);
    return -1;
  }
  atomic_fetch_add_explicit(&x->pending, 1, memory_order_relaxed);
  pthread_mutex_unlock(&l->mu);
  /* Thread-safe (evthread_use_pthreads): wakes the loop through its notify fd. */
  event_active(q->ev, EV_READ, 0);
  return 0;
}

void peer_event_ex_wait(peer_ex *x) {
  for (unsigned i = 0; atomic_load_explicit(&x->pending, memory_order_acquire); i++) peer_backoff(i);
}

void peer_event_ex_destroy(peer_ex *x) {
  if (!x) return;
  peer_event_ex_wait(x);
  atomic_store_explicit(&x->stop, 1, memory_order_release);
  /* An activation stays pending until the loop runs it, even if the loop
   * thread has not entered event_base_loop yet (a loopbreak would be lost). */
  for (unsigned i = 0; i < x->n; i++) event_active(x->loops[i].stopev, EV_READ, 0);
  for (unsigned i = 0; i < x->n; i++) {
    pthread_join(x->loops[i].th, NULL);
    evloop_free(&x->loops[i]);
  }
  free(x->loops);
  free(x);
}
