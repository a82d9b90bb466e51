/* jobs_matrix.c: all-pairs and one-to-many distance matrices split into tiles run by scheduled tasks. */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "engine/temporal.h"

/* The tiles are claimed one at a time from a shared counter by helper tasks
 * (one per worker by default) and, when the waiting thread is itself a worker,
 * by that thread too. Nobody ever waits for a task that has not started: a
 * helper that starts late finds no tile, drops its reference and returns; the
 * last reference frees the job. This is why the job does not wait on an
 * eng_group: eng_group_wait is not allowed on a worker, and a matrix job
 * started from a Lua job runs on one.
 *
 * Helpers are futures so that the waiter can cancel the ones that never
 * started and drop their references itself: a helper still queued when the
 * engine is destroyed with ENG_DRAIN_CANCEL would never run, and its
 * reference would leak the job. */
struct eng_matrix_job {
  eng_engine *e;
  eng_seq *items;
  size_t k;
  eng_seq query;
  int one_to_many;
  eng_matrix_opts o;
  double *out;
  size_t tile;
  size_t ntiles;
  uint32_t *pairs; /* all-pairs: block row and column of each tile */
  size_t maxn;     /* longest input, for the DTW workspace */
  unsigned helpers;
  eng_future **hf; /* one future per submitted helper, reaped once */
  int reaped;

  atomic_size_t next;      /* next unclaimed tile */
  atomic_size_t done;      /* tiles computed */
  atomic_size_t cancelled; /* tiles skipped */
  atomic_int stop;         /* set by eng_matrix_cancel or by an error */
  atomic_int rc;           /* first error of a tile */
  atomic_uint refs;        /* the handle plus each submitted helper */
  int waited;

  pthread_mutex_t mu; /* guards `reported`, serialises progress, pairs with cv */
  pthread_cond_t cv;  /* signalled when the last tile is accounted */
  size_t reported;
  uint64_t t0_ns, t1_ns;
};

void eng_matrix_opts_init(eng_matrix_opts *o)
{
  if (o == NULL)
    return;
  memset(o, 0, sizeof *o);
  o->metric = ENG_METRIC_DTW;
  eng_dtw_opts_init(&o->dtw);
  o->priority = ENG_PRIO_NORMAL;
}

static void job_release(eng_matrix_job *j)
{
  /* acq_rel: the last owner sees every other owner's writes before freeing. */
  if (atomic_fetch_sub_explicit(&j->refs, 1, memory_order_acq_rel) != 1)
    return;
  pthread_mutex_destroy(&j->mu);
  pthread_cond_destroy(&j->cv);
  free(j->items);
  free(j->pairs);
  free(j->hf);
  free(j);
}

/* One distance; ECUTOFF from a DTW cutoff becomes +inf (a pruned pair). */
static int metric(eng_matrix_job *j, const eng_seq *a, const eng_seq *b, void *ws, size_t nws,
                  double *d)
{
  int rc;
  switch (j->o.metric) {
  case ENG_METRIC_DTW:
    rc = eng_dtw_distance_ws(a->data, a->n, b->data, b->n, &j->o.dtw, ws, nws, d);
    if (rc == ENG_ECUTOFF) {
      *d = INFINITY;
      rc = 0;
    }
    return rc;
  case ENG_METRIC_EDIT: {
    size_t v;
    rc = eng_levenshtein(a->data, a->n, b->data, b->n, &v);
    if (rc == 0)
      *d = (double)v;
    return rc;
  }
  case ENG_METRIC_LCS: {
    size_t v;
    rc = eng_lcs_length(a->data, a->n, b->data, b->n, &v);
    if (rc == 0)
      *d = (double)(a->n + b->n - 2 * v);
    return rc;
  }
  case ENG_METRIC_CUSTOM:
    return j->o.fn(a, b, ws, j->o.fn_ud, d);
  }
  return ENG_EINVAL;
}

/* The cells of tile t: rows [i0, i1) x columns [c0, c1) (all-pairs: only
 * column > row), or items [i0, i1) against the query. */
static void tile_bounds(const eng_matrix_job *j, size_t t, size_t *i0, size_t *i1, size_t *c0,
                        size_t *c1)
{
  size_t T = j->tile;
  if (j->one_to_many) {
    *i0 = t * T;
    *i1 = *i0 + T < j->k ? *i0 + T : j->k;
    *c0 = *c1 = 0;
    return;
  }
  size_t bi = j->pairs[2 * t], bj = j->pairs[2 * t + 1];
  *i0 = bi * T;
  *i1 = *i0 + T < j->k ? *i0 + T : j->k;
  *c0 = bj * T;
  *c1 = *c0 + T < j->k ? *c0 + T : j->k;
}

