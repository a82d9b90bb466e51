/* peer_event.c: the libevent peer for the event-loop rows (callbacks, timers, loop iterations). */
#include <event2/event.h>
#include <stdlib.h>
#include <time.h>

#include "peers.h"

static uint64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

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
  c.base = event_base_new();
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
    if (c.due[c.order[i]] < c.due[c.order[i - 1]]) inv++;
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
