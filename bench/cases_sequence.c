/* cases_sequence.c: bench cases for edit distance, LCS and OSA (engine, edlib, plain two-row DP). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "engine/sequence.h"
#include "bench.h"
#ifdef HAVE_EDLIB
#include <edlib.h>
#endif

enum { K_EDIT, K_LCS, K_OSA };

typedef struct sp {
  int kind;
  size_t n;
  int similar; /* 1: b is a with ~10% of positions edited; 0: independent */
} sp;

typedef struct sst {
  unsigned char *a, *b;
  size_t na, nb;
  size_t *row0, *row1; /* dp-ref rows */
  eng_seq_ws *ws;
  uint64_t acc;
} sst;

static uint64_t xs(uint64_t *s)
{
  uint64_t x = *s;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return *s = x;
}

static void teardown(void *state)
{
  sst *s = state;
  if (!s)
    return;
  free(s->a);
  free(s->b);
  free(s->row0);
  free(s->row1);
  eng_seq_ws_destroy(s->ws);
  free(s);
}

/* Letters a-z; the similar string takes each position of a and, with
 * probability 1/10, substitutes, inserts or deletes there instead. */
static void *setup(const void *param)
{
  const sp *p = param;
  sst *s = calloc(1, sizeof *s);
  uint64_t seed = 0x1234567ull + p->n * 31 + (uint64_t)p->similar;
  if (!s)
    return NULL;
  s->a = malloc(p->n);
  s->b = malloc(2 * p->n + 1);
  s->row0 = malloc((2 * p->n + 2) * sizeof *s->row0);
  s->row1 = malloc((2 * p->n + 2) * sizeof *s->row1);
  if (!s->a || !s->b || !s->row0 || !s->row1 || eng_seq_ws_create(&s->ws)) {
    teardown(s);
    return NULL;
  }
  for (size_t i = 0; i < p->n; i++)
    s->a[i] = (unsigned char)('a' + xs(&seed) % 26);
  s->na = p->n;
  size_t nb = 0;
  if (!p->similar) {
    for (size_t i = 0; i < p->n; i++)
      s->b[nb++] = (unsigned char)('a' + xs(&seed) % 26);
  } else {
    for (size_t i = 0; i < p->n; i++) {
      uint64_t r = xs(&seed) % 30;
      if (r == 0) {
        s->b[nb++] = (unsigned char)('a' + xs(&seed) % 26); /* substitute */
      } else if (r == 1) {
        s->b[nb++] = (unsigned char)('a' + xs(&seed) % 26); /* insert before */
        s->b[nb++] = s->a[i];
      } else if (r == 2) {
        /* delete */
      } else {
        s->b[nb++] = s->a[i];
      }
    }
  }
  s->nb = nb;
  return s;
}

static void run_engine(void *state, uint64_t iters, int kind)
{
  sst *s = state;
  eng_symbols a = eng_symbols_u8(s->a, s->na), b = eng_symbols_u8(s->b, s->nb);
  size_t r = 0;
  for (uint64_t i = 0; i < iters; i++) {
    if (kind == K_EDIT)
      eng_edit_distance(&a, &b, ENG_SEQ_NO_MAX, s->ws, &r);
    else if (kind == K_LCS)
      eng_lcs(&a, &b, s->ws, &r);
    else
      eng_osa(&a, &b, ENG_SEQ_NO_MAX, s->ws, &r);
    s->acc += r;
  }
  bench_keep(&s->acc);
}

/* The same kernels held to the portable scalar code (what a CPU without AVX-512
 * runs), so one run shows both dispatch levels. */
static void *setup_scalar(const void *param)
{
  sst *s = setup(param);
  if (s && eng_seq_ws_set_simd(s->ws, ENG_SEQ_SIMD_SCALAR)) {
    teardown(s);
    return NULL;
  }
  return s;
}

