/* check_matrix.c: distance-matrix jobs equal the serial loop, with 1 and N workers; cancellation and errors. */
#include <check.h>
#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine.h"
#include "engine/temporal.h"

static uint64_t rng_state = 0x853C49E6748FEA9Bull;
static uint64_t rnd(void)
{
  uint64_t x = rng_state;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  rng_state = x;
  return x * 2685821657736338717ull;
}
static double unif(void) { return (double)(rnd() >> 11) * (1.0 / 9007199254740992.0); }

static eng_engine *make_engine(unsigned workers)
{
  eng_config cfg;
  eng_config_init(&cfg);
  cfg.workers = workers;
  cfg.pin = 0; /* the test machine may be shared; placement does not matter here */
  eng_engine *e = NULL;
  ck_assert_int_eq(eng_engine_create(&e, &cfg), 0);
  return e;
}

typedef struct set {
  size_t k;
  double **data;
  eng_seq *items;
} set;

static set make_set(size_t k, size_t lo, size_t hi)
{
  set s;
  s.k = k;
  s.data = malloc(k * sizeof *s.data);
  s.items = malloc(k * sizeof *s.items);
  for (size_t i = 0; i < k; i++) {
    size_t n = lo + rnd() % (hi - lo + 1);
    s.data[i] = malloc(n * sizeof(double));
    double v = 0;
    for (size_t t = 0; t < n; t++)
      s.data[i][t] = (v += unif() - 0.5);
    s.items[i].data = s.data[i];
    s.items[i].n = n;
  }
  return s;
}

static void free_set(set *s)
{
  for (size_t i = 0; i < s->k; i++)
    free(s->data[i]);
  free(s->data);
  free(s->items);
}

/* The serial loop the job must reproduce bit for bit. */
static void serial(const set *s, const eng_dtw_opts *o, double *out)
{
  size_t k = s->k;
  for (size_t i = 0; i < k; i++) {
    out[i * k + i] = 0;
    for (size_t j = i + 1; j < k; j++) {
      double d;
      int rc = eng_dtw_distance(s->data[i], s->items[i].n, s->data[j], s->items[j].n, o, &d);
      if (rc == ENG_ECUTOFF)
        d = INFINITY;
      else
        ck_assert_int_eq(rc, 0);
      out[i * k + j] = out[j * k + i] = d;
    }
  }
}

/* Every DTW variant, 1 to 3 workers, several tile sizes: the job's matrix and
 * one-to-many row equal the serial loop bit for bit. */
static void check_set(set s)
{
  unsigned workers[] = {1, 2, 3};
  size_t k = s.k;
  double *want = malloc(k * k * sizeof *want), *got = malloc(k * k * sizeof *got);
  for (int variant = 0; variant < 3; variant++) {
    eng_dtw_opts o;
    eng_dtw_opts_init(&o);
    if (variant == 1) {
      o.window = 5;
      o.cost = ENG_DTW_ABSOLUTE;
    }
    if (variant == 2)
      o.cutoff = 30; /* some pairs above it: +inf in both */
    serial(&s, &o, want);
    for (size_t w = 0; w < 3; w++) {
      eng_engine *e = make_engine(workers[w]);
      size_t tiles[] = {0, 1, 4, 64};
      for (size_t ti = 0; ti < 4; ti++) {
        eng_matrix_opts mo;
        eng_matrix_opts_init(&mo);
        mo.dtw = o;
        mo.tile = tiles[ti];
        memset(got, 0xff, k * k * sizeof *got);
        eng_matrix_report rep;
        ck_assert_int_eq(eng_distance_matrix(e, s.items, k, NULL, &mo, got, &rep), 0);
        ck_assert_int_eq(memcmp(got, want, k * k * sizeof *got), 0);
        ck_assert_uint_eq(rep.tiles_done, rep.tiles);
        ck_assert_uint_eq(rep.tiles_cancelled, 0);
        /* one-to-many: item 3 against all */
        double row[64];
        ck_assert_int_eq(eng_distance_matrix(e, s.items, k, &s.items[3], &mo, row, NULL), 0);
        for (size_t j = 0; j < k; j++) {
          double d;
          int rc = eng_dtw_distance(s.data[3], s.items[3].n, s.data[j], s.items[j].n, &o, &d);
          if (rc == ENG_ECUTOFF)
            d = INFINITY;
          ck_assert(row[j] == d);
        }
      }
      ck_assert_int_eq(eng_engine_destroy(e, ENG_DRAIN_FINISH, NULL), 0);
    }
  }
  free(want);
  free(got);
}

START_TEST(equals_serial)
{
  set s = make_set(37, 5, 90);
  check_set(s);
  free_set(&s);
}
END_TEST

