/* engine/temporal.h: dynamic time warping, lower bounds, subsequence search and
 * distance-matrix jobs over real-valued series.
 *
 * Conventions (read docs/temporal.md for the long form):
 *  - Point cost: ENG_DTW_SQUARED, (a_i - b_j)^2, or ENG_DTW_ABSOLUTE, |a_i - b_j|.
 *    For a multivariate point the cost is the sum of the per-dimension costs.
 *  - The DTW distance is the minimum, over warping paths, of the SUM of the point
 *    costs along the path. It is NOT square-rooted: with squared cost, take
 *    sqrt() of the result to compare with libraries that report a root
 *    (dtaidistance, UCR suite).
 *  - The window is a Sakoe-Chiba band given as a radius: cell (i, j) is allowed
 *    when |i - j| <= window. With unequal lengths the radius is widened to
 *    |na - nb| so that a path always exists. ENG_DTW_NOWINDOW means no band.
 *  - normalize = 1 divides the distance by (na + nb).
 *  - cutoff: when the distance is strictly greater than the cutoff (in the same
 *    units as the returned distance, i.e. after normalisation) the kernels
 *    return ENG_ECUTOFF, as soon as every cell of a row exceeds it, and leave
 *    *dist untouched. INFINITY (the default) never abandons.
 *
 * Every function here is pure computation over caller-owned memory; each is
 * thread-safe for distinct outputs ("any thread") unless stated otherwise.
 */
#ifndef ENGINE_TEMPORAL_H
#define ENGINE_TEMPORAL_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ DTW */

typedef enum eng_dtw_cost {
  ENG_DTW_SQUARED = 0, /* (a - b)^2 */
  ENG_DTW_ABSOLUTE = 1 /* |a - b| */
} eng_dtw_cost;

/* "No band": every cell is allowed. Any negative window is rejected (ENG_EINVAL). */
#define ENG_DTW_NOWINDOW PTRDIFF_MAX

typedef struct eng_dtw_opts {
  eng_dtw_cost cost; /* default ENG_DTW_SQUARED */
  ptrdiff_t window;  /* Sakoe-Chiba radius |i - j| <= window; default ENG_DTW_NOWINDOW */
  double cutoff;     /* abandon above this (ENG_ECUTOFF); default INFINITY */
  int normalize;     /* 1: divide the distance by (na + nb); default 0 */
} eng_dtw_opts;

/* Fills *o with the defaults above. Thread: any thread. */
ENG_EXTERN void eng_dtw_opts_init(eng_dtw_opts *o);

/* Instruction sets a caller may force (eng_dtw_distance_many_isa,
 * eng_dtw_search_isa), for tests and benchmarks; the plain calls pick the
 * widest the CPU has at run time. */
typedef enum eng_dtw_isa {
  ENG_DTW_ISA_AUTO = 0,   /* the widest this CPU has */
  ENG_DTW_ISA_SCALAR = 1, /* portable C; always there */
  ENG_DTW_ISA_AVX2 = 2,   /* x86-64 with AVX2 */
  ENG_DTW_ISA_AVX512 = 3  /* x86-64 with AVX-512F */
} eng_dtw_isa;

/* 1 when this build and CPU can run isa, else 0. Thread: any thread. */
ENG_EXTERN int eng_dtw_isa_supported(eng_dtw_isa isa);

/* Number of doubles of workspace eng_dtw_distance_ws needs for lengths na, nb
 * (three anti-diagonals of min(na, nb) + 2). Thread: any thread. */
ENG_EXTERN size_t eng_dtw_workspace(size_t na, size_t nb);

/* DTW distance between a[0..na) and b[0..nb) with O(min(na, nb)) memory.
 * opts may be NULL for defaults. ws: nws doubles owned by the caller, at least
 * eng_dtw_workspace(na, nb); the call never allocates. *dist receives the
 * distance (see conventions above).
 * Errors: ENG_EINVAL (NULL pointer, na or nb 0, window < 0, NaN cutoff, bad
 * cost, nws too small), ENG_ENAN (a NaN or infinite value in a or b),
 * ENG_ECUTOFF (distance > opts->cutoff; *dist untouched). Thread: any thread. */
