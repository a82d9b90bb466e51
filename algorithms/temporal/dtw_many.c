/* dtw_many.c: DTW of one series against many, several candidates per vector (inter-sequence SIMD). */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "engine/temporal.h"
#include "dtw_internal.h"

#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* Widest vector: 8 doubles (AVX-512). */
#define MAXW 8
/* Pairs of one call handled with the lane kernel only when a batch is at
 * least half full: a nearly empty vector costs as much as a full one. */

/* Why lanes: the row recurrence D(i,j) = min(D(i-1,j-1), D(i-1,j), D(i,j-1))
 * + cost(i,j) is one long chain of dependent min-then-add through each row.
 * With W candidates of equal length in the W lanes of a vector the chain is
 * the same instruction stream for all of them, so one vector instruction
 * advances W independent DTW matrices (the "inter-sequence" layout of
 * Wozniak 1997 and Farrar 2007 for alignment). The remaining latency of the
 * chain is hidden by computing S rows at once, skewed by one column each:
 * at step t row i0+k computes column t-k, which needs only values of row
 * i0+k-1 from the two previous steps, so S chains are in flight together.
 *
 * Every cell takes the minimum of the same three values and adds the same
 * cost as the serial kernels (min is exact and order-free on non-NaN values,
 * and (a-b)^2 == (b-a)^2 exactly), so the results are bit-identical. The
 * build passes -ffp-contract=off (configure.ac): target("avx512f") lets gcc
 * fuse a multiply and an add, which would round differently from the serial
 * kernels. */

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_LANES 1
#endif

#ifdef HAVE_LANES

/* The strip body, written once over a small set of vector operations that
 * each instantiation defines (VT, VSET1, VMIN, VSUB, VMUL, VADD, VABS).
 * a: the S values of the strip's rows; B: the m candidate columns, one vector
 * each; P: m + 1 vectors, P[0] = D(i0-1, -1) and P[j+1] = D(i0-1, j) on entry,
 * D(i0+S-1, j) on return. */
#define STRIP_STEP(k, CHECK)                                                     \
  do {                                                                           \
    size_t j_ = t - (k);                                                         \
    if (CHECK && (j_ > t || j_ >= m)) /* j_ > t: row not started */                                   \
      break;                                                                     \
    VT up_, dg_;                                                                 \
    if ((k) == 0) {                                                              \
      up_ = P[j_ + 1];                                                           \
      dg_ = d0;                                                                  \
      d0 = up_;                                                                  \
    } else {                                                                     \
      up_ = cur[(k) ? (k) - 1 : 0];                                              \
      dg_ = old[(k) ? (k) - 1 : 0];                                              \
    }                                                                            \
    VT mn_ = VMIN(VMIN(dg_, up_), cur[k]);                                       \
    VT c_ = VSUB(ai[k], B[j_]);                                                  \
    c_ = sq ? VMUL(c_, c_) : VABS(c_);                                           \
    old[k] = cur[k];                                                             \
    cur[k] = VADD(mn_, c_);                                                      \
    if ((k) == S - 1)                                                            \
      P[j_ + 1] = cur[k];                                                        \
  } while (0)

/* Rows are visited from the last of the strip to the first so that row k
 * reads row k-1's values of the previous step before row k-1 overwrites them. */
#define STRIP_STEPS(CHECK)                                                       \
  do {                                                                           \
    if (S > 3)                                                                   \
      STRIP_STEP(3 % S, CHECK);                                                  \
    if (S > 2)                                                                   \
      STRIP_STEP(2 % S, CHECK);                                                  \
    if (S > 1)                                                                   \
      STRIP_STEP(1 % S, CHECK);                                                  \
    STRIP_STEP(0, CHECK);                                                        \
  } while (0)

#define STRIP_BODY                                                               \
  VT inf = VSET1(INFINITY);                                                      \
  VT ai[S], cur[S], old[S];                                                      \
  for (int k = 0; k < S; k++) {                                                  \
    ai[k] = VSET1(a[k]);                                                         \
    cur[k] = inf; /* D(i, -1) */                                                 \
    old[k] = inf;                                                                \
  }                                                                              \
  VT d0 = P[0];                                                                  \
  size_t t = 0;                                                                  \
  size_t full_end = m; /* steps S-1 .. m-1 have every row inside the matrix */   \
  for (; t + 1 < (size_t)S && t < m + S - 1; t++)                                \
    STRIP_STEPS(1);                                                              \
  for (; t < full_end; t++)                                                      \
    STRIP_STEPS(0);                                                              \
  for (; t < m + S - 1; t++)                                                     \
    STRIP_STEPS(1);                                                              \
  P[0] = inf;

/* The whole matrix: strips of S rows, then single rows for the rest. */
#define LANES_BODY(STRIP_S, STRIP_1)                                             \
  VT inf = VSET1(INFINITY);                                                      \
  P[0] = VSET1(0.0);                                                             \
  for (size_t j = 1; j <= m; j++)                                                \
    P[j] = inf;                                                                  \
  size_t i = 0;                                                                  \
  for (; i + LANES_S <= n; i += LANES_S)                                         \
    STRIP_S(a + i, B, m, P, sq);                                                 \
  for (; i < n; i++)                                                             \
    STRIP_1(a + i, B, m, P, sq);

