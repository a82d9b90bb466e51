/* check_priority.c: dispatch order on one worker: priorities, the starvation bound, EDF, continuations. */
#include <stdio.h>

#include "testutil.h"

enum { MAXLOG = 4096 };
static _Atomic unsigned nlog;
static uintptr_t order_log[MAXLOG];
static eng_engine *pe;

static void log_task(void *arg) {
  unsigned i = atomic_fetch_add(&nlog, 1);
  if (i < MAXLOG) order_log[i] = (uintptr_t)arg;
}

/* One worker held by a gate while the queues fill; returns the engine. */
static eng_engine *held_engine(tu_gate *g, unsigned limit) {
  eng_config c;
  eng_config_init(&c);
  c.workers = 1;
  c.pin = 0;
  c.queue_capacity = 1024;
  c.starvation_limit = limit;
  eng_engine *e = NULL;
  ck_assert_int_eq(eng_engine_create(&e, &c), 0);
  memset(g, 0, sizeof *g);
  atomic_store(&nlog, 0);
  ck_assert_int_eq(eng_task_submit(e, tu_gate_task, g, NULL), 0);
  tu_gate_wait_entered(g);
  return e;
}

static void submit_prio(eng_engine *e, eng_priority p, uintptr_t tag, uint64_t deadline) {
  eng_task_opts o;
  eng_task_opts_init(&o);
  o.priority = p;
  o.deadline_ns = deadline;
  ck_assert_int_eq(eng_task_submit(e, log_task, (void *)tag, &o), 0);
}

START_TEST(priority_order_one_worker) {
  tu_gate g;
  eng_engine *e = held_engine(&g, 100000); /* bound out of the way */
  uint64_t seed = 42;
  enum { N = 500 };
  unsigned per[ENG_PRIO_COUNT] = {0};
  for (unsigned i = 0; i < N; i++) {
    eng_priority p = (eng_priority)(tu_rand(&seed) % ENG_PRIO_COUNT);
    /* tag = priority * 10000 + submission index within its priority */
    submit_prio(e, p, (uintptr_t)p * 10000 + per[p]++, 0);
  }
  atomic_store(&g.open, 1);
  ck_assert_int_eq(eng_wait_idle(e), 0);
  ck_assert_uint_eq(atomic_load(&nlog), N);
  /* Non-decreasing priority; FIFO within a priority for foreign submits. */
  for (unsigned i = 1; i < N; i++) {
    uintptr_t a = order_log[i - 1], b = order_log[i];
    ck_assert_uint_le(a / 10000, b / 10000);
    if (a / 10000 == b / 10000) ck_assert_uint_eq(a + 1, b);
  }
  ck_assert_int_eq(eng_engine_destroy(e, ENG_DRAIN_FINISH, NULL), 0);
}
END_TEST

START_TEST(starvation_bound_holds) {
  const unsigned L = 8;
  tu_gate g;
  eng_engine *e = held_engine(&g, L);
  enum { NH = 300 };
  for (unsigned i = 0; i < NH; i++) submit_prio(e, ENG_PRIO_HIGH, 1, 0);
  submit_prio(e, ENG_PRIO_BACKGROUND, 2, 0);
  for (unsigned i = 0; i < NH; i++) submit_prio(e, ENG_PRIO_CRITICAL, 0, 0);
  atomic_store(&g.open, 1);
  ck_assert_int_eq(eng_wait_idle(e), 0);
  ck_assert_uint_eq(atomic_load(&nlog), 2 * NH + 1);
  unsigned pos = 0;
  while (order_log[pos] != 2) pos++;
  /* The background task waited at most L + 3 higher-priority dispatches
   * (docs/c-api.md, "Starvation bound"). */
  ck_assert_uint_le(pos, L + 3);
  ck_assert_uint_ge(pos, 1);
  /* High tasks are not starved by critical ones either: the first high one
   * runs within the bound as well. */
  unsigned firsthigh = 0;
  while (order_log[firsthigh] != 1) firsthigh++;
  ck_assert_uint_le(firsthigh, L + 3);
  /* Between forced turns, strict priority: after the first high task, the
   * next L dispatches include no further high task unless critical ran out. */
  unsigned crit_before_last_high = 0, last_high = 0;
  for (unsigned i = 0; i < 2 * NH + 1; i++)
    if (order_log[i] == 1) last_high = i;
  for (unsigned i = 0; i < last_high; i++)
    if (order_log[i] == 0) crit_before_last_high++;
  /* Critical work went first overall: all of it before the last high task
   * unless high got only its bounded share. */
  ck_assert_uint_ge(crit_before_last_high, NH - NH / L - 2);
  ck_assert_int_eq(eng_engine_destroy(e, ENG_DRAIN_FINISH, NULL), 0);
}
END_TEST