ENG_EXTERN int eng_dtw_distance_ws(const double *a, size_t na, const double *b, size_t nb,
                                   const eng_dtw_opts *opts, double *ws, size_t nws,
                                   double *dist);

/* As eng_dtw_distance_ws with an internal workspace (one malloc per call).
 * Errors: as above plus ENG_ENOMEM. Thread: any thread. */
ENG_EXTERN int eng_dtw_distance(const double *a, size_t na, const double *b, size_t nb,
                                const eng_dtw_opts *opts, double *dist);

/* Dependent multivariate DTW: a holds na points of da doubles each (row-major,
 * point i at a[i*da]), b holds nb points of db doubles. The point cost is the
 * sum over dimensions of the per-dimension cost. ws as eng_dtw_distance_ws.
 * Errors: as eng_dtw_distance_ws, plus ENG_EDIM (da != db) and ENG_EINVAL
 * (da == 0). Thread: any thread. */
ENG_EXTERN int eng_dtw_distance_md(const double *a, size_t na, size_t da, const double *b,
                                   size_t nb, size_t db, const eng_dtw_opts *opts, double *ws,
                                   size_t nws, double *dist);

/* Doubles of workspace eng_dtw_path_ws needs: the full (na+1) x (nb+1) matrix. */
ENG_EXTERN size_t eng_dtw_path_workspace(size_t na, size_t nb);

/* DTW distance plus one optimal warping path. path receives the cells as pairs
 * (path[2k] = i index into a, path[2k+1] = j index into b), from (0, 0) to
 * (na-1, nb-1), monotone and contiguous; path_cap is the number of PAIRS path
 * can hold and must be >= na + nb - 1 (the longest possible path); *path_len
 * receives the number of pairs. Ties prefer the diagonal, then the step that
 * advances i. ws: nws doubles, at least eng_dtw_path_workspace(na, nb).
 * Errors: as eng_dtw_distance_ws, plus ENG_ERANGE (path_cap too small).
 * Thread: any thread. */
ENG_EXTERN int eng_dtw_path_ws(const double *a, size_t na, const double *b, size_t nb,
                               const eng_dtw_opts *opts, double *ws, size_t nws,
                               size_t *path, size_t path_cap, size_t *path_len, double *dist);

/* As eng_dtw_path_ws with an internal workspace. Errors: also ENG_ENOMEM. */
ENG_EXTERN int eng_dtw_path(const double *a, size_t na, const double *b, size_t nb,
                            const eng_dtw_opts *opts, size_t *path, size_t path_cap,
                            size_t *path_len, double *dist);

/* ------------------------------------------------------- lower bounds */

/* size_t elements of workspace eng_dtw_envelope_ws needs for n points and
 * radius r (two index rings of min(n, 2r + 1) + 1 slots, rounded up to a power
 * of two). */
ENG_EXTERN size_t eng_dtw_envelope_workspace(size_t n, size_t r);

/* Keogh envelope of x with radius r: lower[i] = min x[i-r .. i+r] and
 * upper[i] = max x[i-r .. i+r] (clipped to the series), in O(n) with Lemire's
 * streaming min/max (Lemire 2009). lower/upper hold n doubles each. ws: nws
 * size_t, at least eng_dtw_envelope_workspace(n, r).
 * Errors: ENG_EINVAL (NULL, n 0, nws too small), ENG_ENAN. Thread: any thread. */
ENG_EXTERN int eng_dtw_envelope_ws(const double *x, size_t n, size_t r, double *lower,
                                   double *upper, size_t *ws, size_t nws);

/* As eng_dtw_envelope_ws with an internal workspace. Errors: also ENG_ENOMEM. */
ENG_EXTERN int eng_dtw_envelope(const double *x, size_t n, size_t r, double *lower,
                                double *upper);

/* LB_Kim (first/last variant, Kim et al. 2001; Rakthanmanon et al. 2012):
 * cost(a_0, b_0) + cost(a_last, b_last) (one term when both have length 1),
 * normalised like the distance when opts->normalize. Always <= the DTW
 * distance for the same opts (window and cutoff do not matter).
 * Errors: ENG_EINVAL, ENG_ENAN. Thread: any thread. */
