/* engine/sequence.h: edit distance, LCS, optimal string alignment, SAX and a result cache
 * for symbol sequences (byte strings or arrays of uint32_t symbols).
 *
 * Conventions shared by every function here:
 *   - Lengths are element counts. A length of 0 is valid; a NULL data pointer is
 *     accepted only together with a length of 0.
 *   - Distances are unit-cost: insertion, deletion and substitution cost 1 (and,
 *     for the optimal string alignment distance, a transposition of two adjacent
 *     symbols costs 1).
 *   - Results go out through pointers; the return value is 0 or a negative ENG_E*.
 *   - Every kernel is thread-safe as long as each thread passes its own workspace
 *     (an eng_seq_ws must not be shared by two calls at once).
 */
#ifndef ENGINE_SEQUENCE_H
#define ENGINE_SEQUENCE_H

#include <stddef.h>
#include <stdint.h>

#include "engine/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------
 * Convenience calls on byte strings. They need no workspace: small inputs use the
 * stack, larger ones allocate one temporary buffer per call.
 * Errors: ENG_EINVAL (NULL output, or NULL data with a non-zero length),
 * ENG_ENOMEM. Thread: any thread.
 */

/* Levenshtein distance between a[0..na) and b[0..nb) into *dist. */
ENG_EXTERN int eng_levenshtein(const unsigned char *a, size_t na, const unsigned char *b,
                               size_t nb, size_t *dist);

/* Length of a longest common subsequence of a and b into *len. */
ENG_EXTERN int eng_lcs_length(const unsigned char *a, size_t na, const unsigned char *b,
                              size_t nb, size_t *len);

/* Optimal string alignment ("restricted Damerau-Levenshtein") distance: Levenshtein
 * plus transpositions of two adjacent symbols, no substring edited twice. */
ENG_EXTERN int eng_osa_distance(const unsigned char *a, size_t na, const unsigned char *b,
                                size_t nb, size_t *dist);

/* ---------------------------------------------------------------------------
 * General form: a sequence descriptor, a reusable workspace, thresholds. */

typedef enum eng_sym_type {
  ENG_SYM_U8 = 0, /* data is const unsigned char[n] */
  ENG_SYM_U32 = 1 /* data is const uint32_t[n]; any 32-bit values */
} eng_sym_type;

typedef struct eng_symbols {
  const void *data; /* borrowed; may be NULL when n == 0 */
  size_t n;         /* number of symbols */
  eng_sym_type type;
} eng_symbols;

/* Fills an eng_symbols (a small helper for callers, no allocation). */
ENG_EXTERN eng_symbols eng_symbols_u8(const unsigned char *data, size_t n);
ENG_EXTERN eng_symbols eng_symbols_u32(const uint32_t *data, size_t n);

/* A workspace: memory the kernels reuse between calls so that repeated calls
 * allocate nothing once it has grown to the largest input seen. Created empty.
 * eng_seq_ws_destroy accepts NULL. Errors: ENG_EINVAL, ENG_ENOMEM.
 * Thread: a workspace is used by one call at a time (not thread-safe). */
typedef struct eng_seq_ws eng_seq_ws;
ENG_EXTERN int eng_seq_ws_create(eng_seq_ws **ws);
ENG_EXTERN void eng_seq_ws_destroy(eng_seq_ws *ws);
/* Bytes currently held by the workspace. */
ENG_EXTERN size_t eng_seq_ws_bytes(const eng_seq_ws *ws);

/* Instruction sets the bit-parallel kernels may use. ENG_SEQ_SIMD_AUTO (the
 * default of every workspace) picks the widest one the CPU supports at run time;
 * ENG_SEQ_SIMD_SCALAR keeps to portable 64-bit words; ENG_SEQ_SIMD_AVX512 uses
 * 512-bit vectors (AVX-512 F, BW, DQ, VL, VBMI2 and BITALG) for byte patterns of
 * up to 128 symbols and for patterns of more than 256 symbols. Every level
 * returns the same results; the setting exists to compare and test them. */
