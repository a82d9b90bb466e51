/* check_deque.c: the split work-stealing deque, the MPMC inbox ring and the pairing heap, alone and under contention. */
#include <pthread.h>

#include "testutil.h"
#include "deque.h"
#include "inbox.h"
#include "task.h"

static eng__deque *new_deque(unsigned cap) {
  eng__deque *d = aligned_alloc(64, sizeof *d);
  memset(d, 0, sizeof *d);
  d->buf = calloc(cap, sizeof *d->buf);
  d->mask = cap - 1;
  return d;
}

static void free_deque(eng__deque *d) {
  free((void *)d->buf);
  free(d);
}

START_TEST(deque_lifo_owner_fifo_thief_bounded) {
  eng__deque *d = new_deque(8), *m = new_deque(8);
  eng__task t[9];
  for (int i = 0; i < 8; i++) ck_assert_int_eq(eng__deque_push(d, &t[i]), 0);
  ck_assert_int_eq(eng__deque_push(d, &t[8]), -1); /* full */
  /* The first push found the shared part empty and published itself. */
  ck_assert_int_eq(eng__deque_stealable(d), 1);
  ck_assert_int_eq(eng__deque_steal_into(d, m), 1);
  ck_assert_int_eq(eng__deque_stealable(d), 0);
  ck_assert_int_eq(eng__deque_push(d, &t[8]), 0); /* room again */
  ck_assert_ptr_eq(eng__deque_pop(d), &t[8]);     /* owner takes the newest */
  for (int i = 7; i >= 1; i--) ck_assert_ptr_eq(eng__deque_pop(d), &t[i]);
  ck_assert_ptr_null(eng__deque_pop(d));
  ck_assert_int_eq(eng__deque_nonempty(d), 0);
  ck_assert_ptr_eq(eng__deque_pop(m), &t[0]); /* the thief got the oldest */
  ck_assert_ptr_null(eng__deque_pop(m));
  free_deque(d);
  free_deque(m);
}
END_TEST

/* A thief that finds nothing asks; the owner publishes the older half of its
 * private tasks, the thief takes them all in push order, and the owner takes
 * what it published back when its private part runs out. */
START_TEST(deque_want_publish_reclaim) {
  eng__deque *d = new_deque(16), *m = new_deque(16);
  eng__task t[10];
  for (int i = 0; i < 6; i++) ck_assert_int_eq(eng__deque_push(d, &t[i]), 0);
  ck_assert_int_eq(eng__deque_wanted(d), 0);
  ck_assert_int_eq(eng__deque_steal_into(d, m), 1); /* t0 */
  ck_assert_int_eq(eng__deque_steal_into(d, m), 0); /* empty: asks */
  ck_assert_int_eq(eng__deque_wanted(d), 1);
  eng__deque_publish(d); /* half of t1..t5, rounded up: t1..t3 */
  ck_assert_int_eq(eng__deque_wanted(d), 0);
  ck_assert_int_eq(eng__deque_steal_into(d, m), 3);
  for (int i = 3; i >= 0; i--) ck_assert_ptr_eq(eng__deque_pop(m), &t[i]);
  ck_assert_ptr_null(eng__deque_pop(m));
  /* Private t4, t5. Pushing t6 finds the shared part empty and publishes
   * the older half of t4..t6 (t4, t5); t7..t9 stay private. */
  for (int i = 6; i < 10; i++) ck_assert_int_eq(eng__deque_push(d, &t[i]), 0);
  ck_assert_int_eq(eng__deque_stealable(d), 1);
  /* Newest first through the private part, then the shared part taken back. */
  for (int i = 9; i >= 4; i--) ck_assert_ptr_eq(eng__deque_pop(d), &t[i]);
  ck_assert_ptr_null(eng__deque_pop(d));
  ck_assert_int_eq(eng__deque_stealable(d), 0);
  ck_assert_int_eq(eng__deque_steal_into(d, m), 0);
  free_deque(d);
  free_deque(m);
}
END_TEST

