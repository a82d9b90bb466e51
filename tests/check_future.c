/* check_future.c: futures (values, timeouts, callbacks, cancellation) and groups. */
#include <pthread.h>

#include "testutil.h"

static void *square(void *arg) {
  uintptr_t x = (uintptr_t)arg;
  return (void *)(x * x);
}

START_TEST(futures_return_values) {
  eng_engine *e = tu_engine(2, 1, 256);
  enum { N = 300 };
  eng_future *f[N];
  for (uintptr_t i = 0; i < N; i++) {
    eng_task_opts o;
    eng_task_opts_init(&o);
    o.priority = (eng_priority)(i % ENG_PRIO_COUNT);
    o.flags = ENG_TASK_BLOCK;
    ck_assert_int_eq(eng_async(e, square, (void *)i, &o, &f[i]), 0);
  }
  for (uintptr_t i = 0; i < N; i++) {
    void *r = NULL;
    ck_assert_int_eq(eng_future_wait(f[i], &r), 0);
    ck_assert_uint_eq((uintptr_t)r, i * i);
    ck_assert_int_eq(eng_future_done(f[i]), 1);
    /* Waiting again returns the same. */
    ck_assert_int_eq(eng_future_wait_for(f[i], 0, &r), 0);
    ck_assert_uint_eq((uintptr_t)r, i * i);
    eng_future_release(f[i]);
  }
  /* Release before completion is fine too. */
  for (uintptr_t i = 0; i < 50; i++) {
    eng_future *g;
    ck_assert_int_eq(eng_async(e, square, (void *)i, NULL, &g), 0);
    eng_future_release(g);
  }
  ck_assert_int_eq(eng_engine_destroy(e, ENG_DRAIN_FINISH, NULL), 0);
}
END_TEST

START_TEST(wait_for_times_out) {
  eng_engine *e = tu_engine(1, 0, 64);
  tu_gate g = {0};
  ck_assert_int_eq(eng_task_submit(e, tu_gate_task, &g, NULL), 0);
  tu_gate_wait_entered(&g);
  eng_future *f;
  ck_assert_int_eq(eng_async(e, square, (void *)3, NULL, &f), 0);
  uint64_t t0 = eng_now_ns();
  void *r = (void *)1;
  ck_assert_int_eq(eng_future_wait_for(f, 5000000, &r), ENG_ETIMEDOUT);
  uint64_t el = eng_now_ns() - t0;
  ck_assert_uint_ge(el, 5000000);
  ck_assert_uint_lt(el, 2000000000u);
  ck_assert_ptr_null(r);
  ck_assert_int_eq(eng_future_done(f), 0);
  atomic_store(&g.open, 1);
  ck_assert_int_eq(eng_future_wait(f, &r), 0);
  ck_assert_uint_eq((uintptr_t)r, 9);
  eng_future_release(f);
  ck_assert_int_eq(eng_engine_destroy(e, ENG_DRAIN_FINISH, NULL), 0);
}
END_TEST

typedef struct cbrec {
  _Atomic int calls;
  _Atomic int status;
  _Atomic uintptr_t result;
  _Atomic int on_worker;
  eng_engine *e;
} cbrec;

static void on_done(eng_future *f, int status, void *result, void *ud) {
  (void)f;
  cbrec *c = ud;
  atomic_store(&c->status, status);
  atomic_store(&c->result, (uintptr_t)result);
  atomic_store(&c->on_worker, eng_worker_self(c->e));
  atomic_fetch_add(&c->calls, 1);
}

START_TEST(then_callbacks) {
  eng_engine *e = tu_engine(1, 0, 64);
  tu_gate g = {0};
  ck_assert_int_eq(eng_task_submit(e, tu_gate_task, &g, NULL), 0);
  tu_gate_wait_entered(&g);
  eng_future *f;
  ck_assert_int_eq(eng_async(e, square, (void *)6, NULL, &f), 0);
  cbrec c = {0};
  c.e = e;
  ck_assert_int_eq(eng_future_then(f, on_done, &c), 0);
  ck_assert_int_eq(eng_future_then(f, on_done, &c), ENG_EBUSY);
  ck_assert_int_eq(atomic_load(&c.calls), 0);
  atomic_store(&g.open, 1);
  ck_assert_int_eq(eng_future_wait(f, NULL), 0);
  ck_assert_int_eq(eng_wait_idle(e), 0);
  ck_assert_int_eq(atomic_load(&c.calls), 1);
  ck_assert_int_eq(atomic_load(&c.status), 0);
  ck_assert_uint_eq(atomic_load(&c.result), 36);
  ck_assert_int_eq(atomic_load(&c.on_worker), 0); /* ran on the completing worker */
  /* Already complete: runs at once on this thread. */
  cbrec d = {0};
  d.e = e;
  eng_future *f2;
  ck_assert_int_eq(eng_async(e, square, (void *)5, NULL, &f2), 0);
  ck_assert_int_eq(eng_future_wait(f2, NULL), 0);
  ck_assert_int_eq(eng_future_then(f2, on_done, &d), 0);
  ck_assert_int_eq(atomic_load(&d.calls), 1);
  ck_assert_uint_eq(atomic_load(&d.result), 25);
  ck_assert_int_eq(atomic_load(&d.on_worker), -1);
  eng_future_release(f);
  eng_future_release(f2);
  ck_assert_int_eq(eng_engine_destroy(e, ENG_DRAIN_FINISH, NULL), 0);
}
END_TEST

