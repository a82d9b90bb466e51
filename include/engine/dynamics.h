/* engine/dynamics.h: dynamical-systems kernels from equations and for embedding.
 *
 * Generators (Lorenz, Rossler, Henon, logistic), the Lyapunov spectrum from the
 * equations (Benettin et al. 1980) with the Kaplan-Yorke dimension, delay
 * embedding (Takens 1981), delay estimation (autocorrelation; average mutual
 * information, Fraser & Swinney 1986) and embedding-dimension estimation (false
 * nearest neighbours, Kennel, Brown & Abarbanel 1992; Cao 1997).
 *
 * Conventions: functions return 0 or a negative ENG_E* code; outputs go through
 * pointers; the caller owns every buffer it passes. Every kernel here is
 * reentrant and touches no global state: "Thread: any thread" holds for all of
 * them unless said otherwise. Exponents are natural-log (base e) rates, per unit
 * of time for flows and per iteration for maps.
 *
 * Error codes shared by the series kernels: NaN/inf in the input -> ENG_ENAN,
 * series too short for m and tau -> ENG_ESHORT, constant series -> ENG_ECONST,
 * m = 0, tau = 0 or a NULL pointer -> ENG_EINVAL, allocation failure -> ENG_ENOMEM.
 */
#ifndef ENGINE_DYNAMICS_H
#define ENGINE_DYNAMICS_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ PRNG */

/* A small seeded generator (xoshiro256**, seeded through splitmix64). The
 * caller owns the state; there is no global generator. */
typedef struct eng_rng {
  uint64_t s[4];
} eng_rng;

/* Seeds *r deterministically from seed (any value, 0 included). Thread: any. */
ENG_EXTERN void eng_rng_seed(eng_rng *r, uint64_t seed);
/* Next 64 random bits. Thread: any (one state per thread). */
ENG_EXTERN uint64_t eng_rng_next(eng_rng *r);
/* Uniform on [0, 1) with 53 random bits. */
ENG_EXTERN double eng_rng_uniform(eng_rng *r);
/* Standard normal deviate (Marsaglia polar method). */
ENG_EXTERN double eng_rng_normal(eng_rng *r);

/* ------------------------------------------------------------- systems */

typedef enum eng_system_kind {
  ENG_SYS_LORENZ = 0,   /* dx=s(y-x), dy=x(r-z)-y, dz=xy-bz; p = {s, r, b} = {10, 28, 8/3} */
  ENG_SYS_ROSSLER = 1,  /* dx=-y-z, dy=x+ay, dz=b+z(x-c);      p = {a, b, c} = {0.2, 0.2, 5.7} */
  ENG_SYS_HENON = 2,    /* x'=1-ax^2+y, y'=bx;                 p = {a, b} = {1.4, 0.3} */
  ENG_SYS_LOGISTIC = 3  /* x'=rx(1-x);                         p = {r} = {4} */
} eng_system_kind;

typedef struct eng_system {
  eng_system_kind kind;
  double p[3];       /* parameters in the order above */
  double x0[3];      /* initial state (unused components ignored) */
  double dt;         /* flows: sampling step in time units (maps: ignored) */
  unsigned substeps; /* flows: RK4 steps per sample (step = dt / substeps), >= 1 */
  size_t transient;  /* samples (iterations for maps) discarded before output */
  double noise;      /* standard deviation of additive Gaussian noise, in the
                        units of the output (0: none); added to the output only,
                        never fed back into the dynamics */
} eng_system;

/* Fills *s with the classic parameters and defaults for kind: Lorenz dt 0.01,
 * x0 (1,1,1), transient 5000; Rossler dt 0.05, x0 (1,1,0), transient 5000; Henon
 * x0 (0.1, 0.1), transient 1000; logistic x0 0.1, transient 1000; substeps 1,
 * noise 0. Errors: ENG_EINVAL (s NULL or unknown kind). */
ENG_EXTERN int eng_system_init(eng_system *s, eng_system_kind kind);

/* State dimension of kind: 3, 3, 2, 1 (0 for an unknown kind). */
ENG_EXTERN unsigned eng_system_dim(eng_system_kind kind);

