/* parallel.c: a parallel-for over the engine's workers with counter-claimed items and reaped helpers. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "parallel.h"

/* Shared by the caller and its helper tasks. Reference counted because a
 * helper that starts after the caller returned still reads it (to find that
 * nothing is left to claim); the last reference frees it. */
typedef struct pfor {
  atomic_size_t next; /* next unclaimed item */
  atomic_size_t done; /* finished items */
  atomic_uint refs;   /* caller + helpers that may still run */
  atomic_int rc;      /* first item error */
  size_t count;
  eng__item_fn item;
  void *ctx;
  void (*scratch_free)(void *);
  pthread_mutex_t mu; /* guards nothing but the sleep on cv */
  pthread_cond_t cv;  /* signalled when done reaches count */
} pfor;

static void pfor_release(pfor *p)
{
  /* acq_rel: the last owner sees every other owner's writes before freeing. */
  if (atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) == 1) {
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    free(p);
  }
}

static void pfor_work(pfor *p)
{
  void *scratch = NULL;
  for (;;) {
    size_t i = atomic_fetch_add_explicit(&p->next, 1, memory_order_relaxed);
    if (i >= p->count)
      break;
    int rc = p->item(p->ctx, i, &scratch);
    if (rc) {
      int zero = 0;
      atomic_compare_exchange_strong_explicit(&p->rc, &zero, rc, memory_order_relaxed,
                                              memory_order_relaxed);
    }
    /* release: pairs with the waiter's acquire load, publishing the item's results. */
    if (atomic_fetch_add_explicit(&p->done, 1, memory_order_release) + 1 == p->count) {
      /* Taking the lock orders this signal after a waiter's check of done. */
      pthread_mutex_lock(&p->mu);
      pthread_cond_broadcast(&p->cv);
      pthread_mutex_unlock(&p->mu);
    }
  }
  if (scratch)
    (p->scratch_free ? p->scratch_free : free)(scratch);
}

static void *helper_task(void *arg)
{
  pfor *p = arg;
  pfor_work(p);
  pfor_release(p);
  return NULL;
}

int eng__parallel_for(eng_engine *e, size_t count, eng__item_fn item, void *ctx,
                      void (*scratch_free)(void *), const eng_task_opts *opts)
{
  if (count == 0)
    return 0;
  pfor *p = malloc(sizeof *p);
  if (p == NULL)
    return ENG_ENOMEM;
  atomic_init(&p->next, 0);
  atomic_init(&p->done, 0);
  atomic_init(&p->refs, 1);
  atomic_init(&p->rc, 0);
  p->count = count;
  p->item = item;
  p->ctx = ctx;
  p->scratch_free = scratch_free;
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->cv, NULL);

  int on_worker = e != NULL && eng_worker_self(e) >= 0;
  size_t helpers = e ? eng_engine_workers(e) : 0;
  if (helpers > count)
    helpers = count;
  if (on_worker && helpers > 0)
    helpers--; /* this worker is one of the participants */
  eng_future **fut = helpers ? malloc(helpers * sizeof *fut) : NULL;
  size_t nfut = 0;
  for (size_t h = 0; fut != NULL && h < helpers; h++) {
    atomic_fetch_add_explicit(&p->refs, 1, memory_order_relaxed);
    if (eng_async(e, helper_task, p, opts, &fut[nfut]) != 0) {
      atomic_fetch_sub_explicit(&p->refs, 1, memory_order_relaxed);
      break; /* queue full or shutting down: fewer helpers do it */
    }
    nfut++;
  }
  if (on_worker || nfut == 0)
    pfor_work(p);

  pthread_mutex_lock(&p->mu);
  /* acquire: pairs with the release increment of each finished item. */
  while (atomic_load_explicit(&p->done, memory_order_acquire) < count)
    pthread_cond_wait(&p->cv, &p->mu);
  pthread_mutex_unlock(&p->mu);

  /* Helpers still queued would find nothing to claim; a cancelled task never
   * runs, so its reference is dropped here (a queued helper would otherwise
   * outlive an engine destroyed with ENG_DRAIN_CANCEL). */
  for (size_t h = 0; h < nfut; h++) {
    if (eng_future_cancel(fut[h]) == 1)
      pfor_release(p); /* never the last: the caller still holds one */
    eng_future_release(fut[h]);
  }
  free(fut);
  int rc = atomic_load_explicit(&p->rc, memory_order_relaxed);
  pfor_release(p);
  return rc;
}