static void run_engine_edit(void *st, uint64_t it) { run_engine(st, it, K_EDIT); }
static void run_engine_lcs(void *st, uint64_t it) { run_engine(st, it, K_LCS); }
static void run_engine_osa(void *st, uint64_t it) { run_engine(st, it, K_OSA); }

static size_t min3(size_t x, size_t y, size_t z)
{
  size_t m = x < y ? x : y;
  return m < z ? m : z;
}

/* The plain two-row dynamic programs the kernels are compared with. */
static void run_ref(void *state, uint64_t iters, int kind)
{
  sst *s = state;
  const unsigned char *a = s->a, *b = s->b;
  size_t na = s->na, nb = s->nb;
  for (uint64_t it = 0; it < iters; it++) {
    size_t *prev = s->row0, *cur = s->row1;
    if (kind == K_LCS) {
      memset(prev, 0, (nb + 1) * sizeof *prev);
      for (size_t i = 1; i <= na; i++) {
        cur[0] = 0;
        for (size_t j = 1; j <= nb; j++)
          cur[j] = a[i - 1] == b[j - 1] ? prev[j - 1] + 1 : (prev[j] > cur[j - 1] ? prev[j] : cur[j - 1]);
        size_t *t = prev;
        prev = cur;
        cur = t;
      }
    } else {
      for (size_t j = 0; j <= nb; j++)
        prev[j] = j;
      for (size_t i = 1; i <= na; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= nb; j++)
          cur[j] = min3(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1]));
        size_t *t = prev;
        prev = cur;
        cur = t;
      }
    }
    s->acc += prev[nb];
  }
  bench_keep(&s->acc);
}

/* Optimal string alignment needs the row two back: three rotating rows. */
static void run_ref_osa(void *state, uint64_t iters)
{
  sst *s = state;
  const unsigned char *a = s->a, *b = s->b;
  size_t na = s->na, nb = s->nb;
  size_t *r2 = malloc((nb + 1) * sizeof *r2);
  if (!r2)
    return;
  for (uint64_t it = 0; it < iters; it++) {
    size_t *pp = r2, *prev = s->row0, *cur = s->row1;
    for (size_t j = 0; j <= nb; j++)
      prev[j] = j;
    for (size_t i = 1; i <= na; i++) {
      cur[0] = i;
      for (size_t j = 1; j <= nb; j++) {
        size_t v = min3(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1]));
        if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && pp[j - 2] + 1 < v)
          v = pp[j - 2] + 1;
        cur[j] = v;
      }
      size_t *t = pp;
      pp = prev;
      prev = cur;
      cur = t;
    }
    s->acc += prev[nb];
  }
  free(r2);
  bench_keep(&s->acc);
}

static void run_ref_edit(void *st, uint64_t it) { run_ref(st, it, K_EDIT); }
static void run_ref_lcs(void *st, uint64_t it) { run_ref(st, it, K_LCS); }

#ifdef HAVE_EDLIB
static void run_edlib(void *state, uint64_t iters)
{
  sst *s = state;
  EdlibAlignConfig cfg = edlibNewAlignConfig(-1, EDLIB_MODE_NW, EDLIB_TASK_DISTANCE, NULL, 0);
  for (uint64_t i = 0; i < iters; i++) {
    EdlibAlignResult r = edlibAlign((const char *)s->a, (int)s->na, (const char *)s->b, (int)s->nb, cfg);
    s->acc += (uint64_t)r.editDistance;
    edlibFreeAlignResult(r);
  }
  bench_keep(&s->acc);
}
#define EDLIB_RUN run_edlib
#define EDLIB_MISSING NULL
#else
#define EDLIB_RUN NULL
#define EDLIB_MISSING "not built (install libedlib-dev)"
#endif