/* --------------------------------------------------------------- AVX-512 */
#define VT __m512d
#define VSET1(x) _mm512_set1_pd(x)
#define VMIN(x, y) _mm512_min_pd(x, y)
#define VSUB(x, y) _mm512_sub_pd(x, y)
#define VMUL(x, y) _mm512_mul_pd(x, y)
#define VADD(x, y) _mm512_add_pd(x, y)
#define VABS(x) _mm512_castsi512_pd(_mm512_and_si512(_mm512_castpd_si512(x), \
                                       _mm512_set1_epi64(INT64_MAX)))
#define LANES_S 4

#define DEF_STRIP(name, SV, TGT)                                                  \
  static inline __attribute__((always_inline, target(TGT))) void name(           \
    const double *a, const VT *B, size_t m, VT *P, int sq)                       \
  {                                                                              \
    enum { S = SV };                                                             \
    STRIP_BODY                                                                   \
  }

DEF_STRIP(strip4_512, 4, "avx512f")
DEF_STRIP(strip1_512, 1, "avx512f")

/* sq is a constant in each caller so the cost's branch leaves the loop. */
static inline __attribute__((always_inline, target("avx512f"))) void
lanes512_body(const double *a, size_t n, const VT *B, size_t m, VT *P, int sq)
{
  LANES_BODY(strip4_512, strip1_512)
}

__attribute__((target("avx512f"))) static void lanes512(const double *a, size_t n,
                                                        const double *B, size_t m, double *P,
                                                        int sq)
{
  if (sq)
    lanes512_body(a, n, (const VT *)B, m, (VT *)P, 1);
  else
    lanes512_body(a, n, (const VT *)B, m, (VT *)P, 0);
}

#undef VT
#undef VSET1
#undef VMIN
#undef VSUB
#undef VMUL
#undef VADD
#undef VABS
#undef LANES_S

/* ------------------------------------------------------------------ AVX2 */
#define VT __m256d
#define VSET1(x) _mm256_set1_pd(x)
#define VMIN(x, y) _mm256_min_pd(x, y)
#define VSUB(x, y) _mm256_sub_pd(x, y)
#define VMUL(x, y) _mm256_mul_pd(x, y)
#define VADD(x, y) _mm256_add_pd(x, y)
#define VABS(x) _mm256_andnot_pd(_mm256_set1_pd(-0.0), x)
#define LANES_S 4

DEF_STRIP(strip4_256, 4, "avx2")
DEF_STRIP(strip1_256, 1, "avx2")

static inline __attribute__((always_inline, target("avx2"))) void
lanes256_body(const double *a, size_t n, const VT *B, size_t m, VT *P, int sq)
{
  LANES_BODY(strip4_256, strip1_256)
}

__attribute__((target("avx2"))) static void lanes256(const double *a, size_t n, const double *B,
                                                     size_t m, double *P, int sq)
{
  if (sq)
    lanes256_body(a, n, (const VT *)B, m, (VT *)P, 1);
  else
    lanes256_body(a, n, (const VT *)B, m, (VT *)P, 0);
}

#undef VT
#undef VSET1
#undef VMIN
#undef VSUB
#undef VMUL
#undef VADD
#undef VABS
#undef LANES_S

#endif /* HAVE_LANES */

/* Lanes of the instruction set, or 0 when this CPU (or build) lacks it. */
static unsigned isa_width(eng_dtw_isa isa)
{
  switch (isa) {
  case ENG_DTW_ISA_SCALAR:
    return 1;
#ifdef HAVE_LANES
  case ENG_DTW_ISA_AVX2:
    return __builtin_cpu_supports("avx2") ? 4 : 0;
  case ENG_DTW_ISA_AVX512:
    return __builtin_cpu_supports("avx512f") ? 8 : 0;
  case ENG_DTW_ISA_AUTO:
    return __builtin_cpu_supports("avx512f") ? 8 : __builtin_cpu_supports("avx2") ? 4 : 1;
#else
  case ENG_DTW_ISA_AUTO:
    return 1;
  default:
    return 0;
#endif
  }
  return 0;
}

int eng_dtw_isa_supported(eng_dtw_isa isa)
{
  return isa_width(isa) != 0;
}

size_t eng_dtw_many_workspace(size_t na, size_t nb)
{
  if (nb > SIZE_MAX / 64 || na > SIZE_MAX / 64)
    return SIZE_MAX;
  /* 2 * MAXW * (nb + 1) for the lanes (columns, then the row), MAXW for
   * aligning them, and the per-pair kernel's three diagonals. */
  return 2 * MAXW * (nb + 1) + MAXW + eng_dtw_workspace(na, nb);
}

/* The result of one pair from its raw sum, as eng_dtw_distance_ws returns it:
 * above the internal bound is ENG_ECUTOFF (the serial kernel abandons exactly
 * then, see dtw_core), otherwise finished like the serial kernel does. */
