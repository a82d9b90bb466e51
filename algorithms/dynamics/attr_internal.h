/* attr_internal.h: helpers shared by the attractor kernels (not installed). */
#ifndef ENGINE_ATTR_INTERNAL_H
#define ENGINE_ATTR_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "engine/attractor.h"
#include "engine/dynamics.h"

/* Validates a series: ENG_EINVAL (NULL), ENG_ENAN, ENG_ECONST (all values
 * equal); *mean and *sd (population) receive its moments. */
int eng__series_check(const double *x, size_t n, double *mean, double *sd);

/* Mean period in samples: mean spacing of upward crossings of the mean (with
 * a small hysteresis of 0.05 sd against noise). 0 when fewer than 3 crossings. */
double eng__mean_period(const double *x, size_t n, double mean, double sd);

/* The Theiler window chosen for ENG_LYAP_AUTO. */
size_t eng__auto_theiler(double period, unsigned m, unsigned tau, size_t n);

/* eng_kdtree_create in stages, for a build shared by threads (see
 * eng__nn_build_top): _begin allocates and splits the root, returning the
 * number of independent parts in *parts; _part builds one (concurrently with
 * the others); _end completes the tree. The view p points into must outlive
 * _end. */
int eng__kdtree_begin(eng_kdtree **out, const eng_points *p, eng_norm norm, unsigned *parts);
void eng__kdtree_part(eng_kdtree *t, unsigned i);
void eng__kdtree_end(eng_kdtree *t);

/* eng_lyap_plan_create in stages, so that the scheduled version builds the
 * k-d tree's parts on two workers: _begin validates, standardises and splits
 * the tree's root (*parts parts to build); _tree builds part i (concurrently
 * with the others); _end completes the tree and, for Kantz, the radius. On an
 * error from _end the caller destroys the plan. */
int eng__lyap_plan_begin(eng_lyap_plan **out, const double *x, size_t n,
                         const eng_lyap_opts *o, unsigned *parts);
void eng__lyap_plan_tree(eng_lyap_plan *p, unsigned i);
int eng__lyap_plan_end(eng_lyap_plan *p);

/* Visits every point j of t with distance(q, j) < r and j >= jlo, skipping
 * |j - self| <= theiler (self may be ENG_NO_SELF), calling fn(ud, j). */
typedef void (*eng__visit_fn)(void *ud, size_t j);
void eng__kdtree_visit(const eng_kdtree *t, const double *q, size_t self, size_t theiler,
                       size_t jlo, double r, eng__visit_fn fn, void *ud);

/* Student t quantile t_{0.975, df} for df >= 1. */
double eng__t975(size_t df);

/* Lag where the autocorrelation of a standardised series first drops below
 * 1/e (max_lag when it never does). */
unsigned eng__acf_1e(const double *z, size_t n, unsigned max_lag);

/* Classification in steps, so the scheduled version can run the Lyapunov
 * estimate, D2 and each surrogate as separate tasks. */
typedef struct eng_classify_work {
  eng_classify_opts o;
  size_t n;
  double *z;          /* standardised series */
  size_t h;           /* prediction horizon */
  int fixed;          /* fixed point found by the decay test */
  double *surr_err;   /* per surrogate prediction error */
  int *surr_rc;       /* per surrogate status (scheduled version) */
  eng_classify_result res;
} eng_classify_work;

int eng__classify_prepare(eng_classify_work *w, const double *x, size_t n,
                          const eng_classify_opts *o);
int eng__classify_lyap(eng_classify_work *w);
int eng__classify_d2(eng_classify_work *w);
int eng__classify_pred(const eng_classify_work *w, long s, double *err);
void eng__classify_decide(eng_classify_work *w);
void eng__classify_free(eng_classify_work *w);

/* The pipeline's estimation stages, so the serial and the scheduled
 * pipelines share every choice and differ only in how a stage runs. ctx is
 * passed through (the engine for the scheduled stages). */
typedef struct eng__analyze_stages {
  int (*classify)(void *ctx, const double *x, size_t n, const eng_classify_opts *o,
                  eng_classify_result *res);
  int (*lyapunov)(void *ctx, const double *x, size_t n, const eng_lyap_opts *o,
                  eng_lyap_result *res);
  int (*corrdim)(void *ctx, const double *x, size_t n, const eng_corrdim_opts *o,
                 eng_corrdim_result *res);
  int (*fnn)(void *ctx, const double *x, size_t n, const eng_dim_opts *o, double *frac,
             unsigned *m);
  void *ctx;
} eng__analyze_stages;

int eng__analyze_run(const double *x, size_t n, const eng_analyze_opts *o, eng_analyze_result *res,
                     const eng__analyze_stages *stages);

#endif