static const bench_impl edit_impls[] = {
  {.name = "engine", .setup = setup, .run = run_engine_edit, .teardown = teardown},
  {.name = "edlib", .missing = EDLIB_MISSING, .setup = setup, .run = EDLIB_RUN, .teardown = teardown},
  {.name = "dp-ref", .setup = setup, .run = run_ref_edit, .teardown = teardown},
  {.name = "engine-scalar", .setup = setup_scalar, .run = run_engine_edit, .teardown = teardown},
};
static const bench_impl lcs_impls[] = {
  {.name = "engine", .setup = setup, .run = run_engine_lcs, .teardown = teardown},
  {.name = "dp-ref", .setup = setup, .run = run_ref_lcs, .teardown = teardown},
  {.name = "engine-scalar", .setup = setup_scalar, .run = run_engine_lcs, .teardown = teardown},
};
static const bench_impl osa_impls[] = {
  {.name = "engine", .setup = setup, .run = run_engine_osa, .teardown = teardown},
  {.name = "dp-ref", .setup = setup, .run = run_ref_osa, .teardown = teardown},
};

#define P(k, n, sim) (&(const sp){k, n, sim})
#define EDIT(nm, n, sim, tgt)                                                             \
  {.name = nm, .op = "call", .work = (double)(n) * (n), .work_unit = "cells",             \
   .slow = (n) >= 10000, .param = P(K_EDIT, n, sim), .impls = edit_impls, .nimpls = 4,    \
   .target_kind = BENCH_TARGET_NS_PER_OP_MAX, .target = tgt}
#define LCS(nm, n, sim, tgt)                                                              \
  {.name = nm, .op = "call", .work = (double)(n) * (n), .work_unit = "cells",             \
   .slow = (n) >= 10000, .param = P(K_LCS, n, sim), .impls = lcs_impls, .nimpls = 3,      \
   .target_kind = (tgt) > 0 ? BENCH_TARGET_NS_PER_OP_MAX : BENCH_TARGET_NONE, .target = tgt}
#define OSA(nm, n, sim)                                                                   \
  {.name = nm, .op = "call", .work = (double)(n) * (n), .work_unit = "cells",             \
   .slow = (n) >= 10000, .param = P(K_OSA, n, sim), .impls = osa_impls, .nimpls = 2,      \
   .target_kind = BENCH_TARGET_RATE_PER_WORKER_MIN, .target = 3e9}

/* Targets (issue #3): Levenshtein n=16 <= 30 ns, 100 <= 350 ns, 1000 <= 8 us
 * similar / 18 us unrelated, 10000 <= 0.3 ms / 1.4 ms; LCS 1000 <= 10 us,
 * 10000 <= 1 ms; OSA >= 3 G cells/s. */
static const bench_case cases[] = {
  EDIT("seq/edit/16/random", 16, 0, 30),
  EDIT("seq/edit/16/similar", 16, 1, 30),
  EDIT("seq/edit/100/random", 100, 0, 350),
  EDIT("seq/edit/100/similar", 100, 1, 350),
  EDIT("seq/edit/1000/random", 1000, 0, 18000),
  EDIT("seq/edit/1000/similar", 1000, 1, 8000),
  EDIT("seq/edit/10000/random", 10000, 0, 1.4e6),
  EDIT("seq/edit/10000/similar", 10000, 1, 0.3e6),
  LCS("seq/lcs/16/random", 16, 0, 0),
  LCS("seq/lcs/100/random", 100, 0, 0),
  LCS("seq/lcs/1000/random", 1000, 0, 10000),
  LCS("seq/lcs/1000/similar", 1000, 1, 10000),
  LCS("seq/lcs/10000/random", 10000, 0, 1e6),
  LCS("seq/lcs/10000/similar", 10000, 1, 1e6),
  OSA("seq/osa/100/random", 100, 0),
  OSA("seq/osa/1000/random", 1000, 0),
  OSA("seq/osa/1000/similar", 1000, 1),
  OSA("seq/osa/10000/random", 10000, 0),
};

const bench_case *bench_cases_sequence(size_t *n)
{
  *n = sizeof cases / sizeof cases[0];
  return cases;
}