START_TEST(deque_pop_oldest_and_solo) {
  eng__deque *d = new_deque(8);
  eng__task t[4];
  for (int i = 0; i < 4; i++) ck_assert_int_eq(eng__deque_push(d, &t[i]), 0);
  ck_assert_ptr_eq(eng__deque_pop_oldest(d), &t[0]); /* from the shared part */
  ck_assert_ptr_eq(eng__deque_pop_oldest(d), &t[1]); /* the oldest private one */
  ck_assert_ptr_eq(eng__deque_pop(d), &t[3]);
  ck_assert_ptr_eq(eng__deque_pop(d), &t[2]);
  ck_assert_ptr_null(eng__deque_pop_oldest(d));
  ck_assert_ptr_null(eng__deque_pop(d));
  /* A one-worker deque never publishes: nothing to steal, all LIFO. */
  d->solo = 1;
  for (int i = 0; i < 4; i++) ck_assert_int_eq(eng__deque_push(d, &t[i]), 0);
  ck_assert_int_eq(eng__deque_stealable(d), 0);
  for (int i = 3; i >= 0; i--) ck_assert_ptr_eq(eng__deque_pop(d), &t[i]);
  ck_assert_ptr_null(eng__deque_pop(d));
  free_deque(d);
}
END_TEST

/* One owner pushes n tasks into a small deque (so the ring wraps many times)
 * and pops some; two thieves steal batches into deques of their own, from the
 * owner and from each other, and pop from theirs. Each thread honours
 * requests as a worker does. Every task must be taken exactly once. */
typedef struct dq_ctx dq_ctx;
typedef struct dq_thief {
  dq_ctx *c;
  eng__deque *d;
  unsigned id;
  pthread_t th;
} dq_thief;

struct dq_ctx {
  eng__deque *d; /* the owner's */
  dq_thief thieves[2];
  eng__task *items;
  size_t n; /* items to push */
  _Atomic uint8_t *taken;
  _Atomic int done, started;
  _Atomic uint64_t ntaken, batches;
  _Atomic uint64_t dups; /* counted, asserted at the end: ck_assert is slow in threads */
};

static void take(dq_ctx *c, eng__task *t) {
  size_t i = (size_t)(t - c->items);
  if (atomic_fetch_add_explicit(&c->taken[i], 1, memory_order_relaxed) != 0)
    atomic_fetch_add(&c->dups, 1);
  atomic_fetch_add_explicit(&c->ntaken, 1, memory_order_relaxed);
}

/* Owner side of a pop, as the worker does it (own_pop). */
static eng__task *owner_pop(eng__deque *d) {
  if (eng__deque_wanted(d)) eng__deque_publish(d);
  return eng__deque_pop(d);
}

static void *thief(void *arg) {
  dq_thief *me = arg;
  dq_ctx *c = me->c;
  eng__deque *other = c->thieves[1 - me->id].d;
  uint64_t seed = 3 + me->id;
  eng__task *t;
  atomic_fetch_add(&c->started, 1);
  while (!atomic_load(&c->done)) {
    eng__deque *v = tu_rand(&seed) % 4 ? c->d : other;
    if (eng__deque_steal_into(v, me->d)) atomic_fetch_add_explicit(&c->batches, 1, memory_order_relaxed);
    /* Run a few, so the other thief finds some to take from us. */
    for (int k = 0; k < 3 && (t = owner_pop(me->d)); k++) take(c, t);
  }
  while ((t = owner_pop(me->d))) take(c, t);
  return NULL;
}

static void dq_start(dq_ctx *c, size_t n) {
  *c = (dq_ctx){0};
  c->d = new_deque(256);
  c->n = n;
  c->items = calloc(n, sizeof *c->items);
  c->taken = calloc(n, 1);
  for (unsigned i = 0; i < 2; i++) c->thieves[i] = (dq_thief){c, new_deque(256), i, 0};
  for (unsigned i = 0; i < 2; i++) pthread_create(&c->thieves[i].th, NULL, thief, &c->thieves[i]);
  while (atomic_load(&c->started) < 2) sched_yield();
}

/* Until a thief has stolen once, the owner offers it the CPU while the deque
 * holds published tasks: on a loaded machine the thieves may otherwise not
 * run before the owner is done, and the test would check nothing. */
static void dq_let_steal(dq_ctx *c) {
  if (!atomic_load_explicit(&c->batches, memory_order_relaxed)) sched_yield();
}

/* The owner pops what is left, the thieves stop and empty their deques, and
 * each of the n tasks was taken exactly once. */
