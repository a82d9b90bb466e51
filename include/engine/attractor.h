/* engine/attractor.h: attractor analysis from data.
 *
 * Neighbour search over delay vectors (k-d tree with a Theiler window), the
 * largest Lyapunov exponent from a scalar series (Rosenstein, Collins & De Luca
 * 1993; Kantz 1994), the correlation dimension (Grassberger & Procaccia 1983),
 * surrogate data (Theiler et al. 1992), classification of the attractor and a
 * one-call pipeline.
 *
 * Conventions: functions return 0 or a negative ENG_E* code; outputs go
 * through pointers; the caller owns every buffer it passes in, the library
 * owns what it returns through a create/destroy pair (destroy accepts NULL).
 * Exponents are natural-log rates: per sample, and per time unit when the
 * sampling step dt is given (lambda_time = lambda / dt).
 *
 * Error codes shared by the series kernels: NaN/inf in the input -> ENG_ENAN,
 * series too short for m, tau and the horizon -> ENG_ESHORT, constant series ->
 * ENG_ECONST, m = 0, tau = 0, a NULL pointer or an out-of-range option ->
 * ENG_EINVAL, allocation failure -> ENG_ENOMEM.
 *
 * Thread: every function here is reentrant and touches no global state ("any
 * thread"); a plan or tree is used by one thread at a time except where said.
 */
#ifndef ENGINE_ATTRACTOR_H
#define ENGINE_ATTRACTOR_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------ point sets */

typedef enum eng_norm {
  ENG_NORM_EUCLID = 0, /* sqrt(sum d_c^2) */
  ENG_NORM_MAX = 1     /* max |d_c| (Chebyshev), as TISEAN uses for boxes */
} eng_norm;

/* A read-only view of n points of dimension m: coordinate c of point i is
 * base[i * pstride + c * cstride]. A delay embedding of a series is the view
 * pstride = 1, cstride = tau (no copy); a row-major matrix is pstride = m,
 * cstride = 1. The view borrows base. */
typedef struct eng_points {
  const double *base;
  size_t n;
  unsigned m;
  size_t pstride, cstride;
} eng_points;

static inline double eng_points_at(const eng_points *p, size_t i, unsigned c)
{
  return p->base[i * p->pstride + (size_t)c * p->cstride];
}

/* Fills *p with the delay-vector view of x (rows n - (m-1) tau).
 * Errors: ENG_EINVAL (NULL, m = 0, tau = 0), ENG_ESHORT (no row). */
ENG_EXTERN int eng_points_delay(eng_points *p, const double *x, size_t n, unsigned m,
                                unsigned tau);

/* Fills *p with the view of a row-major n x m matrix. Errors: ENG_EINVAL. */
ENG_EXTERN int eng_points_rows(eng_points *p, const double *rows, size_t n, unsigned m);

/* ------------------------------------------------------------ neighbours */

/* A k-d tree over a point set: median splits on the widest coordinate,
 * leaves of 16 points (all full but the last), one bounding box per node; queries prune with the
 * box distance. The tree copies the points (in leaf order) so the view may be
 * dropped after create. */
typedef struct eng_kdtree eng_kdtree;

/* "no query point in the set": no Theiler exclusion. */
#define ENG_NO_SELF ((size_t)-1)

/* Builds the tree. *out is owned by the caller (eng_kdtree_destroy).
 * Errors: ENG_EINVAL (NULL, n = 0, m = 0, bad norm), ENG_ENOMEM. */
ENG_EXTERN int eng_kdtree_create(eng_kdtree **out, const eng_points *pts, eng_norm norm);
ENG_EXTERN void eng_kdtree_destroy(eng_kdtree *t);

/* The k nearest points of q (m coordinates) in increasing distance order,
 * skipping point indices j with |j - self| <= theiler when self is not
 * ENG_NO_SELF (theiler 0 skips only self). idx and dist (dist may be NULL)
 * receive up to k entries; *found (may be NULL) how many (fewer than k only
 * when the set is exhausted). Ties are broken by the smaller index.
 * Errors: ENG_EINVAL (NULL t, q or idx, k = 0). Thread: any thread (the tree
 * is read-only). */
ENG_EXTERN int eng_kdtree_knn(const eng_kdtree *t, const double *q, size_t self, size_t theiler,
                              size_t k, size_t *idx, double *dist, size_t *found);

/* Number of points j with distance(q, j) < r (strict: the Heaviside step of
 * the correlation sum), with the same exclusion. Errors: ENG_EINVAL.
 * Thread: any thread. */