ENG_EXTERN int eng_lb_kim(const double *a, size_t na, const double *b, size_t nb,
                          const eng_dtw_opts *opts, double *lb);

/* LB_Keogh (Keogh 2002) of a against the envelope of b with the band of opts
 * (radius widened to |na - nb| as for the distance): the sum over i of the
 * cost of a_i to the interval [lower_i, upper_i]. Always <= the DTW distance
 * with the same opts. Allocates the envelope (O(na + nb)).
 * Errors: ENG_EINVAL, ENG_ENAN, ENG_ENOMEM. Thread: any thread. */
ENG_EXTERN int eng_lb_keogh(const double *a, size_t na, const double *b, size_t nb,
                            const eng_dtw_opts *opts, double *lb);

/* LB_Keogh of a[0..n) against a precomputed envelope lower/upper[0..n) (e.g.
 * from eng_dtw_envelope of a series of the same length), with point cost
 * `cost`, not normalised. Stops early and returns ENG_ECUTOFF once the partial
 * sum exceeds cutoff (INFINITY: never). Errors: ENG_EINVAL, ENG_ENAN,
 * ENG_ECUTOFF. Thread: any thread. */
ENG_EXTERN int eng_lb_keogh_env(const double *a, size_t n, const double *lower,
                                const double *upper, eng_dtw_cost cost, double cutoff,
                                double *lb);

/* --------------------------------------------------- subsequence search */

typedef struct eng_dtw_search_opts {
  eng_dtw_cost cost;  /* default ENG_DTW_SQUARED */
  ptrdiff_t window;   /* radius in points; default ENG_DTW_NOWINDOW (the query length) */
  size_t k;           /* number of matches wanted; default 1 */
  size_t exclusion;   /* two reported matches start >= exclusion points apart;
                         0 (default) means the query length (non-overlapping) */
  int znorm;          /* 1 (default): z-normalise the query and every window */
} eng_dtw_search_opts;

typedef struct eng_dtw_match {
  size_t pos;  /* start of the window in the series */
  double dist; /* DTW distance (sum of point costs, not rooted) */
} eng_dtw_match;

/* Counters of the pruning cascade, summed over the passes (one per match). */
typedef struct eng_dtw_search_stats {
  uint64_t windows;  /* candidate windows considered */
  uint64_t kim;      /* pruned by LB_Kim */
  uint64_t keogh_eq; /* pruned by LB_Keogh, query envelope */
  uint64_t keogh_ec; /* pruned by LB_Keogh, data envelope */
  uint64_t dtw;      /* DTW computed (abandoned or not) */
} eng_dtw_search_stats;

/* Finds the best opts->k windows of x (length nq each) under DTW to q, UCR-suite
 * style (Rakthanmanon et al., KDD 2012): per window O(1) running mean and
 * standard deviation, then LB_Kim -> LB_Keogh against the query envelope ->
 * LB_Keogh against the data envelope -> early-abandoning DTW whose abandoning
 * test adds the remaining lower bound. Matches are greedy: the best window,
 * then the best one at least `exclusion` points away from it, and so on; out
 * receives them best first and *nout how many were found (< k when the series
 * has no room for more). A window whose standard deviation is 0 is z-normalised
 * to all zeros. out holds k entries; stats may be NULL.
 * Errors: ENG_EINVAL (NULL, nq 0, k 0, window < 0, bad cost), ENG_ESHORT (nx < nq),
 * ENG_ENAN (NaN/inf in q or x), ENG_ENOMEM. Thread: any thread. */
ENG_EXTERN int eng_dtw_search(const double *q, size_t nq, const double *x, size_t nx,
                              const eng_dtw_search_opts *opts, eng_dtw_match *out, size_t *nout,
                              eng_dtw_search_stats *stats);

/* Fills *o with the defaults above. Thread: any thread. */
ENG_EXTERN void eng_dtw_search_opts_init(eng_dtw_search_opts *o);