#define ENG_SEQ_SIMD_AUTO (-1)
#define ENG_SEQ_SIMD_SCALAR 0
#define ENG_SEQ_SIMD_AVX512 2
/* Caps the instruction set that calls with this workspace use. Errors:
 * ENG_EINVAL (NULL ws or an unknown level), ENG_ENOSYS (this CPU or build lacks
 * that level; the workspace keeps its previous setting). Thread: not thread-safe
 * (same rule as the workspace). */
ENG_EXTERN int eng_seq_ws_set_simd(eng_seq_ws *ws, int level);
/* The level calls with this workspace (or with NULL: the default) actually use:
 * ENG_SEQ_SIMD_SCALAR or ENG_SEQ_SIMD_AVX512. Thread: any thread for NULL. */
ENG_EXTERN int eng_seq_ws_simd(const eng_seq_ws *ws);

/* No threshold: pass this as max. */
#define ENG_SEQ_NO_MAX SIZE_MAX

/* Levenshtein distance of a and b (bit-parallel, Myers 1999 / Hyyro 2003, banded).
 * max: a threshold k, or ENG_SEQ_NO_MAX. When the distance exceeds k the call
 * returns ENG_ECUTOFF and sets *dist = k + 1 (a lower bound), usually after doing
 * only O(k * max(na, nb) / 64) word operations.
 * ws: a workspace, or NULL (then a temporary one is used: may allocate).
 * Errors: ENG_EINVAL (NULL output, NULL data with n > 0, unknown type), ENG_ENOMEM,
 * ENG_ECUTOFF. Thread: any thread (ws: one call at a time). */
ENG_EXTERN int eng_edit_distance(const eng_symbols *a, const eng_symbols *b, size_t max,
                                 eng_seq_ws *ws, size_t *dist);

/* Levenshtein distance of two uint32_t symbol arrays (no threshold, no workspace). */
ENG_EXTERN int eng_levenshtein_u32(const uint32_t *a, size_t na, const uint32_t *b,
                                   size_t nb, size_t *dist);

/* Optimal string alignment distance (bit-parallel, Hyyro 2003), with a threshold
 * max as in eng_edit_distance (ENG_ECUTOFF and *dist = max + 1 above it). */
ENG_EXTERN int eng_osa(const eng_symbols *a, const eng_symbols *b, size_t max,
                       eng_seq_ws *ws, size_t *dist);

/* Length of a longest common subsequence (bit-parallel, Allison and Dix 1986,
 * Hyyro 2004). */
ENG_EXTERN int eng_lcs(const eng_symbols *a, const eng_symbols *b, eng_seq_ws *ws,
                       size_t *len);

/* LCS length of two uint32_t symbol arrays (no workspace). */
ENG_EXTERN int eng_lcs_length_u32(const uint32_t *a, size_t na, const uint32_t *b, size_t nb,
                                  size_t *len);

/* One longest common subsequence, as index pairs: a[ia[t]] == b[ib[t]] for
 * t < *len, with ia and ib strictly increasing. ia and ib are caller-owned arrays
 * of at least min(na, nb) elements (either may be NULL when not wanted).
 * Linear space (Hirschberg 1975), O(na * nb) time.
 * Errors: ENG_EINVAL, ENG_ENOMEM. Thread: any thread. */
ENG_EXTERN int eng_lcs_sequence(const eng_symbols *a, const eng_symbols *b, eng_seq_ws *ws,
                                size_t *ia, size_t *ib, size_t *len);

/* ---------------------------------------------------------------------------
 * Alignment (edit script). An op is one byte:
 *   ENG_EDIT_MATCH '=' a[i] == b[j], advance both
 *   ENG_EDIT_SUB   'X' substitute a[i] by b[j], advance both
 *   ENG_EDIT_INS   'I' insert b[j] (advance b only)
 *   ENG_EDIT_DEL   'D' delete a[i] (advance a only)
 * Replaying the ops over a yields b; the number of non-'=' ops is the distance. */
