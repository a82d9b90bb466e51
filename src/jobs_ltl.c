/* jobs_ltl.c: many traces x many LTL formulas as scheduled tasks, one trace per task, with progress. */
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "engine.h"
#include "engine/ltl.h"

/* Shared by the caller and its helper tasks; the last reference frees it, so
 * a helper that starts after the caller returned finds no work and cleans up. */
typedef struct batch {
  atomic_size_t next;  /* next unclaimed trace */
  atomic_size_t done;  /* finished traces */
  atomic_size_t pairs; /* finished pairs, for progress */
  atomic_uint refs;
  const eng_ltl_formula *const *formulas;
  size_t nf;
  const eng_ltl_trace *const *traces;
  size_t nt;
  eng_ltl_result *results;
  int *status;
  eng_ltl_progress_fn progress;
  void *ud;
} batch;

static void batch_release(batch *b) {
  /* acq_rel: the last owner sees every other owner's writes before freeing. */
  if (atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) == 1) free(b);
}

static void batch_work(batch *b) {
  eng_ltl_workspace *ws = NULL;
  int wrc = eng_ltl_workspace_create(&ws); /* NULL ws still works: allocation per check */
  (void)wrc;
  for (;;) {
    size_t t = atomic_fetch_add_explicit(&b->next, 1, memory_order_relaxed);
    if (t >= b->nt) break;
    for (size_t f = 0; f < b->nf; f++) {
      int rc = eng_ltl_check(b->formulas[f], b->traces[t], ws, &b->results[t * b->nf + f], NULL);
      b->status[t * b->nf + f] = rc;
    }
    size_t pairs = atomic_fetch_add_explicit(&b->pairs, b->nf, memory_order_relaxed) + b->nf;
    if (b->progress) b->progress(b->ud, pairs, b->nt * b->nf);
    /* release: pairs with the caller's acquire load of done, publishing the results. */
    atomic_fetch_add_explicit(&b->done, 1, memory_order_release);
  }
  eng_ltl_workspace_free(ws);
}

static void *batch_task(void *arg) {
  batch *b = arg;
  batch_work(b);
  batch_release(b);
  return NULL;
}

int eng_ltl_check_many(eng_engine *e, const eng_ltl_formula *const *formulas, size_t nformulas,
                       const eng_ltl_trace *const *traces, size_t ntraces, eng_ltl_result *results, int *status,
                       eng_ltl_progress_fn progress, void *ud) {
  if ((nformulas && !formulas) || (ntraces && !traces) || (nformulas && ntraces && !results)) return ENG_EINVAL;
  for (size_t i = 0; i < nformulas; i++)
    if (!formulas[i]) return ENG_EINVAL;
  for (size_t i = 0; i < ntraces; i++)
    if (!traces[i]) return ENG_EINVAL;
  if (!nformulas || !ntraces) return 0;
  if (ntraces > SIZE_MAX / nformulas) return ENG_EINVAL;
  int *own_status = NULL;
  if (!status) {
    own_status = malloc(ntraces * nformulas * sizeof *own_status);
    if (!own_status) return ENG_ENOMEM;
    status = own_status;
  }
  batch *b = calloc(1, sizeof *b);
  if (!b) {
    free(own_status);
    return ENG_ENOMEM;
  }
  atomic_init(&b->next, 0);
  atomic_init(&b->done, 0);
  atomic_init(&b->pairs, 0);
  atomic_init(&b->refs, 1);
  b->formulas = formulas;
  b->nf = nformulas;
  b->traces = traces;
  b->nt = ntraces;
  b->results = results;
  b->status = status;
  b->progress = progress;
  b->ud = ud;
  unsigned w = e ? eng_engine_workers(e) : 0;
  size_t helpers = w < ntraces ? w : ntraces;
  if (e && eng_worker_self(e) >= 0 && helpers > 0) helpers--; /* this worker is one of them */
  eng_future **fut = helpers ? calloc(helpers, sizeof *fut) : NULL;
  if (!fut) helpers = 0;
  size_t nfut = 0;
  for (size_t k = 0; k < helpers; k++) {
    atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed);
    if (eng_async(e, batch_task, b, NULL, &fut[nfut]) != 0) {
      /* queue full or shutting down: the caller does that share itself */
      atomic_fetch_sub_explicit(&b->refs, 1, memory_order_relaxed);
      break;
    }
    nfut++;
  }
  batch_work(b);
  /* Helpers that have not started will find nothing to do: cancel them and
   * drop their references here (a cancelled task never runs, so it could not
   * drop its own); one that already started drops its own. */
  for (size_t k = 0; k < nfut; k++) {
    if (eng_future_cancel(fut[k]) == 1) batch_release(b);
    eng_future_release(fut[k]);
  }
  free(fut);
  /* Every trace is claimed now, and only by running tasks: waiting cannot deadlock.
   * acquire: pairs with the release increment in batch_work. */
  while (atomic_load_explicit(&b->done, memory_order_acquire) < ntraces) sched_yield();
  batch_release(b);
  int rc = 0;
  for (size_t i = 0; i < ntraces * nformulas && !rc; i++) rc = status[i];
  free(own_status);
  return rc;
}