static void fill_nan(eng_matrix_job *j, size_t t)
{
  size_t i0, i1, c0, c1;
  tile_bounds(j, t, &i0, &i1, &c0, &c1);
  size_t k = j->k;
  for (size_t i = i0; i < i1; i++) {
    if (j->one_to_many) {
      j->out[i] = NAN;
      continue;
    }
    for (size_t c = c0 > i + 1 ? c0 : i + 1; c < c1; c++)
      j->out[i * k + c] = j->out[c * k + i] = NAN;
  }
}

/* Pairs per eng_dtw_distance_many call: results go through the stack. */
#define MANY 64

/* DTW of a against b[0..cnt), written to out[] (and mirrored into out2[]
 * with stride k when out2 is non-NULL) in the order the serial loop would:
 * a pair above the cutoff is +inf, and from the first error on, NaN. */
static int dtw_row(eng_matrix_job *j, const eng_seq *a, const eng_seq *b, size_t cnt,
                   double *out, size_t stride, double *out2, size_t stride2, void *ws, size_t nws)
{
  int rc = 0;
  for (size_t c = 0; c < cnt; c += MANY) {
    size_t nb = cnt - c < MANY ? cnt - c : MANY;
    double d[MANY];
    int rcs[MANY];
    int e = rc ? rc
               : eng_dtw_distance_many(a->data, a->n, b + c, nb, &j->o.dtw, ws, nws, d, rcs);
    for (size_t l = 0; l < nb; l++) {
      if (rc == 0 && e)
        rc = e;
      if (rc == 0 && rcs[l] == ENG_ECUTOFF)
        d[l] = INFINITY;
      else if (rc == 0 && rcs[l])
        rc = rcs[l];
      double v = rc ? NAN : d[l];
      out[(c + l) * stride] = v;
      if (out2)
        out2[(c + l) * stride2] = v;
    }
  }
  return rc;
}

static int run_tile(eng_matrix_job *j, size_t t, void *ws, size_t nws)
{
  size_t i0, i1, c0, c1;
  tile_bounds(j, t, &i0, &i1, &c0, &c1);
  if (j->o.metric == ENG_METRIC_DTW) {
    size_t k = j->k;
    if (j->one_to_many)
      return dtw_row(j, &j->query, j->items + i0, i1 - i0, j->out + i0, 1, NULL, 0, ws, nws);
    int rc = 0;
    for (size_t i = i0; i < i1; i++) {
      size_t cs = c0 > i + 1 ? c0 : i + 1;
      if (cs >= c1)
        continue;
      if (rc) {
        for (size_t c = cs; c < c1; c++)
          j->out[i * k + c] = j->out[c * k + i] = NAN;
        continue;
      }
      rc = dtw_row(j, &j->items[i], j->items + cs, c1 - cs, j->out + i * k + cs, 1,
                   j->out + cs * k + i, k, ws, nws);
    }
    return rc;
  }
  size_t k = j->k;
  int rc = 0;
  /* After an error the rest of the tile is written as NaN. */
  for (size_t i = i0; i < i1; i++) {
    if (j->one_to_many) {
      double d = NAN;
      if (rc == 0)
        rc = metric(j, &j->query, &j->items[i], ws, nws, &d);
      j->out[i] = rc ? NAN : d;
      continue;
    }
    for (size_t c = c0 > i + 1 ? c0 : i + 1; c < c1; c++) {
      double d = NAN;
      if (rc == 0)
        rc = metric(j, &j->items[i], &j->items[c], ws, nws, &d);
      j->out[i * k + c] = j->out[c * k + i] = rc ? NAN : d;
    }
  }
  return rc;
}

/* Accounts one finished or skipped tile; wakes the waiter after the last. */
static void account(eng_matrix_job *j, int computed)
{
  size_t d, c;
  if (computed) {
    d = atomic_fetch_add_explicit(&j->done, 1, memory_order_acq_rel) + 1;
    c = atomic_load_explicit(&j->cancelled, memory_order_acquire);
  } else {
    c = atomic_fetch_add_explicit(&j->cancelled, 1, memory_order_acq_rel) + 1;
    d = atomic_load_explicit(&j->done, memory_order_acquire);
  }
  pthread_mutex_lock(&j->mu);
  if (j->o.progress && computed && d > j->reported) {
    j->reported = d;
    j->o.progress(d, j->ntiles, j->o.progress_ud);
  }
  /* Re-read under the lock: whoever makes the total reach ntiles broadcasts. */
  d = atomic_load_explicit(&j->done, memory_order_acquire);
  c = atomic_load_explicit(&j->cancelled, memory_order_acquire);
  if (d + c == j->ntiles) {
    j->t1_ns = eng_now_ns();
    pthread_cond_broadcast(&j->cv);
  }
  pthread_mutex_unlock(&j->mu);
}