#define ENG_EDIT_MATCH '='
#define ENG_EDIT_SUB 'X'
#define ENG_EDIT_INS 'I'
#define ENG_EDIT_DEL 'D'

/* An optimal Levenshtein alignment of a and b. ops: caller-owned, at least na + nb
 * bytes; *nops receives the number written; *dist the distance (may be NULL).
 * Linear space (Hirschberg 1975) over O(na * nb) time.
 * Errors: ENG_EINVAL, ENG_ENOMEM. Thread: any thread. */
ENG_EXTERN int eng_edit_align(const eng_symbols *a, const eng_symbols *b, eng_seq_ws *ws,
                              char *ops, size_t *nops, size_t *dist);

/* Run-length form of an op string, SAM-CIGAR style: "3=1X2I1D". out: caller-owned,
 * cap bytes including the terminating NUL; *outlen (may be NULL) receives the
 * length without the NUL. At most 21 * nops + 1 bytes are ever needed.
 * Errors: ENG_EINVAL (NULL, or an op byte not in "=XID"), ENG_ERANGE (cap too small;
 * *outlen then holds the needed length). Thread: any thread. */
ENG_EXTERN int eng_edit_cigar(const char *ops, size_t nops, char *out, size_t cap,
                              size_t *outlen);

/* ---------------------------------------------------------------------------
 * SAX: series to symbols (Lin, Keogh, Lonardi, Chiu 2003). */

typedef enum eng_sax_method {
  ENG_SAX_GAUSSIAN = 0, /* breakpoints at the N(0,1) quantiles k/alphabet */
  ENG_SAX_QUANTILE = 1  /* equal-frequency: breakpoints at the empirical quantiles of the PAA */
} eng_sax_method;

typedef struct eng_sax_opts {
  size_t segments;       /* PAA segments w (1..n); 0 means n (no reduction). Default 0. */
  unsigned alphabet;     /* 2..ENG_SAX_MAX_ALPHABET. Default 4. */
  eng_sax_method method; /* default ENG_SAX_GAUSSIAN */
  int znorm;             /* z-normalise first (default 1) */
  double const_std;      /* a series whose standard deviation is <= this is treated as
                            constant: it normalises to all zeros. Default 1e-8. */
} eng_sax_opts;

#define ENG_SAX_MAX_ALPHABET 256

/* Fills opts with the defaults. */
ENG_EXTERN void eng_sax_opts_init(eng_sax_opts *opts);

/* Inverse of the standard normal CDF (Acklam's rational approximation refined by
 * one Halley step; |error| < 1e-13). p in (0, 1); returns -inf/+inf at 0/1 and NaN
 * outside [0, 1]. Thread: any thread. */
ENG_EXTERN double eng_norm_ppf(double p);

/* The alphabet - 1 Gaussian breakpoints beta_k = ppf(k / alphabet) into bp.
 * Errors: ENG_EINVAL (NULL, alphabet outside 2..ENG_SAX_MAX_ALPHABET). */
ENG_EXTERN int eng_sax_breakpoints(unsigned alphabet, double *bp);

/* Piecewise aggregate approximation of x[0..n) into w segments: segment s is the
 * mean of x over [s*n/w, (s+1)*n/w), points split fractionally across segment
 * borders when w does not divide n. out: caller-owned, w doubles.
 * Errors: ENG_EINVAL (NULL, w == 0, w > n), ENG_ENAN (NaN or infinity in x). */
ENG_EXTERN int eng_paa(const double *x, size_t n, size_t w, double *out);

/* SAX word of x[0..n): out receives w symbols 0..alphabet-1 (w = opts->segments,
 * or n when 0), as bytes so that edit distance and LCS apply. opts NULL: defaults.
 * ws: workspace (or NULL: may allocate).
 * Errors: ENG_EINVAL (NULL, n == 0, bad segments/alphabet/method), ENG_ENAN,
 * ENG_ENOMEM. Thread: any thread. */
