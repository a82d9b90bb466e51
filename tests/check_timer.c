/* check_timer.c: delayed tasks, periodic tasks and timer handles, deadline misses and drop-late. */
#include <pthread.h>

#include "testutil.h"

typedef struct stamp {
  uint64_t submit_ns, delay_ns;
  _Atomic uint64_t ran_ns;
} stamp;

static void stamp_task(void *arg) {
  stamp *s = arg;
  atomic_store(&s->ran_ns, eng_now_ns());
}

START_TEST(delayed_never_early) {
  eng_engine *e = tu_engine(2, 1, 256);
  enum { N = 60 };
  static stamp st[N];
  uint64_t seed = 3;
  for (unsigned i = 0; i < N; i++) {
    eng_task_opts o;
    eng_task_opts_init(&o);
    o.delay_ns = 100000 + tu_rand(&seed) % 20000000; /* 0.1 .. 20 ms */
    o.priority = (eng_priority)(i % ENG_PRIO_COUNT);
    st[i].delay_ns = o.delay_ns;
    atomic_store(&st[i].ran_ns, 0);
    st[i].submit_ns = eng_now_ns();
    ck_assert_int_eq(eng_task_submit(e, stamp_task, &st[i], &o), 0);
  }
  ck_assert_int_eq(eng_wait_idle(e), 0); /* includes delayed tasks */
  for (unsigned i = 0; i < N; i++) {
    uint64_t ran = atomic_load(&st[i].ran_ns);
    ck_assert_uint_ne(ran, 0);
    ck_assert_uint_ge(ran, st[i].submit_ns + st[i].delay_ns);
  }
  ck_assert_int_eq(eng_engine_destroy(e, ENG_DRAIN_FINISH, NULL), 0);
}
END_TEST

/* Delayed tasks submitted from inside a worker go to its own timer heap. */
static eng_engine *te;
static stamp inner[20];
static void submit_inner(void *arg) {
  (void)arg;
  for (unsigned i = 0; i < 20; i++) {
    eng_task_opts o;
    eng_task_opts_init(&o);
    o.delay_ns = 1000000 + i * 500000;
    inner[i].delay_ns = o.delay_ns;
    inner[i].submit_ns = eng_now_ns();
    ck_assert_int_eq(eng_task_submit(te, stamp_task, &inner[i], &o), 0);
  }
}

START_TEST(delayed_from_worker) {
  te = tu_engine(2, 1, 256);
  ck_assert_int_eq(eng_task_submit(te, submit_inner, NULL, NULL), 0);
  ck_assert_int_eq(eng_wait_idle(te), 0);
  for (unsigned i = 0; i < 20; i++) {
    uint64_t ran = atomic_load(&inner[i].ran_ns);
    ck_assert_uint_ge(ran, inner[i].submit_ns + inner[i].delay_ns);
  }
  ck_assert_int_eq(eng_engine_destroy(te, ENG_DRAIN_FINISH, NULL), 0);
}
END_TEST

static _Atomic uint64_t ticks;
static _Atomic uint64_t tick_ns[64];
static void tick_task(void *arg) {
  (void)arg;
  uint64_t i = atomic_fetch_add(&ticks, 1);
  if (i < 64) atomic_store(&tick_ns[i], eng_now_ns());
}

START_TEST(periodic_exact_count) {
  eng_engine *e = tu_engine(2, 1, 256);
  atomic_store(&ticks, 0);
  eng_task_opts o;
  eng_task_opts_init(&o);
  o.delay_ns = 1000000;
  o.period_ns = 2000000;
  o.count = 10;
  uint64_t t0 = eng_now_ns();
  eng_timer *t = NULL;
  ck_assert_int_eq(eng_timer_start(e, tick_task, NULL, &o, &t), 0);
  while (atomic_load(&ticks) < 10) tu_sleep_ns(1000000);
  tu_sleep_ns(10000000); /* five more periods: no extra tick may come */
  ck_assert_uint_eq(atomic_load(&ticks), 10);
  /* Fixed rate: tick k is due at t0 + delay + k * period, never before. */
  for (unsigned k = 0; k < 10; k++)
    ck_assert_uint_ge(atomic_load(&tick_ns[k]), t0 + o.delay_ns + k * o.period_ns);
  uint64_t runs = 0;
  ck_assert_int_eq(eng_timer_stop(t, &runs), 0);
  ck_assert_uint_eq(runs, 10);

  /* Unlimited periodic task stopped by hand; a submit with period works too. */
  atomic_store(&ticks, 0);
  o.delay_ns = 0;
  o.period_ns = 1000000;
  o.count = 0;
  ck_assert_int_eq(eng_timer_start(e, tick_task, NULL, &o, &t), 0);
  while (atomic_load(&ticks) < 5) tu_sleep_ns(500000);
  ck_assert_int_eq(eng_timer_stop(t, &runs), 0);
  uint64_t after = atomic_load(&ticks);
  ck_assert_uint_eq(runs, after);
  ck_assert_uint_ge(runs, 5);
  tu_sleep_ns(5000000);
  ck_assert_uint_eq(atomic_load(&ticks), after); /* nothing after stop returned */

  atomic_store(&ticks, 0);
  o.count = 3;
  ck_assert_int_eq(eng_task_submit(e, tick_task, NULL, &o), 0);
  while (atomic_load(&ticks) < 3) tu_sleep_ns(500000);
  tu_sleep_ns(5000000);
  ck_assert_uint_eq(atomic_load(&ticks), 3);
  /* Periodic tasks do not hold up wait_idle. */
  ck_assert_int_eq(eng_wait_idle(e), 0);
  ck_assert_int_eq(eng_engine_destroy(e, ENG_DRAIN_FINISH, NULL), 0);
}
END_TEST