START_TEST(equal_lengths_in_lanes)
{
  /* Equal lengths are what the vector kernel batches (several candidates per
   * register); a few other lengths break the runs, and one item repeats
   * another (equal inputs in neighbouring lanes). */
  set s = make_set(45, 64, 64);
  for (size_t i = 7; i < s.k; i += 11) {
    s.items[i].n = 40; /* a shorter prefix of the same data */
  }
  memcpy(s.data[20], s.data[19], 64 * sizeof(double));
  check_set(s);
  free_set(&s);
}
END_TEST

START_TEST(edit_and_lcs)
{
  const char *w[] = {"kitten", "sitting", "", "saturday", "sunday", "a", "abcdefgh", "hgfedcba",
                     "kitchen", "mitten"};
  size_t k = sizeof w / sizeof w[0];
  eng_seq items[10];
  for (size_t i = 0; i < k; i++) {
    items[i].data = w[i];
    items[i].n = strlen(w[i]);
  }
  eng_engine *e = make_engine(2);
  double out[100];
  eng_matrix_opts mo;
  eng_matrix_opts_init(&mo);
  mo.metric = ENG_METRIC_EDIT;
  mo.tile = 3;
  ck_assert_int_eq(eng_distance_matrix(e, items, k, NULL, &mo, out, NULL), 0);
  ck_assert(out[0 * k + 1] == 3.0); /* kitten / sitting */
  ck_assert(out[3 * k + 4] == 3.0); /* saturday / sunday */
  for (size_t i = 0; i < k; i++)
    for (size_t j = 0; j < k; j++) {
      size_t d = 0;
      if (i != j)
        ck_assert_int_eq(eng_levenshtein(items[i].data, items[i].n, items[j].data, items[j].n, &d),
                         0);
      ck_assert(out[i * k + j] == (double)d);
    }
  mo.metric = ENG_METRIC_LCS;
  ck_assert_int_eq(eng_distance_matrix(e, items, k, NULL, &mo, out, NULL), 0);
  /* kitten / sitting: LCS "ittn" = 4, so 6 + 7 - 8 = 5. */
  ck_assert(out[0 * k + 1] == 5.0);
  for (size_t i = 0; i < k; i++)
    for (size_t j = i + 1; j < k; j++) {
      size_t l;
      ck_assert_int_eq(eng_lcs_length(items[i].data, items[i].n, items[j].data, items[j].n, &l), 0);
      ck_assert(out[i * k + j] == (double)(items[i].n + items[j].n - 2 * l));
    }
  ck_assert_int_eq(eng_engine_destroy(e, ENG_DRAIN_FINISH, NULL), 0);
}
END_TEST

/* A slow custom metric counting its calls, for cancellation. */
static atomic_size_t calls;
static int slow_metric(const eng_seq *a, const eng_seq *b, void *ws, void *ud, double *out)
{
  (void)ws;
  (void)ud;
  struct timespec ts = {0, 300000};
  nanosleep(&ts, NULL);
  atomic_fetch_add(&calls, 1);
  *out = fabs((double)a->n - (double)b->n) + 1;
  return 0;
}

START_TEST(cancel_stops_tiles)
{
  size_t k = 80;
  eng_seq items[80];
  for (size_t i = 0; i < k; i++) {
    items[i].data = NULL;
    items[i].n = i;
  }
  double *out = malloc(k * k * sizeof *out);
  eng_engine *e = make_engine(2);
  eng_matrix_opts mo;
  eng_matrix_opts_init(&mo);
  mo.metric = ENG_METRIC_CUSTOM;
  mo.fn = slow_metric;
  mo.tile = 2;
  atomic_store(&calls, 0);
  eng_matrix_job *j;
  ck_assert_int_eq(eng_matrix_start(e, items, k, NULL, &mo, out, &j), 0);
  struct timespec ts = {0, 20 * 1000000};
  nanosleep(&ts, NULL);
  ck_assert_int_eq(eng_matrix_cancel(j), 0);
  eng_matrix_report rep;
  ck_assert_int_eq(eng_matrix_wait(j, &rep), ENG_ECANCELED);
  ck_assert_int_eq(eng_matrix_wait(j, &rep), ENG_EMISUSE);
  eng_matrix_destroy(j);
  ck_assert_uint_eq(rep.tiles_done + rep.tiles_cancelled, rep.tiles);
  ck_assert_uint_gt(rep.tiles_cancelled, 0);
  /* Every pair is either computed exactly or NaN, and the number computed is
   * the number of metric calls. */
  size_t computed = 0;
  for (size_t i = 0; i < k; i++)
    for (size_t c = i + 1; c < k; c++) {
      double v = out[i * k + c];
      ck_assert(v == out[c * k + i] || (isnan(v) && isnan(out[c * k + i])));
      if (!isnan(v)) {
        ck_assert(v == fabs((double)i - (double)c) + 1);
        computed++;
      }
    }
  ck_assert_uint_eq(computed, atomic_load(&calls));
  ck_assert_uint_lt(computed, k * (k - 1) / 2);
  ck_assert_int_eq(eng_engine_destroy(e, ENG_DRAIN_FINISH, NULL), 0);
  free(out);
}
END_TEST