static _Atomic int cancel_ran;
static void *mark_ran(void *arg) {
  atomic_fetch_add(&cancel_ran, 1);
  return arg;
}

static void *gate_call(void *arg) {
  tu_gate_task(arg);
  return arg;
}

START_TEST(cancel_wins_only_before_start) {
  eng_engine *e = tu_engine(1, 0, 64);
  tu_gate g = {0};
  atomic_store(&cancel_ran, 0);
  eng_group *grp;
  ck_assert_int_eq(eng_group_create(e, &grp), 0);
  ck_assert_int_eq(eng_task_submit(e, tu_gate_task, &g, NULL), 0);
  tu_gate_wait_entered(&g);
  eng_task_opts o;
  eng_task_opts_init(&o);
  o.group = grp;
  eng_future *f;
  ck_assert_int_eq(eng_async(e, mark_ran, NULL, &o, &f), 0);
  cbrec c = {0};
  c.e = e;
  ck_assert_int_eq(eng_future_then(f, on_done, &c), 0);
  ck_assert_int_eq(eng_future_cancel(f), 1);
  ck_assert_int_eq(eng_future_cancel(f), 0); /* already complete */
  ck_assert_int_eq(eng_future_done(f), 1);
  ck_assert_int_eq(eng_future_wait(f, NULL), ENG_ECANCELED);
  ck_assert_int_eq(atomic_load(&c.calls), 1);
  ck_assert_int_eq(atomic_load(&c.status), ENG_ECANCELED);
  ck_assert_uint_eq(eng_group_pending(grp), 0);
  /* A running task cannot be cancelled: this one holds its worker. */
  atomic_store(&g.open, 1);
  tu_gate g2 = {0};
  eng_future *running;
  ck_assert_int_eq(eng_async(e, gate_call, &g2, NULL, &running), 0);
  tu_gate_wait_entered(&g2);
  ck_assert_int_eq(eng_future_cancel(running), 0);
  atomic_store(&g2.open, 1);
  void *r = NULL;
  ck_assert_int_eq(eng_future_wait(running, &r), 0);
  ck_assert_ptr_eq(r, &g2);
  ck_assert_int_eq(eng_future_cancel(running), 0); /* nor a completed one */
  eng_future_release(running);
  ck_assert_int_eq(eng_wait_idle(e), 0);
  ck_assert_int_eq(atomic_load(&cancel_ran), 0); /* the cancelled one never ran */
  ck_assert_int_eq(eng_group_wait(grp), ENG_ECANCELED);
  eng_stats s;
  eng_stats_read(e, &s, 0);
  ck_assert_uint_eq(s.total.cancelled, 1);
  eng_future_release(f);
  eng_group_destroy(grp);
  ck_assert_int_eq(eng_engine_destroy(e, ENG_DRAIN_FINISH, NULL), 0);
}
END_TEST

/* Cancel racing with the workers: each cancel either wins (never runs) or
 * loses (ran exactly once). */
static _Atomic uint8_t race_ran[4096];
static void *race_task(void *arg) {
  atomic_fetch_add(&race_ran[(uintptr_t)arg], 1);
  return NULL;
}

START_TEST(cancel_race_is_exact) {
  eng_engine *e = tu_engine(2, 1, 4096);
  unsigned n = 4096 / (tu_scale() > 1 ? 4 : 1);
  static eng_future *f[4096];
  for (uintptr_t i = 0; i < n; i++) {
    atomic_store(&race_ran[i], 0);
    eng_task_opts o;
    eng_task_opts_init(&o);
    o.flags = ENG_TASK_BLOCK;
    ck_assert_int_eq(eng_async(e, race_task, (void *)i, &o, &f[i]), 0);
  }
  int won[4096];
  for (unsigned i = 0; i < n; i++) won[i] = eng_future_cancel(f[i]);
  ck_assert_int_eq(eng_wait_idle(e), 0);
  unsigned nwon = 0;
  for (unsigned i = 0; i < n; i++) {
    int rc = eng_future_wait(f[i], NULL);
    if (won[i] == 1) {
      nwon++;
      ck_assert_int_eq(rc, ENG_ECANCELED);
      ck_assert_int_eq(atomic_load(&race_ran[i]), 0);
    } else {
      ck_assert_int_eq(won[i], 0);
      ck_assert_int_eq(rc, 0);
      ck_assert_int_eq(atomic_load(&race_ran[i]), 1);
    }
    eng_future_release(f[i]);
  }
  eng_stats s;
  eng_stats_read(e, &s, 0);
  ck_assert_uint_eq(s.total.cancelled, nwon);
  ck_assert_uint_eq(s.total.executed, n - nwon);
  ck_assert_int_eq(eng_engine_destroy(e, ENG_DRAIN_FINISH, NULL), 0);
}
END_TEST