/* Parses "lorenz", "rossler", "henon", "logistic"; ENG_EINVAL otherwise. */
ENG_EXTERN int eng_system_kind_from_name(const char *name, eng_system_kind *out);
ENG_EXTERN const char *eng_system_name(eng_system_kind kind); /* NULL if unknown */

/* Generates n samples after the transient. coords is a bit mask of the state
 * components to output (bit 0 = x, bit 1 = y, bit 2 = z); out receives n rows
 * of popcount(coords) values, row-major, components in increasing order.
 * rng supplies the noise; it may be NULL when s->noise == 0.
 * Errors: ENG_EINVAL (NULL, n = 0, coords empty or naming a component the
 * system lacks, dt <= 0 or substeps = 0 for a flow, noise < 0 or noise > 0 with
 * rng NULL), ENG_ERANGE (the orbit diverged to infinity: parameters outside the
 * attracting range). */
ENG_EXTERN int eng_system_generate(const eng_system *s, size_t n, unsigned coords, eng_rng *rng,
                                   double *out);

/* ------------------------------------------------------------ spectrum */

typedef struct eng_spectrum_opts {
  size_t steps;      /* integration steps (flows, each s->dt / s->substeps long)
                        or iterations (maps) averaged over */
  unsigned qr_every; /* re-orthonormalise every this many steps (>= 1) */
} eng_spectrum_opts;

/* Defaults for kind, chosen for accuracy within the documented time budget
 * (steps are of s->dt / s->substeps, so with eng_system_init defaults):
 * Lorenz 300000 steps of 0.01 (T = 3000), Rossler 200000 steps of 0.05
 * (T = 10000), both with qr_every 10; Henon 1000000 iterations, qr_every 4;
 * logistic 1000000 iterations, qr_every 1. */
ENG_EXTERN void eng_spectrum_opts_init(eng_spectrum_opts *o, eng_system_kind kind);

/* Lyapunov spectrum of s (Benettin et al. 1980): the orbit and its tangent
 * dynamics (Jacobian) are advanced together (RK4 for flows, the exact map
 * derivative for maps) from s->x0 after s->transient steps; the tangent basis
 * is re-orthonormalised by modified Gram-Schmidt every qr_every steps and the
 * exponents are the time averages of log |R_ii|. exps receives eng_system_dim
 * values in decreasing order; *dim (may be NULL) receives their count. s->noise
 * is ignored. o NULL means eng_spectrum_opts_init defaults.
 * The logistic map at r = 4 is computed on its conjugate doubling map with a
 * seeded bit stream (see docs/dynamics.md) so that the orbit cannot collapse
 * onto a floating-point cycle.
 * Errors: ENG_EINVAL (NULL, steps = 0, qr_every = 0, bad dt), ENG_ERANGE (orbit
 * diverged). */
ENG_EXTERN int eng_spectrum(const eng_system *s, const eng_spectrum_opts *o, double *exps,
                            unsigned *dim);

/* Kaplan-Yorke (Lyapunov) dimension (Kaplan & Yorke 1979) of a spectrum sorted
 * in decreasing order: D = j + (l_1+...+l_j) / |l_{j+1}| with j the largest
 * index whose partial sum is >= 0 (D = 0 when l_1 < 0, D = k when the whole sum
 * is >= 0). Errors: ENG_EINVAL (NULL, k = 0, not sorted), ENG_ENAN. */
ENG_EXTERN int eng_kaplan_yorke(const double *exps, unsigned k, double *dim);

/* ------------------------------------------------------------ embedding */

/* Delay vectors (Takens 1981): row i is (x[i], x[i+tau], ..., x[i+(m-1)tau]).
 * Number of rows for n samples: n - (m-1)*tau, or 0 when that is < 1 or when
 * m or tau is 0. */
ENG_EXTERN size_t eng_embed_rows(size_t n, unsigned m, unsigned tau);

/* Copies the embedding into out (rows x m doubles, row-major; the caller
 * allocates eng_embed_rows(n, m, tau) * m). *rows (may be NULL) receives the
 * row count. Errors: ENG_EINVAL (NULL, m = 0, tau = 0), ENG_ESHORT (no row),
 * ENG_ENAN. */
ENG_EXTERN int eng_embed(const double *x, size_t n, unsigned m, unsigned tau, double *out,
                         size_t *rows);

/* A no-copy view of the embedding: coordinate j of row i is
 * base[i + j * stride]. It borrows x, which must outlive the view. */