ENG_EXTERN int eng_kdtree_count(const eng_kdtree *t, const double *q, size_t self, size_t theiler,
                                double r, size_t *count);

/* The points with distance < r: up to cap indices into idx (any order);
 * *found receives the total number, which may exceed cap (call again with a
 * larger buffer). Errors: ENG_EINVAL. Thread: any thread. */
ENG_EXTERN int eng_kdtree_radius(const eng_kdtree *t, const double *q, size_t self,
                                 size_t theiler, double r, size_t *idx, size_t cap, size_t *found);

/* Number of points in the tree and their dimension. */
ENG_EXTERN size_t eng_kdtree_size(const eng_kdtree *t);

/* ------------------------------------------------- Lyapunov from data */

typedef enum eng_lyap_method {
  ENG_LYAP_ROSENSTEIN = 0, /* mean log distance to the nearest neighbour */
  ENG_LYAP_KANTZ = 1       /* mean log of the neighbourhood-average distance */
} eng_lyap_method;

typedef struct eng_lyap_opts {
  eng_lyap_method method;
  unsigned m, tau;     /* embedding dimension and delay (samples), >= 1 */
  size_t theiler;      /* temporal neighbours |i-j| <= theiler are excluded;
                          ENG_LYAP_AUTO: the mean period (mean spacing of the
                          maxima confirmed by a 0.1 sd rise and fall), at
                          least tau*(m-1)+1, at most a tenth of the points */
  size_t kmax;         /* divergence curve for k = 0..kmax steps; 0: auto
                          (10 mean periods, clamped to [20, 1000] and to n/4) */
  double dt;           /* sampling step in time units (> 0; default 1) */
  size_t fit_lo, fit_hi; /* fit over k in [fit_lo, fit_hi]; fit_hi = 0: auto */
  double eps;          /* Kantz: neighbourhood radius (max norm, in units of
                          the series); 0: auto (median distance to the
                          kantz_k-th neighbour) */
  size_t kantz_k;      /* Kantz auto eps target neighbour count (default 4) */
  size_t min_neighbors;/* Kantz: references with fewer are skipped (default 2) */
  size_t max_neighbors;/* Kantz: at most this many neighbours used (default 64) */
  size_t nref;         /* at most this many reference points, evenly spread
                          (0: all) */
  unsigned blocks;     /* reference points are split into this many
                          contiguous blocks: the unit of parallel work and the
                          confidence interval (default 8, >= 2) */
} eng_lyap_opts;

#define ENG_LYAP_AUTO ((size_t)-1)

/* Defaults: Rosenstein, m 2, tau 1, theiler auto, kmax auto, dt 1, auto fit,
 * eps auto, kantz_k 4, min_neighbors 2, max_neighbors 64, nref 0, blocks 8. */
ENG_EXTERN void eng_lyap_opts_init(eng_lyap_opts *o);

typedef struct eng_lyap_result {
  double lambda;        /* per sample */
  double lambda_time;   /* per time unit: lambda / dt */
  double ci_lo, ci_hi;  /* 95% confidence interval of lambda (per sample):
                           Student t over the per-block slopes */
  double intercept;     /* of the fitted line y = intercept + lambda k */
  double r2;            /* coefficient of determination of the fit */
  size_t fit_lo, fit_hi;/* fit range used (steps, inclusive) */
  size_t kmax;          /* curve has kmax + 1 entries */
  size_t theiler;       /* Theiler window used */
  double eps;           /* Kantz radius used (0 for Rosenstein) */
  size_t nref;          /* reference points that contributed */
  double rise;          /* curve max - curve[0]: log of the total divergence */
} eng_lyap_result;

/* A prepared estimate: the tree and sizes; blocks can then run on different
 * threads and are summed in block order, so any schedule gives the same bits. */
typedef struct eng_lyap_plan eng_lyap_plan;

/* Validates, standardises a copy of x (so the exponent is scale-free), picks
 * the automatic parameters and builds the neighbour tree.
 * Errors: ENG_EINVAL, ENG_ENAN, ENG_ESHORT, ENG_ECONST, ENG_ENOMEM. */
ENG_EXTERN int eng_lyap_plan_create(eng_lyap_plan **out, const double *x, size_t n,
                                    const eng_lyap_opts *o);
ENG_EXTERN unsigned eng_lyap_plan_blocks(const eng_lyap_plan *p);
ENG_EXTERN size_t eng_lyap_plan_kmax(const eng_lyap_plan *p);
/* Runs block b (0 <= b < blocks). Distinct blocks may run concurrently.
 * Errors: ENG_EINVAL. Thread: any thread, one call per block. */
