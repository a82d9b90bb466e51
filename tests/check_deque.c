/* check_deque.c: the Chase-Lev deque, the MPMC inbox ring and the pairing heap, alone and under contention. */
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
  eng__deque *d = new_deque(8);
  eng__task t[9];
  for (int i = 0; i < 8; i++) ck_assert_int_eq(eng__deque_push(d, &t[i]), 0);
  ck_assert_int_eq(eng__deque_push(d, &t[8]), -1); /* full */
  ck_assert_ptr_eq(eng__deque_steal(d), &t[0]);    /* thieves take the oldest */
  ck_assert_int_eq(eng__deque_push(d, &t[8]), 0);  /* room again */
  ck_assert_ptr_eq(eng__deque_pop(d), &t[8]);      /* owner takes the newest */
  for (int i = 7; i >= 1; i--) ck_assert_ptr_eq(eng__deque_pop(d), &t[i]);
  ck_assert_ptr_null(eng__deque_pop(d));
  ck_assert_ptr_null(eng__deque_steal(d));
  free_deque(d);
}
END_TEST

/* Owner pushes and pops while thieves steal: every item taken exactly once. */
typedef struct dq_ctx {
  eng__deque *d;
  eng__task *items;
  size_t n;         /* items to push */
  pthread_t th[2];  /* the thieves */
  _Atomic uint8_t *taken;
  _Atomic int done;
  _Atomic uint64_t ntaken;
  _Atomic uint64_t dups; /* counted, asserted at the end: ck_assert is slow in threads */
} dq_ctx;

static void take(dq_ctx *c, eng__task *t) {
  size_t i = (size_t)(t - c->items);
  if (atomic_fetch_add_explicit(&c->taken[i], 1, memory_order_relaxed) != 0)
    atomic_fetch_add(&c->dups, 1);
  atomic_fetch_add_explicit(&c->ntaken, 1, memory_order_relaxed);
}

static void *thief(void *arg) {
  dq_ctx *c = arg;
  while (!atomic_load(&c->done)) {
    eng__task *t = eng__deque_steal(c->d);
    if (t) take(c, t);
  }
  eng__task *t;
  while ((t = eng__deque_steal(c->d))) take(c, t);
  return NULL;
}

/* A deque of 256 with n items to push and two thieves already stealing. */
static void dq_start(dq_ctx *c, size_t n) {
  *c = (dq_ctx){0};
  c->d = new_deque(256);
  c->n = n;
  c->items = calloc(n, sizeof *c->items);
  c->taken = calloc(n, 1);
  for (int i = 0; i < 2; i++) pthread_create(&c->th[i], NULL, thief, c);
}

/* The owner pops what is left, the two thieves stop, and each of the n
 * tasks was taken exactly once. */
static void dq_finish(dq_ctx *c) {
  eng__task *t;
  while ((t = eng__deque_pop(c->d))) take(c, t);
  atomic_store(&c->done, 1);
  for (int i = 0; i < 2; i++) pthread_join(c->th[i], NULL);
  ck_assert_uint_eq(atomic_load(&c->dups), 0);
  ck_assert_uint_eq(atomic_load(&c->ntaken), c->n);
  size_t bad = 0;
  for (size_t i = 0; i < c->n; i++) bad += atomic_load(&c->taken[i]) != 1;
  ck_assert_uint_eq(bad, 0);
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
    if (tu_rand(&seed) % 3 == 0) {
      eng__task *t = eng__deque_pop(c.d);
      if (t) take(&c, t);
    }
  }
  dq_finish(&c);
}
END_TEST

/* Same with the owner taking batches: thieves never get a task of a batch,
 * and a batch never holds more than half of what was visible. */
START_TEST(deque_batches_exactly_once_under_steal) {
  size_t n = 2000000 / tu_scale();
  dq_ctx c;
  dq_start(&c, n);
  uint64_t seed = 7, batches = 0;
  eng__task *out[8];
  for (size_t i = 0; i < n;) {
    if (eng__deque_push(c.d, &c.items[i]) == 0) i++;
    if (tu_rand(&seed) % 4 == 0) {
      unsigned k = 1 + (unsigned)(tu_rand(&seed) % 8);
      unsigned got = eng__deque_pop_batch(c.d, out, k);
      ck_assert_uint_le(got, k);
      batches += got > 0;
      for (unsigned j = 0; j < got; j++) take(&c, out[j]);
      /* oldest first: the deque keeps push order */
      for (unsigned j = 1; j < got; j++) ck_assert_msg(out[j - 1] < out[j], "batch out of push order");
    }
  }
  dq_finish(&c);
  ck_assert_uint_gt(batches, 0);
}
END_TEST

/* Bursts: the owner pushes up to 64 tasks, then takes (one or a batch at a
 * time) until the deque is empty, so its pops keep reaching the last task,
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
    for (;;) {
      eng__task *out[8];
      unsigned got = eng__deque_pop_batch(c.d, out, 1 + (unsigned)(tu_rand(&seed) % 8));
      for (unsigned j = 0; j < got; j++) take(&c, out[j]);
      eng__task *t = eng__deque_pop(c.d);
      if (!t) break;
      take(&c, t);
    }
  }
  dq_finish(&c);
}
END_TEST

START_TEST(deque_batch_leaves_half) {
  eng__deque *d = new_deque(16);
  eng__task t[10], *out[8];
  ck_assert_uint_eq(eng__deque_pop_batch(d, out, 8), 0); /* empty */
  ck_assert_int_eq(eng__deque_push(d, &t[0]), 0);
  ck_assert_uint_eq(eng__deque_pop_batch(d, out, 8), 0); /* one: use pop */
  for (int i = 1; i < 10; i++) ck_assert_int_eq(eng__deque_push(d, &t[i]), 0);
  ck_assert_uint_eq(eng__deque_pop_batch(d, out, 8), 5); /* half of 10 */
  for (int j = 0; j < 5; j++) ck_assert_ptr_eq(out[j], &t[5 + j]);
  ck_assert_ptr_eq(eng__deque_steal(d), &t[0]); /* the older half is still stealable */
  ck_assert_uint_eq(eng__deque_pop_batch(d, out, 3), 2);
  ck_assert_ptr_eq(out[0], &t[3]);
  ck_assert_ptr_eq(out[1], &t[4]);
  ck_assert_ptr_eq(eng__deque_pop(d), &t[2]);
  ck_assert_ptr_eq(eng__deque_pop(d), &t[1]);
  ck_assert_ptr_null(eng__deque_pop(d));
  free_deque(d);
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
  tcase_add_test(tc, deque_batches_exactly_once_under_steal);
  tcase_add_test(tc, deque_batch_leaves_half);
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