typedef struct eng_embedding {
  const double *base; /* the series */
  size_t rows;        /* number of delay vectors */
  size_t stride;      /* distance between coordinates of one row (= tau) */
  unsigned m;         /* embedding dimension */
} eng_embedding;

static inline double eng_embedding_at(const eng_embedding *v, size_t row, unsigned j)
{
  return v->base[row + (size_t)j * v->stride];
}

/* Fills *v for x. Errors as eng_embed (no NaN scan: the view does not read x). */
ENG_EXTERN int eng_embed_view(const double *x, size_t n, unsigned m, unsigned tau,
                              eng_embedding *v);

/* ---------------------------------------------------------------- delay */

typedef enum eng_acf_rule {
  ENG_ACF_ZERO = 0, /* first lag where the autocorrelation is <= 0 */
  ENG_ACF_1E = 1    /* first lag where it drops below 1/e */
} eng_acf_rule;

/* Delay from the sample autocorrelation r(k) = sum (x_i-m)(x_{i+k}-m) /
 * sum (x_i-m)^2, k = 0..max_lag. acf (may be NULL) receives max_lag+1 values.
 * *tau receives the first lag meeting rule.
 * Errors: ENG_EINVAL (NULL, max_lag = 0, bad rule), ENG_ESHORT (n < max_lag+2),
 * ENG_ENAN, ENG_ECONST, ENG_ERANGE (no lag <= max_lag meets the rule; acf is
 * still filled and *tau is set to max_lag). */
ENG_EXTERN int eng_delay_acf(const double *x, size_t n, unsigned max_lag, eng_acf_rule rule,
                             double *acf, unsigned *tau);

/* Average mutual information I(k) between x_i and x_{i+k}, k = 0..max_lag, in
 * nats, by the histogram estimator on bins x bins equal-width cells spanning
 * [min, max] (Fraser & Swinney 1986 use adaptive partitions; equal bins are the
 * usual simplification, as in TISEAN `mutual`). bins 0 chooses
 * ceil(log2(n) + 1) (Sturges), clamped to [4, 64]. ami (may be NULL) receives
 * max_lag+1 values. *tau receives the first local minimum: the first k >= 1
 * with I(k) < I(k-1) and I(k) <= I(k+1).
 * work: NULL (allocated inside, once) or eng_delay_ami_work_size(n, bins) bytes.
 * Errors: as eng_delay_acf; ENG_ERANGE when I has no local minimum below
 * max_lag (*tau = lag of the smallest I). */
ENG_EXTERN int eng_delay_ami(const double *x, size_t n, unsigned max_lag, unsigned bins,
                             double *ami, unsigned *tau, void *work);
ENG_EXTERN size_t eng_delay_ami_work_size(size_t n, unsigned bins);

/* ------------------------------------------------------------ dimension */

typedef struct eng_dim_opts {
  unsigned tau;      /* delay (>= 1) */
  unsigned m_max;    /* test m = 1..m_max (>= 1) */
  unsigned theiler;  /* neighbours j with |i - j| <= theiler are excluded (0: only i itself) */
  double rtol;       /* FNN criterion 1 (Kennel 1992 eq. 4): |x_{i+m tau} - x_{j+m tau}| / R_m(i) > rtol; default 15 */
  double atol;       /* FNN criterion 2 (Kennel eq. 5): R_{m+1}(i) / R_A > atol, R_A = std of x; default 2 */
  double fnn_max;    /* FNN: the chosen m is the first whose false fraction <= fnn_max; default 0.01 */
  double cao_tol;    /* Cao: the chosen m is the first with |E1(m+1) - E1(m)| <= cao_tol
                        and E1(m) >= 1 - 2*cao_tol (saturation); default 0.1 */
} eng_dim_opts;

/* Defaults: tau 1, m_max 10, theiler 0, rtol 15, atol 2, fnn_max 0.01, cao_tol 0.1. */
ENG_EXTERN void eng_dim_opts_init(eng_dim_opts *o);

/* Scratch bytes needed by eng_dim_fnn / eng_dim_cao / *_one for n samples. */
ENG_EXTERN size_t eng_dim_work_size(size_t n, unsigned m_max);