ENG_EXTERN int eng_lyap_plan_run(eng_lyap_plan *p, unsigned b);
/* Sums the blocks, fits and fills *res; curve (may be NULL) receives up to
 * cap values of the mean log divergence y(k), k = 0..kmax.
 * Errors: ENG_EINVAL (a block not run), ENG_ERANGE (no reference point had a
 * usable neighbour, e.g. Kantz with too small an eps). */
ENG_EXTERN int eng_lyap_plan_finish(eng_lyap_plan *p, double *curve, size_t cap,
                                    eng_lyap_result *res);
ENG_EXTERN void eng_lyap_plan_destroy(eng_lyap_plan *p);

/* The whole estimate on the calling thread: create, run every block, finish.
 * o NULL means defaults. Errors: as the plan functions. */
ENG_EXTERN int eng_lyapunov(const double *x, size_t n, const eng_lyap_opts *o, double *curve,
                            size_t cap, eng_lyap_result *res);

/* Least-squares slope fit of y over k in [lo, hi] and the automatic choice of
 * that range used by the estimators (exposed for re-fitting a returned curve).
 * eng_lyap_fit_auto: with D = max y - y[0] (the rise), the fit runs from the
 * first k where y - y[0] >= 0.15 D to the last k before it reaches 0.65 D;
 * a curve with D < 0.7 is fitted whole. Errors: ENG_EINVAL, ENG_ERANGE
 * (a non-finite value in the range). */
ENG_EXTERN int eng_lyap_fit(const double *y, size_t lo, size_t hi, double *slope,
                            double *intercept, double *r2);
ENG_EXTERN int eng_lyap_fit_auto(const double *y, size_t len, size_t *lo, size_t *hi);

/* ----------------------------------------------- correlation dimension */

typedef struct eng_corrdim_opts {
  unsigned m_min, m_max; /* embedding dimensions (1 <= m_min <= m_max <= 64) */
  unsigned tau;          /* delay, >= 1 */
  size_t theiler;        /* pairs with |i-j| <= theiler are not counted;
                            ENG_LYAP_AUTO: the mean period (as for Lyapunov) */
  double r_max;          /* largest radius, in units of the series' standard
                            deviation (default 1) */
  unsigned octaves;      /* radii cover r_max * [2^-octaves, 1] (default 12) */
  unsigned blocks;       /* reference rows are split into this many blocks
                            of equal pair counts (default 8) */
  double min_pairs;      /* the scaling region needs this many pairs at its
                            smallest radius in the top dimension (default 200) */
  int scalar;            /* 1: force the portable scalar pair scan (for tests
                            and benchmarks; default 0: AVX2 when the CPU has
                            it). The counts are identical either way. */
} eng_corrdim_opts;

/* Sub-bins per octave of the radius grid: radii are r_max 2^-e (1 + s/16). */
#define ENG_CORRDIM_SUB 16

ENG_EXTERN void eng_corrdim_opts_init(eng_corrdim_opts *o);

/* Number of radii reported for o: octaves * ENG_CORRDIM_SUB + 1. */
ENG_EXTERN size_t eng_corrdim_nradii(const eng_corrdim_opts *o);

typedef struct eng_corrdim_result {
  double d2;            /* correlation dimension: mean of the fitted slopes of
                           the top dimensions (the upper third of m_min..m_max) */
  double d2_sd;         /* standard deviation of those slopes */
  double r_lo, r_hi;    /* scaling region (in units of the series) */
  size_t i_lo, i_hi;    /* the same as indexes into radii */
  size_t theiler;       /* Theiler window used */
  double sd;            /* standard deviation of the series (radius unit) */
  uint64_t npairs;      /* pairs per dimension in the normalisation */
} eng_corrdim_result;

typedef struct eng_corrdim_plan eng_corrdim_plan;

ENG_EXTERN int eng_corrdim_plan_create(eng_corrdim_plan **out, const double *x, size_t n,
                                       const eng_corrdim_opts *o);