START_TEST(timer_stop_before_first_run) {
  eng_engine *e = tu_engine(1, 0, 64);
  atomic_store(&ticks, 0);
  eng_task_opts o;
  eng_task_opts_init(&o);
  o.delay_ns = 50000000;
  eng_timer *t = NULL;
  ck_assert_int_eq(eng_timer_start(e, tick_task, NULL, &o, &t), 0);
  uint64_t runs = 99;
  ck_assert_int_eq(eng_timer_stop(t, &runs), 0);
  ck_assert_uint_eq(runs, 0);
  /* A pending periodic timer does not keep destroy waiting. */
  o.delay_ns = 10ull * 1000000000u;
  o.period_ns = 1000000000u;
  ck_assert_int_eq(eng_timer_start(e, tick_task, NULL, &o, &t), 0);
  uint64_t t0 = eng_now_ns();
  ck_assert_int_eq(eng_engine_destroy(e, ENG_DRAIN_FINISH, NULL), 0);
  ck_assert_uint_lt(eng_now_ns() - t0, 1000000000u);
  /* The handle outlives the engine. */
  ck_assert_int_eq(eng_timer_stop(t, &runs), 0);
  ck_assert_uint_eq(runs, 0);
  ck_assert_uint_eq(atomic_load(&ticks), 0);
}
END_TEST

static eng_timer *self_timer;
static _Atomic int self_stop_rc = 1;
static void self_stop_task(void *arg) {
  (void)arg;
  eng_timer *t;
  while (!(t = __atomic_load_n(&self_timer, __ATOMIC_ACQUIRE))) sched_yield();
  atomic_store(&self_stop_rc, eng_timer_stop(t, NULL));
}

START_TEST(timer_stop_from_own_callback_is_misuse) {
  eng_engine *e = tu_engine(1, 0, 64);
  eng_task_opts o;
  eng_task_opts_init(&o);
  o.delay_ns = 1000000;
  eng_timer *t = NULL;
  ck_assert_int_eq(eng_timer_start(e, self_stop_task, NULL, &o, &t), 0);
  __atomic_store_n(&self_timer, t, __ATOMIC_RELEASE);
  while (atomic_load(&self_stop_rc) == 1) tu_sleep_ns(1000000);
  ck_assert_int_eq(atomic_load(&self_stop_rc), ENG_EMISUSE);
  ck_assert_int_eq(eng_timer_stop(t, NULL), 0);
  ck_assert_int_eq(eng_engine_destroy(e, ENG_DRAIN_FINISH, NULL), 0);
}
END_TEST

static _Atomic int late_ran;
static void late_task(void *arg) {
  (void)arg;
  atomic_fetch_add(&late_ran, 1);
}
static void *late_call(void *arg) {
  late_task(arg);
  return arg;
}

START_TEST(deadline_misses_and_drop_late) {
  eng_engine *e = tu_engine(1, 0, 64);
  tu_gate g = {0};
  atomic_store(&late_ran, 0);
  ck_assert_int_eq(eng_task_submit(e, tu_gate_task, &g, NULL), 0);
  tu_gate_wait_entered(&g);
  uint64_t now = eng_now_ns();
  eng_task_opts o;
  eng_task_opts_init(&o);
  o.deadline_ns = now + 1000000; /* 1 ms: the gate holds 20 ms */
  for (int i = 0; i < 3; i++) ck_assert_int_eq(eng_task_submit(e, late_task, NULL, &o), 0);
  o.flags = ENG_TASK_DROP_LATE;
  for (int i = 0; i < 2; i++) ck_assert_int_eq(eng_task_submit(e, late_task, NULL, &o), 0);
  eng_future *f = NULL;
  ck_assert_int_eq(eng_async(e, late_call, NULL, &o, &f), 0);
  eng_task_opts ok;
  eng_task_opts_init(&ok);
  ok.deadline_ns = now + 60ull * 1000000000u;
  ok.flags = ENG_TASK_DROP_LATE;
  ck_assert_int_eq(eng_task_submit(e, late_task, NULL, &ok), 0);
  tu_sleep_ns(20000000);
  atomic_store(&g.open, 1);
  ck_assert_int_eq(eng_future_wait(f, NULL), ENG_EDEADLINE);
  eng_future_release(f);
  ck_assert_int_eq(eng_wait_idle(e), 0);
  /* 3 late ran anyway, 3 late dropped, 1 on time ran. */
  ck_assert_int_eq(atomic_load(&late_ran), 4);
  eng_stats s;
  eng_stats_read(e, &s, 0);
  ck_assert_uint_eq(s.total.deadline_misses, 6);
  ck_assert_uint_eq(s.total.cancelled, 3);
  ck_assert_uint_eq(s.total.executed, 5); /* gate + 4 */
  ck_assert_int_eq(eng_engine_destroy(e, ENG_DRAIN_FINISH, NULL), 0);
}
END_TEST

int main(void) {
  Suite *s = suite_create("timer");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, delayed_never_early);
  tcase_add_test(tc, delayed_from_worker);
  tcase_add_test(tc, periodic_exact_count);
  tcase_add_test(tc, timer_stop_before_first_run);
  tcase_add_test(tc, timer_stop_from_own_callback_is_misuse);
  tcase_add_test(tc, deadline_misses_and_drop_late);
  suite_add_tcase(s, tc);
  SRunner *r = srunner_create(s);
  srunner_run_all(r, CK_NORMAL);
  int failed = srunner_ntests_failed(r);
  srunner_free(r);
  return failed ? 1 : 0;
}