static int lane_result(const eng_dtw_opts *o, size_t na, size_t nb, double raw, double *dist)
{
  if (raw > eng__dtw_raw_bound(o, na, nb))
    return ENG_ECUTOFF;
  return eng__dtw_finish(o, na, nb, raw, dist);
}

/* Runs the lane kernel on the pairs idx[0..cnt) (all of length m), width w. */
static void run_lanes(const double *a, size_t na, const eng_seq *b, const size_t *idx,
                      size_t cnt, size_t m, unsigned w, const eng_dtw_opts *o, double *lanes,
                      double *dist, int *rc)
{
#ifdef HAVE_LANES
  double *B = lanes, *P = lanes + w * m;
  const double *src[MAXW];
  for (unsigned l = 0; l < w; l++)
    src[l] = (const double *)b[idx[l < cnt ? l : 0]].data; /* pad with a real series */
  for (size_t j = 0; j < m; j++)
    for (unsigned l = 0; l < w; l++)
      B[j * w + l] = src[l][j];
  int sq = o->cost == ENG_DTW_SQUARED;
  if (w == 8)
    lanes512(a, na, B, m, P, sq);
  else
    lanes256(a, na, B, m, P, sq);
  for (size_t l = 0; l < cnt; l++)
    rc[idx[l]] = lane_result(o, na, m, P[m * w + l], &dist[idx[l]]);
#else
  (void)a, (void)na, (void)b, (void)idx, (void)cnt, (void)m, (void)w, (void)o, (void)lanes,
    (void)dist, (void)rc;
#endif
}

int eng_dtw_distance_many_isa(const double *a, size_t na, const eng_seq *b, size_t k,
                              const eng_dtw_opts *opts, eng_dtw_isa isa, double *ws, size_t nws,
                              double *dist, int *rc)
{
  eng_dtw_opts def;
  if (opts == NULL) {
    eng_dtw_opts_init(&def);
    opts = &def;
  }
  if (k == 0)
    return 0;
  if (b == NULL || ws == NULL || dist == NULL || rc == NULL)
    return ENG_EINVAL;
  int e = eng__dtw_check_opts(opts);
  if (e)
    return e;
  unsigned w = isa_width(isa);
  if (w == 0)
    return ENG_ENOSYS;
  size_t nbmax = 0;
  for (size_t i = 0; i < k; i++)
    if (b[i].n > nbmax)
      nbmax = b[i].n;
  size_t need = eng_dtw_many_workspace(na, nbmax);
  if (need == SIZE_MAX || nws < need)
    return ENG_EINVAL;
  int a_ok = a == NULL || na == 0 ? ENG_EINVAL : eng__dtw_finite(a, na);
  /* The lanes start at a 64-byte boundary inside ws; the per-pair kernel
   * uses what follows them. */
  double *lanes = ws + ((64 - ((uintptr_t)ws & 63)) & 63) / sizeof(double);
  double *pairws = ws + MAXW + 2 * MAXW * (nbmax + 1);
  size_t npairws = nws - MAXW - 2 * MAXW * (nbmax + 1);

  size_t idx[MAXW], cnt = 0, cm = 0;
  for (size_t i = 0; i <= k; i++) {
    size_t m = 0;
    int lane = 0;
    if (i < k) {
      const double *bi = (const double *)b[i].data;
      m = b[i].n;
      if (a_ok == ENG_EINVAL || bi == NULL || m == 0) {
        rc[i] = ENG_EINVAL;
        continue;
      }
      if (a_ok || eng__dtw_finite(bi, m)) {
        rc[i] = ENG_ENAN;
        continue;
      }
      size_t big = na > m ? na : m;
      lane = w > 1 && eng__dtw_radius(opts, na, m) + 1 >= big;
      if (!lane) {
        rc[i] = eng_dtw_distance_ws(a, na, bi, m, opts, pairws, npairws, &dist[i]);
        continue;
      }
    }
    /* Flush the pending batch when it is full, its length changes or at the end. */
    if (cnt && (cnt == w || i == k || m != cm)) {
      if (2 * cnt >= w) {
        run_lanes(a, na, b, idx, cnt, cm, w, opts, lanes, dist, rc);
      } else {
        for (size_t l = 0; l < cnt; l++)
          rc[idx[l]] = eng_dtw_distance_ws(a, na, (const double *)b[idx[l]].data, cm, opts,
                                           pairws, npairws, &dist[idx[l]]);
      }
      cnt = 0;
    }
    if (i < k) {
      cm = m;
      idx[cnt++] = i;
    }
  }
  return 0;
}

int eng_dtw_distance_many(const double *a, size_t na, const eng_seq *b, size_t k,
                          const eng_dtw_opts *opts, double *ws, size_t nws, double *dist, int *rc)
{
  return eng_dtw_distance_many_isa(a, na, b, k, opts, ENG_DTW_ISA_AUTO, ws, nws, dist, rc);
}