static void dq_finish(dq_ctx *c) {
  eng__task *t;
  while ((t = owner_pop(c->d))) take(c, t);
  atomic_store(&c->done, 1);
  for (int i = 0; i < 2; i++) pthread_join(c->thieves[i].th, NULL);
  ck_assert_uint_eq(atomic_load(&c->dups), 0);
  ck_assert_uint_eq(atomic_load(&c->ntaken), c->n);
  size_t bad = 0;
  for (size_t i = 0; i < c->n; i++) bad += atomic_load(&c->taken[i]) != 1;
  ck_assert_uint_eq(bad, 0);
  ck_assert_uint_gt(atomic_load(&c->batches), 0); /* the thieves did steal */
  for (int i = 0; i < 2; i++) free_deque(c->thieves[i].d);
  free(c->items);
  free((void *)c->taken);
  free_deque(c->d);
}

START_TEST(deque_exactly_once_under_steal) {
  size_t n = 2000000 / tu_scale();
  dq_ctx c;
  dq_start(&c, n);
  uint64_t seed = 5;
  for (size_t i = 0; i < n;) {
    if (eng__deque_push(c.d, &c.items[i]) == 0) i++;
    if (i % 64 == 0) dq_let_steal(&c);
    unsigned r = (unsigned)(tu_rand(&seed) % 16);
    if (r < 5) {
      eng__task *t = owner_pop(c.d);
      if (t) take(&c, t);
    } else if (r == 5) {
      eng__task *t = eng__deque_pop_oldest(c.d);
      if (t) take(&c, t);
    }
  }
  dq_finish(&c);
}
END_TEST

/* Bursts: the owner pushes up to 64 tasks, then pops until the deque is
 * empty, so its pops keep reaching the shared part (the whole-part CAS),
 * which the thieves race it for. */
START_TEST(deque_drains_exactly_once_under_steal) {
  size_t n = 2000000 / tu_scale();
  dq_ctx c;
  dq_start(&c, n);
  uint64_t seed = 11;
  for (size_t i = 0; i < n;) {
    size_t burst = 1 + (size_t)(tu_rand(&seed) % 64);
    for (size_t j = 0; j < burst && i < n; j++)
      if (eng__deque_push(c.d, &c.items[i]) == 0) i++;
    dq_let_steal(&c);
    eng__task *t;
    while ((t = owner_pop(c.d))) take(&c, t);
  }
  dq_finish(&c);
}
END_TEST

START_TEST(ring_fifo_bounded) {
  eng__ring *r = aligned_alloc(64, sizeof *r);
  eng__cell *cells = calloc(4, sizeof *cells);
  eng__ring_init(r, cells, 4);
  eng__task t[5];
  ck_assert_ptr_null(eng__ring_pop(r));
  for (int i = 0; i < 4; i++) ck_assert_int_eq(eng__ring_push(r, &t[i]), 0);
  ck_assert_int_eq(eng__ring_push(r, &t[4]), -1);
  ck_assert_int_eq(eng__ring_maybe_nonempty(r), 1);
  for (int round = 0; round < 3; round++) {
    ck_assert_ptr_eq(eng__ring_pop(r), &t[round]);
    ck_assert_int_eq(eng__ring_push(r, &t[round]), 0);
  }
  ck_assert_ptr_eq(eng__ring_pop(r), &t[3]);
  for (int i = 0; i < 3; i++) ck_assert_ptr_eq(eng__ring_pop(r), &t[i]);
  ck_assert_ptr_null(eng__ring_pop(r));
  ck_assert_int_eq(eng__ring_maybe_nonempty(r), 0);
  free(cells);
  free(r);
}
END_TEST

typedef struct ring_ctx {
  eng__ring *r;
  eng__task *items;
  size_t per;
  _Atomic uint8_t *taken;
  _Atomic uint64_t ntaken;
  _Atomic int producers_left;
  _Atomic uint64_t errors;
  uint64_t last_seen[4][4]; /* per consumer, per producer: last index (FIFO per producer) */
} ring_ctx;

typedef struct ring_arg {
  ring_ctx *c;
  unsigned id;
} ring_arg;

static void *ring_producer(void *arg) {
  ring_arg *a = arg;
  ring_ctx *c = a->c;
  for (size_t k = 0; k < c->per; k++) {
    eng__task *t = &c->items[a->id * c->per + k];
    while (eng__ring_push(c->r, t) != 0) sched_yield();
  }
  atomic_fetch_sub(&c->producers_left, 1);
  return NULL;
}