ENG_EXTERN unsigned eng_corrdim_plan_blocks(const eng_corrdim_plan *p);
/* Counts the pairs of block b. Distinct blocks may run concurrently. */
ENG_EXTERN int eng_corrdim_plan_run(eng_corrdim_plan *p, unsigned b);
/* Sums the (integer) counts and fits. radii (may be NULL) receives nradii
 * increasing radii in units of the series; logc (may be NULL) receives
 * (m_max - m_min + 1) rows of nradii values ln C_m(r) (-inf where C = 0);
 * slopes (may be NULL) the fitted slope per m over the scaling region.
 * Errors: ENG_EINVAL (a block not run), ENG_ERANGE (no radius has enough
 * pairs: the series is too short for the asked dimensions). */
ENG_EXTERN int eng_corrdim_plan_finish(eng_corrdim_plan *p, double *radii, double *logc,
                                       double *slopes, eng_corrdim_result *res);
ENG_EXTERN void eng_corrdim_plan_destroy(eng_corrdim_plan *p);

/* Serial: create, run every block, finish. o NULL means defaults. */
ENG_EXTERN int eng_corrdim(const double *x, size_t n, const eng_corrdim_opts *o, double *radii,
                           double *logc, double *slopes, eng_corrdim_result *res);

/* ------------------------------------------------------------ surrogates */

typedef enum eng_surrogate_kind {
  ENG_SURR_SHUFFLE = 0, /* random permutation: destroys all temporal structure */
  ENG_SURR_PHASE = 1,   /* Fourier transform surrogate: same power spectrum,
                           uniform random phases (Theiler et al. 1992) */
  ENG_SURR_AAFT = 2     /* amplitude-adjusted FT surrogate: same values and
                           (approximately) the same spectrum */
} eng_surrogate_kind;

/* One surrogate of x into out (n values; out != x). The same seed gives the
 * same surrogate. work: NULL (allocated inside) or eng_surrogate_work_size(n)
 * bytes. Errors: ENG_EINVAL (NULL, n < 2, bad kind), ENG_ENAN, ENG_ENOMEM. */
ENG_EXTERN int eng_surrogate(const double *x, size_t n, eng_surrogate_kind kind, uint64_t seed,
                             double *out, void *work);
ENG_EXTERN size_t eng_surrogate_work_size(size_t n);

/* In-place discrete Fourier transform of any length n >= 1 (radix-2 for
 * powers of two, Bluestein's chirp-z otherwise): X_k = sum x_j e^{-2 pi i jk/n}
 * (inverse: e^{+...}, scaled by 1/n). work: NULL or eng_fft_work_size(n)
 * bytes. Errors: ENG_EINVAL, ENG_ENOMEM. */
ENG_EXTERN int eng_fft(double *re, double *im, size_t n, int inverse, void *work);
ENG_EXTERN size_t eng_fft_work_size(size_t n);

/* Nonlinear prediction error (locally constant predictor, Farmer & Sidorowich
 * 1987), the surrogate test's discriminating statistic: the RMS error, divided
 * by the series' standard deviation, of predicting x[t + h] as the mean of the
 * futures of the k nearest delay vectors (Euclidean, Theiler window), over up
 * to nref reference points evenly spread. Errors: as the series kernels. */
ENG_EXTERN int eng_prediction_error(const double *x, size_t n, unsigned m, unsigned tau,
                                    size_t h, size_t k, size_t theiler, size_t nref,
                                    double *err);

/* -------------------------------------------------------- classification */

typedef enum eng_attractor_class {
  ENG_CLASS_FIXED_POINT = 0,
  ENG_CLASS_LIMIT_CYCLE = 1,
  ENG_CLASS_QUASI_PERIODIC = 2,
  ENG_CLASS_CHAOTIC = 3,
  ENG_CLASS_STOCHASTIC = 4
} eng_attractor_class;

/* "fixed_point", "limit_cycle", "quasi_periodic", "chaotic", "stochastic";
 * NULL for an unknown value. */
ENG_EXTERN const char *eng_attractor_class_name(eng_attractor_class c);

typedef struct eng_classify_opts {
  unsigned m, tau;      /* embedding; 0: chosen by the pipeline rules
                           (tau from mutual information, m from FNN) */
  size_t theiler;       /* ENG_LYAP_AUTO: mean period */
  unsigned surrogates;  /* phase-randomised surrogates (default 19: one-sided
                           rank test at p = 0.05) */
  uint64_t seed;        /* surrogate seed (default 1) */
  double dt;            /* sampling step, for the per-time-unit exponent */
  const eng_lyap_result *lyap;    /* NULL (default): the exponent evidence is
                           estimated here (Rosenstein at m, tau, theiler);
                           else this estimate of the same series is used
                           (all zero: no usable neighbour) */
  const eng_corrdim_result *corr; /* NULL (default): D2 is estimated here
                           over m-1..m+1; else this estimate is used (d2 NaN:
                           no scaling region). eng_analyze passes its own, so
                           the series' D2 is computed once. */
} eng_classify_opts;