ENG_EXTERN int eng_sax(const double *x, size_t n, const eng_sax_opts *opts, eng_seq_ws *ws,
                       unsigned char *out);

/* ---------------------------------------------------------------------------
 * Result cache: remembers (algorithm, parameter, a, b) -> result. Keys are the
 * XXH3 128-bit hash of both inputs, the algorithm and the parameter; a hit is
 * verified against stored copies of both inputs, so two different inputs never
 * share a result even when their hashes collide. Bounded LRU by entries and by
 * bytes (input copies plus bookkeeping). All calls on one cache are serialised by
 * a mutex: the cache sits beside the kernels, not on the scheduler's hot path.
 */
typedef struct eng_seq_cache eng_seq_cache;

typedef struct eng_seq_cache_stats {
  uint64_t hits, misses, evictions, inserts;
  size_t entries, bytes;         /* current */
  size_t max_entries, max_bytes; /* limits */
} eng_seq_cache_stats;

/* Algorithm ids used in keys (any other value is also accepted). */
enum {
  ENG_CACHE_EDIT = 1,
  ENG_CACHE_LCS = 2,
  ENG_CACHE_OSA = 3
};

/* Creates an empty cache holding at most max_entries results and max_bytes bytes.
 * Errors: ENG_EINVAL (NULL, a zero limit), ENG_ENOMEM. Thread: any thread. */
ENG_EXTERN int eng_seq_cache_create(eng_seq_cache **c, size_t max_entries, size_t max_bytes);
/* Frees the cache and every entry; accepts NULL. Thread: no other call on c may run. */
ENG_EXTERN void eng_seq_cache_destroy(eng_seq_cache *c);

/* Looks up (algo, param, a, b). On a verified hit stores the result in *result,
 * marks the entry most recently used and returns 0; otherwise returns ENG_ENOENT.
 * Counts a hit or a miss. Errors: ENG_EINVAL. Thread: any thread. */
ENG_EXTERN int eng_seq_cache_get(eng_seq_cache *c, uint32_t algo, uint64_t param,
                                 const eng_symbols *a, const eng_symbols *b, int64_t *result);

/* Stores result for (algo, param, a, b), copying both inputs; replaces an equal key.
 * Evicts least recently used entries to stay within the limits; an entry larger
 * than max_bytes is not stored (returns ENG_ERANGE).
 * Errors: ENG_EINVAL, ENG_ENOMEM, ENG_ERANGE. Thread: any thread. */
ENG_EXTERN int eng_seq_cache_put(eng_seq_cache *c, uint32_t algo, uint64_t param,
                                 const eng_symbols *a, const eng_symbols *b, int64_t result);

/* Reads the counters. Thread: any thread. */
ENG_EXTERN void eng_seq_cache_stats_get(eng_seq_cache *c, eng_seq_cache_stats *st);

/* Drops every entry (counters are kept). Thread: any thread. */
ENG_EXTERN void eng_seq_cache_clear(eng_seq_cache *c);

/* Levenshtein / LCS / OSA through a cache: get, else compute and put. c may be NULL
 * (plain computation). ENG_ECUTOFF results are not stored. Errors: as the kernel. */
ENG_EXTERN int eng_edit_distance_cached(eng_seq_cache *c, const eng_symbols *a,
                                        const eng_symbols *b, size_t max, eng_seq_ws *ws,
                                        size_t *dist);
ENG_EXTERN int eng_lcs_cached(eng_seq_cache *c, const eng_symbols *a, const eng_symbols *b,
                              eng_seq_ws *ws, size_t *len);
ENG_EXTERN int eng_osa_cached(eng_seq_cache *c, const eng_symbols *a, const eng_symbols *b,
                              size_t max, eng_seq_ws *ws, size_t *dist);

#ifdef __cplusplus
}
#endif
#endif
