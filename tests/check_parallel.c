/* check_parallel.c: eng__parallel_for runs every item exactly once, keeps a foreign caller off the cores, and cleans up. */
#include <pthread.h>

#include "testutil.h"
#include "parallel.h"

enum { N_ITEMS = 20000 };

typedef struct job {
  eng_engine *e;
  _Atomic uint8_t ran[N_ITEMS];
  _Atomic unsigned on_foreign; /* items run by a thread that is not a worker */
  size_t fail_at;              /* item that returns ENG_EINVAL, or N_ITEMS */
} job;

static int count_item(void *ctx, size_t i, void **scratch) {
  job *j = ctx;
  (void)scratch;
  atomic_fetch_add(&j->ran[i], 1);
  if (j->e == NULL || eng_worker_self(j->e) < 0) atomic_fetch_add(&j->on_foreign, 1);
  return i == j->fail_at ? ENG_EINVAL : 0;
}

static job *job_new(eng_engine *e) {
  job *j = calloc(1, sizeof *j);
  ck_assert_ptr_nonnull(j);
  j->e = e;
  j->fail_at = N_ITEMS;
  return j;
}

static void assert_each_once(job *j, size_t count) {
  for (size_t i = 0; i < count; i++) ck_assert_msg(atomic_load(&j->ran[i]) == 1, "item %zu ran %u times", i,
                                                   (unsigned)atomic_load(&j->ran[i]));
  for (size_t i = count; i < N_ITEMS; i++) ck_assert_int_eq(atomic_load(&j->ran[i]), 0);
}

START_TEST(foreign_caller_only_waits) {
  eng_engine *e = tu_engine(2, 0, 0);
  job *j = job_new(e);
  ck_assert_int_eq(eng__parallel_for(e, N_ITEMS, count_item, j, NULL, NULL), 0);
  assert_each_once(j, N_ITEMS);
  /* The helpers were queued, so the caller left every item to the workers. */
  ck_assert_int_eq(atomic_load(&j->on_foreign), 0);
  free(j);
  ck_assert_int_eq(eng_engine_destroy(e, ENG_DRAIN_FINISH, NULL), 0);
}
END_TEST

static _Atomic int inner_rc = 1;
static void run_inside(void *arg) {
  job *j = arg;
  atomic_store(&inner_rc, eng__parallel_for(j->e, 777, count_item, j, NULL, NULL));
}

START_TEST(worker_caller_participates) {
  eng_engine *e = tu_engine(2, 0, 0);
  job *j = job_new(e);
  ck_assert_int_eq(eng_task_submit(e, run_inside, j, NULL), 0);
  ck_assert_int_eq(eng_wait_idle(e), 0);
  ck_assert_int_eq(atomic_load(&inner_rc), 0);
  assert_each_once(j, 777);
  ck_assert_int_eq(atomic_load(&j->on_foreign), 0);
  free(j);
  ck_assert_int_eq(eng_engine_destroy(e, ENG_DRAIN_CANCEL, NULL), 0);
}
END_TEST

START_TEST(first_error_and_every_item) {
  eng_engine *e = tu_engine(2, 0, 0);
  job *j = job_new(e);
  j->fail_at = 1234;
  ck_assert_int_eq(eng__parallel_for(e, 5000, count_item, j, NULL, NULL), ENG_EINVAL);
  assert_each_once(j, 5000); /* an error does not lose the other items */
  free(j);
  ck_assert_int_eq(eng__parallel_for(e, 0, count_item, NULL, NULL, NULL), 0);
  ck_assert_int_eq(eng_engine_destroy(e, ENG_DRAIN_FINISH, NULL), 0);
}
END_TEST

START_TEST(no_engine_runs_serially) {
  job *j = job_new(NULL);
  ck_assert_int_eq(eng__parallel_for(NULL, 300, count_item, j, NULL, NULL), 0);
  assert_each_once(j, 300);
  ck_assert_int_eq(atomic_load(&j->on_foreign), 300);
  free(j);
}
END_TEST

