/* jobs_ltl.c: many traces x many LTL formulas as scheduled tasks, one trace per task, with progress. */
#include <stdatomic.h>
#include <stdlib.h>

#include "engine.h"
#include "engine/ltl.h"
#include "parallel.h"

/* The batch's inputs and outputs; items are traces, run through eng__parallel_for. */
typedef struct batch {
  atomic_size_t pairs; /* finished pairs, for progress */
  const eng_ltl_formula *const *formulas;
  size_t nf;
  const eng_ltl_trace *const *traces;
  size_t nt;
  eng_ltl_result *results;
  int *status;
  eng_ltl_progress_fn progress;
  void *ud;
} batch;

/* A participant's scratch is its checker workspace, made on its first trace. */
static void workspace_free(void *ws) { eng_ltl_workspace_free(ws); }

static int trace_item(void *ctx, size_t t, void **scratch) {
  batch *b = ctx;
  if (*scratch == NULL) {
    eng_ltl_workspace *ws = NULL;
    if (eng_ltl_workspace_create(&ws) == 0) *scratch = ws; /* NULL still works: allocation per check */
  }
  for (size_t f = 0; f < b->nf; f++)
    b->status[t * b->nf + f] = eng_ltl_check(b->formulas[f], b->traces[t], *scratch, &b->results[t * b->nf + f], NULL);
  size_t pairs = atomic_fetch_add_explicit(&b->pairs, b->nf, memory_order_relaxed) + b->nf;
  if (b->progress) b->progress(b->ud, pairs, b->nt * b->nf);
  return 0;
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
  batch b = {.formulas = formulas, .nf = nformulas, .traces = traces, .nt = ntraces,
             .results = results, .status = status, .progress = progress, .ud = ud};
  atomic_init(&b.pairs, 0);
  int prc = eng__parallel_for(e, ntraces, trace_item, &b, workspace_free, NULL);
  int rc = prc; /* nonzero only when the loop itself had no memory */
  for (size_t i = 0; i < ntraces * nformulas && !rc; i++) rc = status[i];
  free(own_status);
  return rc;
}