ENG_EXTERN void eng_classify_opts_init(eng_classify_opts *o);

typedef struct eng_classify_result {
  eng_attractor_class cls;
  unsigned m, tau;        /* embedding used */
  size_t theiler;
  double period;          /* mean period in samples (0: none found) */
  double decay;           /* last-block RMS / first-block RMS of the deviation
                             from the final value (fixed-point evidence) */
  double lambda;          /* largest exponent per sample (Rosenstein) */
  double lambda_lo, lambda_hi; /* its 95% confidence interval */
  double lambda_time;     /* per time unit */
  double lambda_period;   /* lambda * period: e-foldings per mean period */
  double rise;            /* log divergence of nearest neighbours */
  double d2;              /* correlation dimension at m */
  double pred_err;        /* prediction error of the series */
  double surr_err_min;    /* smallest prediction error among surrogates */
  double surr_err_median; /* their median */
  int surr_reject;        /* 1: the linear-noise null hypothesis is rejected */
  int d2_ok;              /* 1: a scaling region was found */
} eng_classify_result;

/* Classifies x (see docs/attractor.md for the decision rules). The series is
 * standardised first, so scale and offset change nothing.
 * Errors: as the series kernels; ENG_ESHORT needs n >= 256. */
ENG_EXTERN int eng_classify(const double *x, size_t n, const eng_classify_opts *o,
                            eng_classify_result *res);

/* ---------------------------------------------------------------- pipeline */

typedef struct eng_analyze_opts {
  unsigned tau;         /* 0: the smaller of the first minimum of the mutual
                           information and the 1/e autocorrelation time */
  unsigned m;           /* 0: false nearest neighbours (Kennel), m_max 10 */
  unsigned m_max;       /* largest m tried (default 10) */
  double dt;            /* sampling step (default 1) */
  eng_lyap_method method; /* default Rosenstein */
  unsigned surrogates;  /* default 19 */
  uint64_t seed;        /* default 1 */
} eng_analyze_opts;

ENG_EXTERN void eng_analyze_opts_init(eng_analyze_opts *o);

typedef struct eng_analyze_result {
  unsigned tau, m;          /* chosen delay and dimension */
  int tau_auto, m_auto;     /* 1 when chosen by the pipeline */
  const char *tau_rule;     /* "ami", "acf_1e" or "given" */
  double fnn_frac;          /* false-neighbour fraction at m (auto only) */
  size_t theiler;
  eng_lyap_result lyap;     /* largest exponent */
  eng_corrdim_result corr;  /* D2 over dimensions max(1, m-2)..m+2, r_max 0.5 sd */
  eng_classify_result cls;  /* class and evidence */
} eng_analyze_result;

/* Delay, dimension, embedding, exponent, D2 and class in one call.
 * Errors: as the series kernels. */
ENG_EXTERN int eng_analyze(const double *x, size_t n, const eng_analyze_opts *o,
                           eng_analyze_result *res);

/* -------------------------------------------------- scheduled versions */

/* The same computations with their blocks (the Lyapunov k-d tree's halves and
 * reference blocks, correlation-sum row blocks, surrogates, and in
 * eng_analyze_par the FNN dimensions) run as tasks on e's workers. The
 * results are bit-identical to the serial functions. A caller on one of e's
 * workers takes part in the work and any other caller sleeps until it is
 * done, so these may be called from any thread, one of e's workers included.
 * Errors: as the serial versions, plus eng_task_submit's (other than
 * ENG_EAGAIN, which only means the caller does more of the work). */
ENG_EXTERN int eng_lyapunov_par(eng_engine *e, const double *x, size_t n, const eng_lyap_opts *o,
                                double *curve, size_t cap, eng_lyap_result *res);
ENG_EXTERN int eng_corrdim_par(eng_engine *e, const double *x, size_t n,
                               const eng_corrdim_opts *o, double *radii, double *logc,
                               double *slopes, eng_corrdim_result *res);
ENG_EXTERN int eng_classify_par(eng_engine *e, const double *x, size_t n,
                                const eng_classify_opts *o, eng_classify_result *res);
ENG_EXTERN int eng_analyze_par(eng_engine *e, const double *x, size_t n,
                               const eng_analyze_opts *o, eng_analyze_result *res);

#ifdef __cplusplus
}
#endif
#endif