/* Scratch: made once per participant, handed back on each of its items, freed once. */
static _Atomic int scratch_made, scratch_freed;
static int scratch_item(void *ctx, size_t i, void **scratch) {
  (void)ctx;
  (void)i;
  if (*scratch == NULL) {
    *scratch = malloc(64);
    if (*scratch == NULL) return ENG_ENOMEM;
    atomic_fetch_add(&scratch_made, 1);
  }
  return 0;
}
static void scratch_free(void *p) {
  atomic_fetch_add(&scratch_freed, 1);
  free(p);
}

START_TEST(scratch_per_participant) {
  eng_engine *e = tu_engine(2, 0, 0);
  for (int round = 0; round < 50; round++)
    ck_assert_int_eq(eng__parallel_for(e, 1000, scratch_item, NULL, scratch_free, NULL), 0);
  /* Helpers that start after the last item finish free nothing they never made. */
  ck_assert_int_eq(eng_wait_idle(e), 0);
  ck_assert_int_eq(atomic_load(&scratch_made), atomic_load(&scratch_freed));
  ck_assert_int_le(atomic_load(&scratch_made), 50 * 2);
  ck_assert_int_ge(atomic_load(&scratch_made), 50);
  ck_assert_int_eq(eng_engine_destroy(e, ENG_DRAIN_FINISH, NULL), 0);
}
END_TEST

static void noop(void *arg) { (void)arg; }

START_TEST(full_queue_caller_does_the_work) {
  eng_engine *e = tu_engine(1, 0, 4);
  tu_gate g = {0};
  ck_assert_int_eq(eng_task_submit(e, tu_gate_task, &g, NULL), 0);
  tu_gate_wait_entered(&g);
  int rc, queued = 0;
  while ((rc = eng_task_submit(e, noop, NULL, NULL)) == 0) queued++;
  ck_assert_int_eq(rc, ENG_EAGAIN);
  job *j = job_new(e);
  ck_assert_int_eq(eng__parallel_for(e, 100, count_item, j, NULL, NULL), 0);
  assert_each_once(j, 100);
  ck_assert_int_eq(atomic_load(&j->on_foreign), 100); /* no helper fit: all on the caller */
  atomic_store(&g.open, 1);
  ck_assert_int_eq(eng_wait_idle(e), 0);
  free(j);
  eng_drain_report rep;
  ck_assert_int_eq(eng_engine_destroy(e, ENG_DRAIN_FINISH, &rep), 0);
  ck_assert_int_gt(queued, 0);
}
END_TEST

/* A helper still queued behind a held worker when the items are done is
 * cancelled; destroying the engine afterwards leaks nothing (LeakSanitizer). */
START_TEST(queued_helpers_are_reaped) {
  eng_engine *e = tu_engine(2, 0, 0);
  for (int round = 0; round < 20; round++) {
    tu_gate g = {0};
    ck_assert_int_eq(eng_task_submit(e, tu_gate_task, &g, NULL), 0);
    tu_gate_wait_entered(&g);
    job *j = job_new(e);
    ck_assert_int_eq(eng__parallel_for(e, 200, count_item, j, NULL, NULL), 0);
    assert_each_once(j, 200);
    atomic_store(&g.open, 1);
    free(j);
    ck_assert_int_eq(eng_wait_idle(e), 0);
  }
  ck_assert_int_eq(eng_engine_destroy(e, ENG_DRAIN_CANCEL, NULL), 0);
}
END_TEST

int main(void) {
  Suite *s = suite_create("parallel");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, foreign_caller_only_waits);
  tcase_add_test(tc, worker_caller_participates);
  tcase_add_test(tc, first_error_and_every_item);
  tcase_add_test(tc, no_engine_runs_serially);
  tcase_add_test(tc, scratch_per_participant);
  tcase_add_test(tc, full_queue_caller_does_the_work);
  tcase_add_test(tc, queued_helpers_are_reaped);
  suite_add_tcase(s, tc);
  SRunner *r = srunner_create(s);
  srunner_run_all(r, CK_NORMAL);
  int failed = srunner_ntests_failed(r);
  srunner_free(r);
  return failed ? 1 : 0;
}
