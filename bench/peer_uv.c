/* peer_uv.c: the libuv peer for the event-loop rows (callbacks, timers, loop iterations). */
#include <stdlib.h>
#include <time.h>
#include <uv.h>

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
    c.due[i] = mono_ns() + (uint64_t)delay_ms[i] * 1000000u;
    uv_timer_start(&c.timers[i], on_timer, delay_ms[i], 0);
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  for (uint64_t i = 1; i < c.ran; i++)
    if (c.due[c.order[i]] < c.due[c.order[i - 1]]) inv++;
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