/* As eng_dtw_search with the instruction set of the per-window bounds forced
 * (for tests and benchmarks): ENG_DTW_ISA_SCALAR is portable C,
 * ENG_DTW_ISA_AVX2 uses AVX2, ENG_DTW_ISA_AVX512 (and ENG_DTW_ISA_AUTO) the
 * widest of AVX-512F / AVX2 the CPU has. The matches (bit for bit) and the
 * stats counters are the same whatever the instruction set.
 * Errors: as eng_dtw_search, plus ENG_ENOSYS (isa not supported here). */
ENG_EXTERN int eng_dtw_search_isa(const double *q, size_t nq, const double *x, size_t nx,
                                  const eng_dtw_search_opts *opts, eng_dtw_isa isa,
                                  eng_dtw_match *out, size_t *nout, eng_dtw_search_stats *stats);

/* ------------------------------------------------- distance-matrix jobs */

/* One input of a matrix job: n elements of the metric's type (doubles for DTW,
 * bytes for the edit and LCS metrics). Borrowed: must stay valid and unchanged
 * until the job has been waited for. */
typedef struct eng_seq {
  const void *data;
  size_t n;
} eng_seq;

/* --------------------------------------------------- one against many DTW */

/* Doubles of workspace eng_dtw_distance_many needs for a series of na points
 * against series of at most nb points (SIZE_MAX when that overflows).
 * Thread: any thread. */
ENG_EXTERN size_t eng_dtw_many_workspace(size_t na, size_t nb);

/* DTW of a[0..na) against each of b[0..k) (b[i].data: b[i].n doubles), with
 * the same opts for every pair. For each i, rc[i] and dist[i] are exactly what
 * eng_dtw_distance_ws(a, na, b[i].data, b[i].n, opts, ...) would return and
 * store (bit for bit; dist[i] untouched when rc[i] != 0): 0, ENG_EINVAL (a or
 * b[i] NULL or empty), ENG_ENAN or ENG_ECUTOFF. Without a band (window >=
 * the longer length - 1) several candidates of equal length are computed
 * together in the lanes of one vector register, which is much faster than one
 * pair at a time. ws: nws doubles, at least eng_dtw_many_workspace(na, longest
 * b[i].n); the call never allocates.
 * Returns 0, or ENG_EINVAL (b, ws, dist or rc NULL with k > 0, bad opts, nws
 * too small) with rc[] untouched. Thread: any thread. */
ENG_EXTERN int eng_dtw_distance_many(const double *a, size_t na, const eng_seq *b, size_t k,
                                     const eng_dtw_opts *opts, double *ws, size_t nws,
                                     double *dist, int *rc);

/* As eng_dtw_distance_many with the instruction set forced: ENG_DTW_ISA_SCALAR
 * runs one pair at a time (eng_dtw_distance_ws), AVX2 puts 4 candidates in a
 * vector and AVX512 8. Errors: also ENG_ENOSYS (isa not supported here). */
ENG_EXTERN int eng_dtw_distance_many_isa(const double *a, size_t na, const eng_seq *b, size_t k,
                                         const eng_dtw_opts *opts, eng_dtw_isa isa, double *ws,
                                         size_t nws, double *dist, int *rc);

/* A user metric: distance between a and b into *out; 0 or an ENG_E* code. ws
 * is a per-task scratch area of eng_matrix_opts.ws_bytes bytes (NULL when 0).
 * Called concurrently from several workers. */
typedef int (*eng_distance_fn)(const eng_seq *a, const eng_seq *b, void *ws, void *ud,
                               double *out);

typedef enum eng_metric {
  ENG_METRIC_DTW = 0,    /* eng_dtw_distance_ws over doubles with opts.dtw; a pair
                            above opts.dtw.cutoff gets +INFINITY */
  ENG_METRIC_EDIT = 1,   /* eng_levenshtein over bytes */
  ENG_METRIC_LCS = 2,    /* na + nb - 2 * eng_lcs_length over bytes (the
                            insertion/deletion distance) */
  ENG_METRIC_CUSTOM = 3  /* opts.fn */
} eng_metric;

/* Progress: tiles finished so far out of total (cancelled tiles are not
 * counted). Called on a worker after each tile, never concurrently with itself
 * for one job, with done increasing. Must not block for long. */