START_TEST(errors)
{
  set s = make_set(12, 10, 20);
  size_t k = s.k;
  double out[144];
  eng_engine *e = make_engine(2);
  eng_matrix_opts mo;
  eng_matrix_opts_init(&mo);
  mo.tile = 1;
  s.data[7][3] = NAN;
  eng_matrix_report rep;
  ck_assert_int_eq(eng_distance_matrix(e, s.items, k, NULL, &mo, out, &rep), ENG_ENAN);
  ck_assert_uint_eq(rep.tiles_done + rep.tiles_cancelled, rep.tiles);
  ck_assert(isnan(out[7 * k + 8]));
  ck_assert_int_eq(eng_distance_matrix(e, s.items, 0, NULL, &mo, out, NULL), ENG_EINVAL);
  ck_assert_int_eq(eng_distance_matrix(NULL, s.items, k, NULL, &mo, out, NULL), ENG_EINVAL);
  mo.dtw.window = -1;
  ck_assert_int_eq(eng_distance_matrix(e, s.items, k, NULL, &mo, out, NULL), ENG_EINVAL);
  eng_matrix_opts_init(&mo);
  mo.metric = ENG_METRIC_CUSTOM; /* no fn */
  ck_assert_int_eq(eng_distance_matrix(e, s.items, k, NULL, &mo, out, NULL), ENG_EINVAL);
  ck_assert_int_eq(eng_engine_destroy(e, ENG_DRAIN_FINISH, NULL), 0);
  free_set(&s);
}
END_TEST

/* Progress: serialised, increasing, ending at the total. */
typedef struct prog {
  atomic_int inside;
  size_t last, total, calls;
  int bad;
} prog;
static void on_progress(size_t done, size_t total, void *ud)
{
  prog *p = ud;
  if (atomic_fetch_add(&p->inside, 1) != 0)
    p->bad = 1;
  if (done <= p->last || done > total)
    p->bad = 1;
  p->last = done;
  p->total = total;
  p->calls++;
  atomic_fetch_sub(&p->inside, 1);
}

START_TEST(progress)
{
  set s = make_set(30, 20, 40);
  double *out = malloc(30 * 30 * sizeof *out);
  eng_engine *e = make_engine(2);
  eng_matrix_opts mo;
  eng_matrix_opts_init(&mo);
  prog p;
  memset(&p, 0, sizeof p);
  mo.progress = on_progress;
  mo.progress_ud = &p;
  mo.tile = 2;
  eng_matrix_report rep;
  ck_assert_int_eq(eng_distance_matrix(e, s.items, s.k, NULL, &mo, out, &rep), 0);
  ck_assert(!p.bad);
  ck_assert_uint_eq(p.last, rep.tiles);
  ck_assert_uint_eq(p.total, rep.tiles);
  ck_assert_uint_ge(p.calls, 1);
  ck_assert_uint_eq(rep.tiles, 15 * 16 / 2);
  ck_assert_int_eq(eng_engine_destroy(e, ENG_DRAIN_FINISH, NULL), 0);
  free(out);
  free_set(&s);
}
END_TEST

/* A matrix job waited for from inside a task on a one-worker engine: the
 * worker computes the tiles itself instead of deadlocking. */
typedef struct inner {
  eng_engine *e;
  set *s;
  double *out;
  int rc;
} inner;
static void *inner_job(void *arg)
{
  inner *in = arg;
  in->rc = eng_distance_matrix(in->e, in->s->items, in->s->k, NULL, NULL, in->out, NULL);
  return NULL;
}

START_TEST(from_worker)
{
  set s = make_set(20, 10, 30);
  size_t k = s.k;
  double *want = malloc(k * k * sizeof *want), *got = malloc(k * k * sizeof *got);
  serial(&s, NULL, want);
  for (unsigned w = 1; w <= 2; w++) {
    eng_engine *e = make_engine(w);
    inner in = {e, &s, got, -1};
    eng_future *f;
    ck_assert_int_eq(eng_async(e, inner_job, &in, NULL, &f), 0);
    ck_assert_int_eq(eng_future_wait(f, NULL), 0);
    eng_future_release(f);
    ck_assert_int_eq(in.rc, 0);
    ck_assert_int_eq(memcmp(got, want, k * k * sizeof *got), 0);
    ck_assert_int_eq(eng_engine_destroy(e, ENG_DRAIN_FINISH, NULL), 0);
  }
  free(want);
  free(got);
  free_set(&s);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("matrix");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, equals_serial);
  tcase_add_test(tc, equal_lengths_in_lanes);
  tcase_add_test(tc, edit_and_lcs);
  tcase_add_test(tc, cancel_stops_tiles);
  tcase_add_test(tc, errors);
  tcase_add_test(tc, progress);
  tcase_add_test(tc, from_worker);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  SRunner *sr = srunner_create(suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