static void work(eng_matrix_job *j)
{
  void *ws = NULL;
  size_t nws = 0;
  int have_ws = 0;
  for (;;) {
    size_t t = atomic_fetch_add_explicit(&j->next, 1, memory_order_relaxed);
    if (t >= j->ntiles)
      break;
    /* acquire: pairs with the release store in eng_matrix_cancel / on error */
    if (atomic_load_explicit(&j->stop, memory_order_acquire)) {
      fill_nan(j, t);
      account(j, 0);
      continue;
    }
    if (!have_ws) {
      have_ws = 1;
      if (j->o.metric == ENG_METRIC_DTW) {
        nws = eng_dtw_many_workspace(j->maxn, j->maxn);
        ws = nws < SIZE_MAX / sizeof(double) ? malloc(nws * sizeof(double)) : NULL;
      } else if (j->o.metric == ENG_METRIC_CUSTOM && j->o.ws_bytes) {
        nws = j->o.ws_bytes;
        ws = malloc(nws);
      }
      if (nws && ws == NULL) {
        int zero = 0;
        atomic_compare_exchange_strong_explicit(&j->rc, &zero, ENG_ENOMEM, memory_order_relaxed,
                                                memory_order_relaxed);
        atomic_store_explicit(&j->stop, 1, memory_order_release);
        fill_nan(j, t);
        account(j, 0);
        continue;
      }
    }
    int rc = run_tile(j, t, ws, nws);
    if (rc) {
      int zero = 0;
      atomic_compare_exchange_strong_explicit(&j->rc, &zero, rc, memory_order_relaxed,
                                              memory_order_relaxed);
      atomic_store_explicit(&j->stop, 1, memory_order_release);
    }
    account(j, 1);
  }
  free(ws);
}

static void *helper_task(void *arg)
{
  eng_matrix_job *j = arg;
  work(j);
  job_release(j);
  return NULL;
}

/* Cancels the helpers that have not started (they never will: every tile is
 * accounted for, or the caller abandons the job) and drops their references. */
static void reap_helpers(eng_matrix_job *j)
{
  if (j->reaped)
    return;
  j->reaped = 1;
  for (unsigned h = 0; h < j->helpers; h++) {
    if (eng_future_cancel(j->hf[h]) == 1)
      job_release(j); /* never the last reference: the handle still holds one */
    eng_future_release(j->hf[h]);
  }
}

static size_t auto_tile(size_t k, unsigned tasks, int one_to_many)
{
  size_t w = tasks ? tasks : 1;
  size_t t = one_to_many ? k / (8 * w) : k / (4 * w);
  size_t hi = one_to_many ? 256 : 32;
  if (t > hi)
    t = hi;
  return t ? t : 1;
}

static int valid_metric(const eng_matrix_opts *o)
{
  switch (o->metric) {
  case ENG_METRIC_DTW:
    return o->dtw.window >= 0 && !isnan(o->dtw.cutoff) &&
           (o->dtw.cost == ENG_DTW_SQUARED || o->dtw.cost == ENG_DTW_ABSOLUTE);
  case ENG_METRIC_EDIT:
  case ENG_METRIC_LCS:
    return 1;
  case ENG_METRIC_CUSTOM:
    return o->fn != NULL;
  }
  return 0;
}