/* False nearest neighbours (Kennel, Brown & Abarbanel 1992). For each m the
 * nearest neighbour (Euclidean, own k-d tree) of every delay vector with an
 * (m+1)-th coordinate is found; it is false when criterion 1 or 2 holds.
 * frac (may be NULL) receives m_max fractions (frac[m-1] for m). *m (may be
 * NULL) receives the first m with frac <= fnn_max; ENG_ERANGE when none (then
 * *m = m_max). Points whose nearest distance is 0 are skipped.
 * work: NULL or eng_dim_work_size bytes.
 * Errors: ENG_EINVAL, ENG_ESHORT (fewer than 10 vectors at m_max+1), ENG_ENAN,
 * ENG_ECONST, ENG_ENOMEM, ENG_ERANGE. */
ENG_EXTERN int eng_dim_fnn(const double *x, size_t n, const eng_dim_opts *o, double *frac,
                           unsigned *m, void *work);

/* One dimension m of eng_dim_fnn (for scheduling one task per m). */
ENG_EXTERN int eng_dim_fnn_one(const double *x, size_t n, const eng_dim_opts *o, unsigned m,
                               double *frac, void *work);

/* Cao (1997): with a(i,d) = ||y_i(d+1) - y_n(d+1)|| / ||y_i(d) - y_n(d)|| (max
 * norm, n = nearest neighbour of i in dimension d), E(d) = mean a(i,d),
 * E1(d) = E(d+1)/E(d); E*(d) = mean |x_{i+d tau} - x_{n+d tau}|,
 * E2(d) = E*(d+1)/E*(d). e1, e2 (may be NULL) receive m_max values each
 * (index d-1). *m (may be NULL) receives the first d where E1 saturates (see
 * cao_tol); ENG_ERANGE when none (*m = m_max). Computing m_max values needs
 * E(d) for d = 1..m_max+1.
 * Errors: as eng_dim_fnn. */
ENG_EXTERN int eng_dim_cao(const double *x, size_t n, const eng_dim_opts *o, double *e1,
                           double *e2, unsigned *m, void *work);

/* E(d) and E*(d) of Cao's method for one d (one task per d). */
ENG_EXTERN int eng_dim_cao_one(const double *x, size_t n, const eng_dim_opts *o, unsigned d,
                               double *E, double *Estar, void *work);

/* Picks m from finished curves exactly as eng_dim_fnn / eng_dim_cao do (for the
 * scheduled versions). Return 0 or ENG_ERANGE. */
ENG_EXTERN int eng_dim_fnn_choose(const double *frac, unsigned m_max, double fnn_max, unsigned *m);
ENG_EXTERN int eng_dim_cao_choose(const double *e1, unsigned m_max, double cao_tol, unsigned *m);

/* -------------------------------------------------- scheduled versions */

/* As eng_dim_fnn / eng_dim_cao with one task per dimension spread over e's
 * workers. The calling thread takes part in the work, so these may be called
 * from any thread, one of e's workers included (it never blocks waiting for a
 * task that has not started). Results are identical to the serial versions.
 * Errors: as the serial versions, plus ENG_EINVAL for e NULL and ENG_ENOMEM; a
 * failed submission (full queue, shutdown) only means the caller does more of
 * the work. Thread: any thread. */
ENG_EXTERN int eng_dim_fnn_par(eng_engine *e, const double *x, size_t n, const eng_dim_opts *o,
                               double *frac, unsigned *m);
ENG_EXTERN int eng_dim_cao_par(eng_engine *e, const double *x, size_t n, const eng_dim_opts *o,
                               double *e1, double *e2, unsigned *m);

/* Spectra of count systems in parallel: exps receives count rows of 3 values
 * (unused entries of lower-dimensional systems set to 0); status[i] (may be
 * NULL) receives each system's eng_spectrum code. opts may be NULL (per-kind
 * defaults). Returns 0 or the first failing code. */
ENG_EXTERN int eng_spectrum_par(eng_engine *e, const eng_system *systems, size_t count,
                                const eng_spectrum_opts *opts, double *exps, int *status);

#ifdef __cplusplus
}
#endif

/* One include for the whole dynamics family: the from-data half. */
#if defined(__has_include)
# if __has_include("engine/attractor.h")
#  include "engine/attractor.h"
# endif
#endif

#endif