typedef void (*eng_progress_fn)(size_t done, size_t total, void *ud);

typedef struct eng_matrix_opts {
  eng_metric metric;      /* default ENG_METRIC_DTW */
  eng_dtw_opts dtw;       /* for ENG_METRIC_DTW */
  eng_distance_fn fn;     /* for ENG_METRIC_CUSTOM */
  void *fn_ud;
  size_t ws_bytes;        /* scratch per task for fn */
  size_t tile;            /* items per tile side; 0 (default) chooses */
  unsigned tasks;         /* scheduled tasks sharing the tiles; 0 = one per worker */
  eng_progress_fn progress; /* optional */
  void *progress_ud;
  eng_priority priority;  /* default ENG_PRIO_NORMAL */
} eng_matrix_opts;

/* Fills *o with the defaults above. Thread: any thread. */
ENG_EXTERN void eng_matrix_opts_init(eng_matrix_opts *o);

typedef struct eng_matrix_job eng_matrix_job;

typedef struct eng_matrix_report {
  size_t tiles;           /* total tiles */
  size_t tiles_done;      /* tiles computed */
  size_t tiles_cancelled; /* tiles skipped after a cancel or an error */
  uint64_t elapsed_ns;
} eng_matrix_report;

/* Starts an all-pairs job (query NULL): out[i*k + j] = d(items[i], items[j])
 * for i < j, mirrored to j > i, and 0 on the diagonal (the metric is taken to
 * be symmetric with d(x, x) = 0). Or a one-to-many job (query non-NULL):
 * out[j] = d(*query, items[j]) for j < k. The work is split into tiles that
 * scheduled tasks on e's workers claim one at a time; the result equals the
 * serial loop exactly. out (k*k or k doubles) and items are borrowed until
 * eng_matrix_wait returns; entries of cancelled tiles are NaN. *job receives a
 * handle owned by the caller (eng_matrix_wait, then eng_matrix_destroy).
 * Errors: ENG_EINVAL (NULL, k 0, bad options), ENG_ENOMEM, and the errors of
 * eng_task_submit when no task could be submitted (nothing is left running).
 * Tile errors (e.g. ENG_ENAN, ENG_EINVAL for an empty series under DTW)
 * surface from eng_matrix_wait. Thread: any thread. */
ENG_EXTERN int eng_matrix_start(eng_engine *e, const eng_seq *items, size_t k,
                                const eng_seq *query, const eng_matrix_opts *opts, double *out,
                                eng_matrix_job **job);

/* Asks the job to stop: tiles not yet started are skipped (counted as
 * cancelled); tiles in progress finish. Returns 0. Thread: any thread. */
ENG_EXTERN int eng_matrix_cancel(eng_matrix_job *job);

/* Tiles finished so far (for polling). Thread: any thread. */
ENG_EXTERN size_t eng_matrix_progress(const eng_matrix_job *job, size_t *total);

/* Waits for the job. From a thread that is not a worker of the engine it
 * blocks; from one of the engine's workers (a job running inside a task) the
 * caller computes tiles itself until none is left, then waits for the tiles
 * other workers are finishing, so it cannot deadlock. rep may be NULL.
 * Returns 0, ENG_ECANCELED (cancelled), or the first error a tile hit (the
 * remaining tiles are then cancelled). Thread: any thread, once per job. */
ENG_EXTERN int eng_matrix_wait(eng_matrix_job *job, eng_matrix_report *rep);

/* Frees the handle; the memory is released once the last task of the job has
 * run. Call after eng_matrix_wait. NULL is a no-op. Thread: any thread. */
ENG_EXTERN void eng_matrix_destroy(eng_matrix_job *job);

/* Start + wait + destroy. Errors: those of eng_matrix_start and eng_matrix_wait. */
ENG_EXTERN int eng_distance_matrix(eng_engine *e, const eng_seq *items, size_t k,
                                   const eng_seq *query, const eng_matrix_opts *opts,
                                   double *out, eng_matrix_report *rep);

#ifdef __cplusplus
}
#endif

/* Edit distance, LCS and SAX live in their own header; one include per family. */
#include "engine/sequence.h"

#endif