START_TEST(edf_order_within_priority) {
  tu_gate g;
  eng_engine *e = held_engine(&g, 100000);
  uint64_t base = eng_now_ns() + 60ull * 1000000000u; /* far ahead: no misses */
  uint64_t seed = 7;
  enum { N = 200 };
  for (unsigned i = 0; i < N; i++) {
    uint64_t d = tu_rand(&seed) % 1000000;
    submit_prio(e, ENG_PRIO_NORMAL, (uintptr_t)(d + 1), base + d * 1000);
    if (i % 4 == 0) submit_prio(e, ENG_PRIO_NORMAL, 0, 0); /* no deadline */
  }
  submit_prio(e, ENG_PRIO_HIGH, 5000000, 0); /* a higher priority still goes first */
  atomic_store(&g.open, 1);
  ck_assert_int_eq(eng_wait_idle(e), 0);
  unsigned n = atomic_load(&nlog);
  ck_assert_uint_eq(n, N + N / 4 + 1);
  ck_assert_uint_eq(order_log[0], 5000000);
  /* Deadline tasks earliest first, all before the ones without deadline. */
  for (unsigned i = 2; i <= N; i++) ck_assert_uint_le(order_log[i - 1], order_log[i]);
  for (unsigned i = N + 1; i < n; i++) ck_assert_uint_eq(order_log[i], 0);
  eng_stats s;
  eng_stats_read(e, &s, 0);
  ck_assert_uint_eq(s.total.deadline_misses, 0);
  ck_assert_int_eq(eng_engine_destroy(e, ENG_DRAIN_FINISH, NULL), 0);
}
END_TEST

/* Continuations: a task submitting from a worker runs its child next. */
static void chain_task(void *arg) {
  uintptr_t k = (uintptr_t)arg;
  log_task(arg);
  if (k % 100 < 9) {
    eng_task_opts o;
    eng_task_opts_init(&o);
    ck_assert_int_eq(eng_task_submit(pe, chain_task, (void *)(k + 1), &o), 0);
  }
}

START_TEST(continuations_bounded_by_slot_limit) {
  tu_gate g;
  eng_config c;
  eng_config_init(&c);
  c.workers = 1;
  c.pin = 0;
  c.next_slot_limit = 3;
  eng_engine *e = NULL;
  ck_assert_int_eq(eng_engine_create(&e, &c), 0);
  pe = e;
  memset(&g, 0, sizeof g);
  atomic_store(&nlog, 0);
  ck_assert_int_eq(eng_task_submit(e, tu_gate_task, &g, NULL), 0);
  tu_gate_wait_entered(&g);
  /* Two chains of 10 (tags 0..9 and 100..109) plus plain tasks (1000+). */
  ck_assert_int_eq(eng_task_submit(e, chain_task, (void *)(uintptr_t)0, NULL), 0);
  for (uintptr_t i = 0; i < 20; i++) submit_prio(e, ENG_PRIO_NORMAL, 1000 + i, 0);
  atomic_store(&g.open, 1);
  ck_assert_int_eq(eng_wait_idle(e), 0);
  unsigned n = atomic_load(&nlog);
  ck_assert_uint_eq(n, 30);
  /* Each chain link ran, in order. */
  uintptr_t expect = 0;
  unsigned run = 0, maxrun = 0;
  for (unsigned i = 0; i < n; i++) {
    if (order_log[i] < 1000) {
      ck_assert_uint_eq(order_log[i], expect++);
      if (i > 0 && order_log[i - 1] < 1000) run++;
      else run = 0;
      if (run > maxrun) maxrun = run;
    }
  }
  ck_assert_uint_eq(expect, 10);
  /* The slot runs continuations back to back at most next_slot_limit times
   * before other queued work gets a turn. */
  ck_assert_uint_le(maxrun, 3);
  ck_assert_int_eq(eng_engine_destroy(e, ENG_DRAIN_FINISH, NULL), 0);
}
END_TEST

int main(void) {
  Suite *s = suite_create("priority");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, priority_order_one_worker);
  tcase_add_test(tc, starvation_bound_holds);
  tcase_add_test(tc, edf_order_within_priority);
  tcase_add_test(tc, continuations_bounded_by_slot_limit);
  suite_add_tcase(s, tc);
  SRunner *r = srunner_create(s);
  srunner_run_all(r, CK_NORMAL);
  int failed = srunner_ntests_failed(r);
  srunner_free(r);
  return failed ? 1 : 0;
}