static void *ring_consumer(void *arg) {
  ring_arg *a = arg;
  ring_ctx *c = a->c;
  for (;;) {
    eng__task *t = eng__ring_pop(c->r);
    if (!t) {
      if (atomic_load(&c->producers_left) == 0 && !eng__ring_maybe_nonempty(c->r)) {
        if (!(t = eng__ring_pop(c->r))) break;
      } else {
        sched_yield(); /* 6 threads share few cores: let a producer finish publishing */
        continue;
      }
    }
    size_t i = (size_t)(t - c->items);
    if (atomic_fetch_add_explicit(&c->taken[i], 1, memory_order_relaxed) != 0)
      atomic_fetch_add(&c->errors, 1);
    atomic_fetch_add_explicit(&c->ntaken, 1, memory_order_relaxed);
    /* One consumer sees each producer's items in increasing order. */
    size_t p = i / c->per, k = i % c->per + 1;
    if (k <= c->last_seen[a->id][p]) atomic_fetch_add(&c->errors, 1);
    c->last_seen[a->id][p] = k;
  }
  return NULL;
}

START_TEST(ring_mpmc_exactly_once) {
  ring_ctx c;
  memset(&c, 0, sizeof c);
  c.per = 200000 / tu_scale();
  c.r = aligned_alloc(64, sizeof *c.r);
  eng__cell *cells = calloc(1024, sizeof *cells);
  eng__ring_init(c.r, cells, 1024);
  c.items = calloc(4 * c.per, sizeof *c.items);
  c.taken = calloc(4 * c.per, 1);
  atomic_store(&c.producers_left, 4);
  pthread_t th[6];
  ring_arg args[6];
  for (unsigned i = 0; i < 4; i++) {
    args[i] = (ring_arg){&c, i};
    pthread_create(&th[i], NULL, ring_producer, &args[i]);
  }
  for (unsigned i = 0; i < 2; i++) {
    args[4 + i] = (ring_arg){&c, i};
    pthread_create(&th[4 + i], NULL, ring_consumer, &args[4 + i]);
  }
  for (int i = 0; i < 6; i++) pthread_join(th[i], NULL);
  ck_assert_uint_eq(atomic_load(&c.errors), 0);
  ck_assert_uint_eq(atomic_load(&c.ntaken), 4 * c.per);
  size_t bad = 0;
  for (size_t i = 0; i < 4 * c.per; i++) bad += atomic_load(&c.taken[i]) != 1;
  ck_assert_uint_eq(bad, 0);
  free(c.items);
  free((void *)c.taken);
  free(cells);
  free(c.r);
}
END_TEST

START_TEST(pairing_heap_sorts) {
  enum { N = 5000 };
  static eng__task t[N];
  static uint64_t keys[N];
  uint64_t seed = 11;
  eng__task *root = NULL;
  for (int i = 0; i < N; i++) {
    keys[i] = tu_rand(&seed) % 1000;
    root = eng__heap_insert(root, &t[i], keys[i]);
  }
  qsort(keys, N, sizeof *keys, tu_cmp_u64);
  for (int i = 0; i < N; i++) {
    ck_assert_ptr_nonnull(root);
    eng__task *m = eng__heap_pop(&root);
    ck_assert_uint_eq(m->hkey, keys[i]);
    /* Interleave inserts of larger keys: still sorted output. */
    if (i % 7 == 0 && i + 1 < N) {
      ck_assert_ptr_nonnull(root);
    }
  }
  ck_assert_ptr_null(root);
}
END_TEST

int main(void) {
  Suite *s = suite_create("deque");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, deque_lifo_owner_fifo_thief_bounded);
  tcase_add_test(tc, deque_want_publish_reclaim);
  tcase_add_test(tc, deque_pop_oldest_and_solo);
  tcase_add_test(tc, deque_exactly_once_under_steal);
  tcase_add_test(tc, deque_drains_exactly_once_under_steal);
  tcase_add_test(tc, ring_fifo_bounded);
  tcase_add_test(tc, ring_mpmc_exactly_once);
  tcase_add_test(tc, pairing_heap_sorts);
  suite_add_tcase(s, tc);
  SRunner *r = srunner_create(s);
  srunner_run_all(r, CK_NORMAL);
  int failed = srunner_ntests_failed(r);
  srunner_free(r);
  return failed ? 1 : 0;
}
