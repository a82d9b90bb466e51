/* testutil.h: helpers shared by the scheduler's Check suites: size scaling, the
 * failing-allocator hook, a gate that holds a worker, and small references. */
#ifndef ENG_TESTUTIL_H
#define ENG_TESTUTIL_H

#include <check.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine.h"
#include "alloc.h" /* eng__alloc_fail_nth: the suites link the static library */

/* Divides workload sizes: 1 normally, larger under sanitizers or when
 * ENGINE_TEST_SCALE=N asks for N times smaller. */
static inline unsigned tu_scale(void) {
  unsigned s = 1;
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
  s = 20;
#endif
  const char *env = getenv("ENGINE_TEST_SCALE");
  if (env && atoi(env) > 0) s *= (unsigned)atoi(env);
  return s;
}

/* Failing allocator: the nth allocation from now fails (sticky: and every
 * later one); 0 disarms. Returns how many allocations happened since the last
 * call (lets a test enumerate every allocation point of an operation). */
static inline long tu_fail_alloc(long nth, int sticky) { return eng__alloc_fail_nth(nth, sticky); }

static inline void tu_sleep_ns(uint64_t ns) {
  struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};
  nanosleep(&ts, NULL);
}

static inline uint64_t tu_mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A gate task: holds its worker until opened, so a test can fill queues. */
typedef struct tu_gate {
  _Atomic int entered;
  _Atomic int open;
} tu_gate;

static inline void tu_gate_task(void *arg) {
  tu_gate *g = arg;
  atomic_store(&g->entered, 1);
  while (!atomic_load(&g->open)) sched_yield();
}

static inline void tu_gate_wait_entered(tu_gate *g) {
  while (!atomic_load(&g->entered)) sched_yield();
}

/* An engine with n workers and test-friendly defaults. */
static inline eng_engine *tu_engine(unsigned n, int pin, uint32_t cap) {
  eng_config c;
  eng_config_init(&c);
  c.workers = n;
  c.pin = pin;
  if (cap) c.queue_capacity = cap;
  c.stats_sample = 1;
  eng_engine *e = NULL;
  int rc = eng_engine_create(&e, &c);
  ck_assert_int_eq(rc, 0);
  return e;
}

static inline int tu_cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

/* Xorshift64*: reproducible pseudo-random test data. */
static inline uint64_t tu_rand(uint64_t *s) {
  *s ^= *s >> 12;
  *s ^= *s << 25;
  *s ^= *s >> 27;
  return *s * 2685821657736338717ull;
}

#endif