int eng_matrix_start(eng_engine *e, const eng_seq *items, size_t k, const eng_seq *query,
                     const eng_matrix_opts *opts, double *out, eng_matrix_job **job)
{
  eng_matrix_opts def;
  if (opts == NULL) {
    eng_matrix_opts_init(&def);
    opts = &def;
  }
  if (job == NULL)
    return ENG_EINVAL;
  *job = NULL;
  if (e == NULL || items == NULL || out == NULL || k == 0 || !valid_metric(opts))
    return ENG_EINVAL;
  if (query == NULL && k > SIZE_MAX / sizeof(double) / k)
    return ENG_EINVAL;
  eng_matrix_job *j = calloc(1, sizeof *j);
  if (j == NULL)
    return ENG_ENOMEM;
  j->items = malloc(k * sizeof *j->items);
  if (j->items == NULL) {
    free(j);
    return ENG_ENOMEM;
  }
  memcpy(j->items, items, k * sizeof *items);
  j->e = e;
  j->k = k;
  j->o = *opts;
  j->out = out;
  j->one_to_many = query != NULL;
  if (query)
    j->query = *query;
  for (size_t i = 0; i < k; i++)
    if (items[i].n > j->maxn)
      j->maxn = items[i].n;
  if (query && query->n > j->maxn)
    j->maxn = query->n;
  unsigned w = eng_engine_workers(e);
  unsigned tasks = opts->tasks ? opts->tasks : w;
  if (tasks == 0)
    tasks = 1;
  j->tile = opts->tile ? opts->tile : auto_tile(k, tasks, j->one_to_many);
  size_t nb = (k + j->tile - 1) / j->tile;
  if (j->one_to_many) {
    j->ntiles = nb;
  } else {
    j->ntiles = nb * (nb + 1) / 2;
    j->pairs = malloc(2 * j->ntiles * sizeof *j->pairs);
    if (j->pairs == NULL || nb > UINT32_MAX) {
      free(j->pairs);
      free(j->items);
      free(j);
      return ENG_ENOMEM;
    }
    size_t t = 0;
    for (size_t bi = 0; bi < nb; bi++)
      for (size_t bj = bi; bj < nb; bj++) {
        j->pairs[2 * t] = (uint32_t)bi;
        j->pairs[2 * t + 1] = (uint32_t)bj;
        t++;
      }
    for (size_t i = 0; i < k; i++)
      out[i * k + i] = 0.0;
  }
  pthread_mutex_init(&j->mu, NULL);
  pthread_cond_init(&j->cv, NULL);
  atomic_init(&j->next, 0);
  atomic_init(&j->done, 0);
  atomic_init(&j->cancelled, 0);
  atomic_init(&j->stop, 0);
  atomic_init(&j->rc, 0);
  atomic_init(&j->refs, 1);
  j->t0_ns = eng_now_ns();

  size_t helpers = tasks < j->ntiles ? tasks : j->ntiles;
  if (eng_worker_self(e) >= 0 && helpers > 0)
    helpers--; /* the waiting worker takes a share itself */
  eng_task_opts to;
  eng_task_opts_init(&to);
  to.priority = opts->priority;
  int first_err = 0;
  j->hf = helpers ? malloc(helpers * sizeof *j->hf) : NULL;
  if (helpers && j->hf == NULL) {
    helpers = 0;
    first_err = ENG_ENOMEM;
  }
  for (size_t h = 0; h < helpers; h++) {
    atomic_fetch_add_explicit(&j->refs, 1, memory_order_relaxed);
    int rc = eng_async(e, helper_task, j, &to, &j->hf[j->helpers]);
    if (rc) {
      atomic_fetch_sub_explicit(&j->refs, 1, memory_order_relaxed);
      first_err = rc;
      break;
    }
    j->helpers++;
  }
  if (j->helpers == 0 && first_err && eng_worker_self(e) < 0) {
    /* Nothing is running: report the submit failure with nothing left behind. */
    job_release(j);
    return first_err;
  }
  *job = j;
  return 0;
}

int eng_matrix_cancel(eng_matrix_job *j)
{
  if (j == NULL)
    return ENG_EINVAL;
  /* release: pairs with the acquire load in work() */
  atomic_store_explicit(&j->stop, 1, memory_order_release);
  return 0;
}

size_t eng_matrix_progress(const eng_matrix_job *j, size_t *total)
{
  if (j == NULL)
    return 0;
  if (total)
    *total = j->ntiles;
  return atomic_load_explicit(&((eng_matrix_job *)j)->done, memory_order_relaxed);
}

int eng_matrix_wait(eng_matrix_job *j, eng_matrix_report *rep)
{
  if (j == NULL)
    return ENG_EINVAL;
  if (j->waited)
    return ENG_EMISUSE;
  j->waited = 1;
  if (eng_worker_self(j->e) >= 0 || j->helpers == 0)
    work(j);
  pthread_mutex_lock(&j->mu);
  while (atomic_load_explicit(&j->done, memory_order_acquire) +
             atomic_load_explicit(&j->cancelled, memory_order_acquire) <
         j->ntiles)
    pthread_cond_wait(&j->cv, &j->mu);
  uint64_t t1 = j->t1_ns;
  pthread_mutex_unlock(&j->mu);
  reap_helpers(j);
  size_t done = atomic_load_explicit(&j->done, memory_order_acquire);
  size_t cancelled = atomic_load_explicit(&j->cancelled, memory_order_acquire);
  if (rep) {
    rep->tiles = j->ntiles;
    rep->tiles_done = done;
    rep->tiles_cancelled = cancelled;
    rep->elapsed_ns = t1 - j->t0_ns;
  }
  int rc = atomic_load_explicit(&j->rc, memory_order_relaxed);
  if (rc)
    return rc;
  return cancelled ? ENG_ECANCELED : 0;
}

void eng_matrix_destroy(eng_matrix_job *j)
{
  if (j == NULL)
    return;
  reap_helpers(j);
  job_release(j);
}

int eng_distance_matrix(eng_engine *e, const eng_seq *items, size_t k, const eng_seq *query,
                        const eng_matrix_opts *opts, double *out, eng_matrix_report *rep)
{
  eng_matrix_job *j;
  int rc = eng_matrix_start(e, items, k, query, opts, out, &j);
  if (rc)
    return rc;
  rc = eng_matrix_wait(j, rep);
  eng_matrix_destroy(j);
  return rc;
}