static _Atomic uint64_t gsum;
static void add_task(void *arg) { atomic_fetch_add(&gsum, (uintptr_t)arg); }

START_TEST(groups_wait_for_all) {
  eng_engine *e = tu_engine(2, 1, 256);
  eng_group *g;
  ck_assert_int_eq(eng_group_create(e, &g), 0);
  ck_assert_int_eq(eng_group_wait(g), 0); /* empty group */
  atomic_store(&gsum, 0);
  eng_task_opts o;
  eng_task_opts_init(&o);
  o.group = g;
  o.flags = ENG_TASK_BLOCK;
  for (uintptr_t i = 1; i <= 1000; i++) {
    o.priority = (eng_priority)(i % ENG_PRIO_COUNT);
    o.delay_ns = i % 100 == 0 ? 2000000 : 0;
    ck_assert_int_eq(eng_task_submit(e, add_task, (void *)i, &o), 0);
  }
  ck_assert_int_eq(eng_group_wait(g), 0);
  ck_assert_uint_eq(atomic_load(&gsum), 1000 * 1001 / 2);
  ck_assert_uint_eq(eng_group_pending(g), 0);
  /* wait_for times out while a member is held. */
  tu_gate gate = {0};
  ck_assert_int_eq(eng_task_submit(e, tu_gate_task, &gate, &o), 0);
  ck_assert_uint_eq(eng_group_pending(g), 1);
  ck_assert_int_eq(eng_group_wait_for(g, 3000000), ENG_ETIMEDOUT);
  atomic_store(&gate.open, 1);
  ck_assert_int_eq(eng_group_wait_for(g, 10ull * 1000000000u), 0);
  /* A group of another engine is refused. */
  eng_engine *e2 = tu_engine(1, 0, 16);
  ck_assert_int_eq(eng_task_submit(e2, add_task, NULL, &o), ENG_EINVAL);
  ck_assert_int_eq(eng_engine_destroy(e2, ENG_DRAIN_FINISH, NULL), 0);
  eng_group_destroy(g);
  ck_assert_int_eq(eng_engine_destroy(e, ENG_DRAIN_FINISH, NULL), 0);
}
END_TEST

static eng_engine *we;
static _Atomic int wait_rc = 1;
static void wait_in_worker(void *arg) {
  eng_future *f = arg;
  atomic_store(&wait_rc, eng_future_wait(f, NULL));
}

START_TEST(blocking_wait_from_worker_is_misuse) {
  we = tu_engine(2, 0, 64);
  tu_gate g = {0};
  eng_future *f;
  /* f cannot complete while the gate holds: a wait on it from a worker is refused. */
  ck_assert_int_eq(eng_async(we, square, (void *)1, NULL, &f), 0);
  ck_assert_int_eq(eng_future_wait(f, NULL), 0);
  ck_assert_int_eq(eng_task_submit(we, wait_in_worker, f, NULL), 0);
  ck_assert_int_eq(eng_wait_idle(we), 0);
  ck_assert_int_eq(atomic_load(&wait_rc), 0); /* complete: fine from a worker */
  eng_future_release(f);
  ck_assert_int_eq(eng_task_submit(we, tu_gate_task, &g, NULL), 0);
  tu_gate_wait_entered(&g);
  eng_task_opts o;
  eng_task_opts_init(&o);
  o.delay_ns = 20000000;
  ck_assert_int_eq(eng_async(we, square, (void *)1, &o, &f), 0);
  atomic_store(&wait_rc, 1);
  ck_assert_int_eq(eng_task_submit(we, wait_in_worker, f, NULL), 0);
  while (atomic_load(&wait_rc) == 1) tu_sleep_ns(100000);
  ck_assert_int_eq(atomic_load(&wait_rc), ENG_EMISUSE);
  atomic_store(&g.open, 1);
  ck_assert_int_eq(eng_future_wait(f, NULL), 0);
  eng_future_release(f);
  ck_assert_int_eq(eng_engine_destroy(we, ENG_DRAIN_FINISH, NULL), 0);
}
END_TEST

int main(void) {
  Suite *s = suite_create("future");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, futures_return_values);
  tcase_add_test(tc, wait_for_times_out);
  tcase_add_test(tc, then_callbacks);
  tcase_add_test(tc, cancel_wins_only_before_start);
  tcase_add_test(tc, cancel_race_is_exact);
  tcase_add_test(tc, groups_wait_for_all);
  tcase_add_test(tc, blocking_wait_from_worker_is_misuse);
  suite_add_tcase(s, tc);
  SRunner *r = srunner_create(s);
  srunner_run_all(r, CK_NORMAL);
  int failed = srunner_ntests_failed(r);
  srunner_free(r);
  return failed ? 1 : 0;
}
