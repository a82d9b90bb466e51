/* cases_ltl.c: bench cases for LTL parsing, bit-parallel checking (vs a per-position DP), monitoring and batches. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "engine/ltl.h"
#include "bench.h"
/* Node layout only (no internal function is called): the DP peer walks the same formula. */
#include "../algorithms/ltl/ltl_internal.h"

enum { K_PARSE, K_CHECK, K_MONITOR, K_MANY };

typedef struct lp {
  int kind;
  const char *formula;
  size_t n;       /* trace steps */
  int numeric;    /* atoms are comparisons over numeric signals */
  unsigned workers; /* K_MANY: 1 or 0 (one per core) */
} lp;

#define NATOMS 18
typedef struct lst {
  const lp *p;
  eng_ltl_formula *f;
  eng_ltl_trace *t;
  eng_ltl_workspace *ws;
  unsigned char *col[NATOMS]; /* byte columns for the DP peer */
  double *sig[NATOMS];
  unsigned char *dp;          /* DP peer: one byte per node and step */
  eng_ltl_monitor *m;
  unsigned char *steps;       /* monitor input, NATOMS bytes per step */
  uint64_t *lat;
  size_t nlat, cap;
  eng_engine *e;
  eng_ltl_trace **many;
  eng_ltl_result *res;
  uint64_t acc;
} lst;

static uint64_t xs(uint64_t *s) {
  uint64_t x = *s;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return *s = x;
}

static const char *aname(int i) {
  static const char *const names[NATOMS] = {"a", "b", "c", "d", "e", "f", "g", "h", "i",
                                            "j", "k", "l", "m", "n", "o", "p", "q", "r"};
  return names[i];
}

static void teardown(void *state) {
  lst *s = state;
  if (!s) return;
  eng_ltl_formula_free(s->f);
  eng_ltl_trace_free(s->t);
  eng_ltl_workspace_free(s->ws);
  for (int i = 0; i < NATOMS; i++) {
    free(s->col[i]);
    free(s->sig[i]);
  }
  free(s->dp);
  eng_ltl_monitor_free(s->m);
  free(s->steps);
  free(s->lat);
  if (s->many)
    for (int i = 0; i < 64; i++) eng_ltl_trace_free(s->many[i]);
  free(s->many);
  free(s->res);
  if (s->e) eng_engine_destroy(s->e, ENG_DRAIN_CANCEL, NULL);
  free(s);
}

/* Atoms: requests (a, g, m) are rare, responses frequent, everything else random. */
static eng_ltl_trace *make_trace(lst *s, size_t n, int numeric, uint64_t seed, int keep) {
  eng_ltl_trace *t;
  if (eng_ltl_trace_create(&t, n, 0)) return NULL;
  for (int i = 0; i < NATOMS; i++) {
    unsigned char *c = malloc(n ? n : 1);
    double *x = malloc((n ? n : 1) * sizeof *x);
    if (!c || !x) {
      free(c);
      free(x);
      eng_ltl_trace_free(t);
      return NULL;
    }
    for (size_t k = 0; k < n; k++) {
      uint64_t r = xs(&seed);
      c[k] = i % 6 == 0 ? (r % 64 == 0) : i % 6 == 1 ? (r % 4 != 0) : i % 6 == 4 ? (r % 128 != 0) : (r & 1);
      x[k] = c[k] ? 1.0 + (double)(r >> 40) / (double)(1ull << 24) : -(double)(r >> 40) / (double)(1ull << 24);
    }
    int rc = numeric ? eng_ltl_trace_add_num(t, aname(i), x, NULL) : eng_ltl_trace_add_bool(t, aname(i), c);
    if (keep) {
      s->col[i] = c;
      s->sig[i] = x;
    } else {
      free(c);
      free(x);
    }
    if (rc) {
      eng_ltl_trace_free(t);
      return NULL;
    }
  }
  return t;
}

/* With numeric signals every atom `a` of the formula is written "a > 0.5". */
static char *numeric_text(const char *f) {
  char *out = malloc(strlen(f) * 12 + 1), *o = out;
  for (const char *q = f; *q; q++) {
    if (*q >= 'a' && *q <= 'r' && !(q[1] >= 'a' && q[1] <= 'z')) o += sprintf(o, "\"%c > 0.5\"", *q);
    else *o++ = *q;
  }
  *o = 0;
  return out;
}

static void *setup(const void *param) {
  const lp *p = param;
  lst *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->p = p;
  char *text = p->numeric ? numeric_text(p->formula) : NULL;
  const char *ft = text ? text : p->formula;
  int rc = eng_ltl_parse(ft, strlen(ft), &s->f, NULL);
  free(text);
  if (rc || eng_ltl_workspace_create(&s->ws)) goto fail;
  if (p->kind == K_CHECK) {
    s->t = make_trace(s, p->n, p->numeric, 0x5eed + p->n, 1);
    if (!s->t) goto fail;
  } else if (p->kind == K_MONITOR) {
    if (eng_ltl_monitor_create(s->f, &s->m, NULL)) goto fail;
    s->steps = malloc(p->n * NATOMS);
    s->cap = p->n / 64 + 1;
    s->lat = malloc(s->cap * sizeof *s->lat);
    if (!s->steps || !s->lat) goto fail;
    uint64_t seed = 77;
    for (size_t k = 0; k < p->n * NATOMS; k++) {
      uint64_t r = xs(&seed);
      int i = (int)(k % NATOMS);
      s->steps[k] = i % 6 == 0 ? (r % 64 == 0) : i % 6 == 1 ? (r % 4 != 0) : i % 6 == 4 ? (r % 128 != 0) : (r & 1);
    }
  } else if (p->kind == K_MANY) {
    eng_config cfg;
    eng_config_init(&cfg);
    cfg.workers = p->workers;
    if (eng_engine_create(&s->e, &cfg) != 0) {
      cfg.pin = 0;
      if (eng_engine_create(&s->e, &cfg) != 0) goto fail;
    }
    s->many = calloc(64, sizeof *s->many);
    s->res = calloc(64, sizeof *s->res);
    if (!s->many || !s->res) goto fail;
    for (int i = 0; i < 64; i++)
      if (!(s->many[i] = make_trace(s, p->n, 0, 1000 + (uint64_t)i, 0))) goto fail;
  }
  return s;
fail:
  teardown(s);
  return NULL;
}

static void run_parse(void *state, uint64_t iters) {
  lst *s = state;
  for (uint64_t i = 0; i < iters; i++) {
    eng_ltl_formula *f;
    if (eng_ltl_parse(s->p->formula, strlen(s->p->formula), &f, NULL) == 0) {
      s->acc += eng_ltl_atom_count(f);
      eng_ltl_formula_free(f);
    }
  }
  bench_keep(&s->acc);
}

static void run_check(void *state, uint64_t iters) {
  lst *s = state;
  for (uint64_t i = 0; i < iters; i++) {
    eng_ltl_result r;
    if (eng_ltl_check(s->f, s->t, s->ws, &r, NULL) == 0) s->acc += (uint64_t)r.index + (uint64_t)r.holds;
  }
  bench_keep(&s->acc);
}

static int is_binary(int op) {
  return op == LTL_AND || op == LTL_OR || op == LTL_IMPL || op == LTL_EQUIV || op == LTL_XOR || op == LTL_U ||
         op == LTL_R || op == LTL_W || op == LTL_M || op == LTL_UB || op == LTL_S;
}

/* The peer: the textbook dynamic programme over positions, one byte per
 * subformula and step, filled backwards (forwards for past operators). */
static void run_dp(void *state, uint64_t iters) {
  lst *s = state;
  const ltl_store *st = &s->f->s;
  const size_t n = s->p->n, nn = s->f->root + 1;
  if (!s->dp) s->dp = malloc(nn * n);
  if (!s->dp || n == 0) return;
  for (uint64_t it = 0; it < iters; it++) {
    for (size_t id = 0; id < nn; id++) {
      const ltl_node *x = &st->nodes[id];
      unsigned char *o = s->dp + id * n;
      const unsigned char *A = x->op >= LTL_NOT ? s->dp + (size_t)x->a * n : NULL;
      const unsigned char *B = is_binary(x->op) ? s->dp + (size_t)x->b * n : NULL;
      switch (x->op) {
      case LTL_TRUE: memset(o, 1, n); break;
      case LTL_FALSE: memset(o, 0, n); break;
      case LTL_ATOM: {
        const ltl_atom *a = &st->atoms[x->a];
        int c = a->name[0] - 'a';
        if (a->cmp == ENG_LTL_CMP_NONE) memcpy(o, s->col[c], n);
        else
          for (size_t i = 0; i < n; i++) o[i] = s->sig[c][i] > a->value;
        break;
      }
      case LTL_NOT: for (size_t i = 0; i < n; i++) o[i] = !A[i]; break;
      case LTL_AND: for (size_t i = 0; i < n; i++) o[i] = A[i] & B[i]; break;
      case LTL_OR: for (size_t i = 0; i < n; i++) o[i] = A[i] | B[i]; break;
      case LTL_IMPL: for (size_t i = 0; i < n; i++) o[i] = (unsigned char)((!A[i]) | B[i]); break;
      case LTL_X: for (size_t i = 0; i < n; i++) o[i] = i + 1 < n && A[i + 1]; break;
      case LTL_F: { int v = 0; for (size_t i = n; i-- > 0;) o[i] = (unsigned char)(v = A[i] | v); break; }
      case LTL_G: { int v = 1; for (size_t i = n; i-- > 0;) o[i] = (unsigned char)(v = A[i] & v); break; }
      case LTL_U: { int v = 0; for (size_t i = n; i-- > 0;) o[i] = (unsigned char)(v = B[i] | (A[i] & v)); break; }
      case LTL_FB: { /* sliding count of true steps in the window */
        size_t cnt = 0, lo = x->lo, hi = x->hi;
        for (size_t i = n; i-- > 0;) {
          if (i + lo < n) cnt += A[i + lo];
          if (i + hi + 1 < n) cnt -= A[i + hi + 1];
          o[i] = cnt > 0;
        }
        break;
      }
      default: memset(o, 0, n); break;
      }
    }
    s->acc += s->dp[(size_t)s->f->root * n];
  }
  bench_keep(&s->acc);
}

static void run_monitor(void *state, uint64_t iters) {
  lst *s = state;
  const size_t n = s->p->n;
  eng_ltl_verdict v;
  s->nlat = 0;
  for (uint64_t i = 0; i < iters; i++) {
    eng_ltl_monitor_reset(s->m);
    /* latencies: mean ns per step of each block of 64 steps (reading the
     * clock around every step would cost more than the step) */
    for (size_t b = 0; b < n; b += 64) {
      uint64_t t0 = eng_now_ns();
      size_t end = b + 64 < n ? b + 64 : n;
      for (size_t k = b; k < end; k++) {
        eng_ltl_monitor_step(s->m, s->steps + k * NATOMS, &v);
        s->acc += (uint64_t)v.holds;
      }
      uint64_t dt = eng_now_ns() - t0;
      if (s->nlat < s->cap) s->lat[s->nlat++] = dt / (end - b);
    }
  }
  bench_keep(&s->acc);
}

static size_t lat_monitor(void *state, uint64_t *ns, size_t n) {
  lst *s = state;
  size_t k = s->nlat < n ? s->nlat : n;
  memcpy(ns, s->lat, k * sizeof *ns);
  return k;
}

static void run_many(void *state, uint64_t iters) {
  lst *s = state;
  const eng_ltl_formula *fs[1] = {s->f};
  for (uint64_t i = 0; i < iters; i++) {
    if (eng_ltl_check_many(s->e, fs, 1, (const eng_ltl_trace *const *)s->many, 64, s->res, NULL, NULL, NULL) == 0)
      s->acc += (uint64_t)s->res[0].holds;
  }
  bench_keep(&s->acc);
}

#define F1 "G a"
#define F10 "G (a -> F b) & (c U d) & G !e & X f"
#define F10B "G (g -> F h) & (i U j) & G !k & X l"
#define F10C "G (m -> F n) & (o U p) & G !q & X r"
#define F30 "(" F10 ") & (" F10B ") | (" F10C ")"
#define FB10 "G (a -> F[0,10] b)"
#define FB10K "G (a -> F[0,10000] b)"
#define P50 "G (req -> F[0,10] ack) & !(valve U \"temp > 80\")"
#define P500                                                                                            \
  "G (req -> F[0,10] ack) & G !(valve & \"pressure > 5\") & (init U ready) & G (err -> X reset) & "      \
  "F[0,100] done & G (start -> (busy U[1,20] idle)) & H !fault & G (a1 -> O b1) & (c1 S d1) & "          \
  "G (\"speed <= 3.5\" | brake) & G F heartbeat & (x1 R y1) & (x2 W y2) & (x3 M y3) & G (u1 <-> Y u2) & " \
  "G (req2 -> F[2,50] ack2) & G (mode.a -> WX mode.b) & (p1 xor q1) & [](s1 -> <> t1) & X[!] go & G[0,9] warm"

static const lp p_parse50 = {K_PARSE, P50, 0, 0, 0};
static const lp p_parse500 = {K_PARSE, P500, 0, 0, 0};
static const lp p_c1 = {K_CHECK, F1, 1000000, 0, 0};
static const lp p_c10 = {K_CHECK, F10, 1000000, 0, 0};
static const lp p_c30 = {K_CHECK, F30, 1000000, 0, 0};
static const lp p_c1n = {K_CHECK, F1, 1000000, 1, 0};
static const lp p_c10n = {K_CHECK, F10, 1000000, 1, 0};
static const lp p_c30n = {K_CHECK, F30, 1000000, 1, 0};
static const lp p_b10 = {K_CHECK, FB10, 1000000, 0, 0};
static const lp p_b10k = {K_CHECK, FB10K, 1000000, 0, 0};
static const lp p_mon = {K_MONITOR, F10, 100000, 0, 0};
static const lp p_monb = {K_MONITOR, FB10, 100000, 0, 0};
static const lp p_many1 = {K_MANY, F10, 100000, 0, 1};
static const lp p_manyn = {K_MANY, F10, 100000, 0, 0};

static const bench_impl i_parse[] = {{.name = "engine", .setup = setup, .run = run_parse, .teardown = teardown}};
static const bench_impl i_check[] = {
  {.name = "engine", .setup = setup, .run = run_check, .teardown = teardown},
  {.name = "dp-ref", .setup = setup, .run = run_dp, .teardown = teardown},
};
static const bench_impl i_mon[] = {
  {.name = "engine", .setup = setup, .run = run_monitor, .latencies = lat_monitor, .teardown = teardown}};
static const bench_impl i_many[] = {{.name = "engine", .setup = setup, .run = run_many, .teardown = teardown}};

/* tgt 0: the issue sets no target for this row. */
#define CHECK(nm, p, tgt)                                                                                    \
  {.name = nm, .op = "call", .work = 1e6, .work_unit = "steps", .param = &p, .impls = i_check, .nimpls = 2, \
   .target_kind = (tgt) > 0 ? BENCH_TARGET_NS_PER_OP_MAX : BENCH_TARGET_NONE, .target = tgt}

static const bench_case cases[] = {
  {.name = "ltl/parse/50", .op = "call", .work = sizeof P50 - 1, .work_unit = "chars", .param = &p_parse50,
   .impls = i_parse, .nimpls = 1, .target_kind = BENCH_TARGET_NS_PER_OP_MAX, .target = 2000},
  {.name = "ltl/parse/500", .op = "call", .work = sizeof P500 - 1, .work_unit = "chars", .param = &p_parse500,
   .impls = i_parse, .nimpls = 1},
  CHECK("ltl/check/1op/1e6", p_c1, 1e6),
  CHECK("ltl/check/10op/1e6", p_c10, 1e6),
  CHECK("ltl/check/30op/1e6", p_c30, 0),
  CHECK("ltl/check/1op-numeric/1e6", p_c1n, 10e6),
  CHECK("ltl/check/10op-numeric/1e6", p_c10n, 10e6),
  CHECK("ltl/check/30op-numeric/1e6", p_c30n, 0),
  CHECK("ltl/check/bounded-10/1e6", p_b10, 0),
  CHECK("ltl/check/bounded-10000/1e6", p_b10k, 0),
  {.name = "ltl/monitor/10op", .op = "call", .work = 100000, .work_unit = "steps", .param = &p_mon,
   .impls = i_mon, .nimpls = 1, .target_kind = BENCH_TARGET_P50_MAX, .target = 20},
  {.name = "ltl/monitor/bounded-10", .op = "call", .work = 100000, .work_unit = "steps", .param = &p_monb,
   .impls = i_mon, .nimpls = 1, .target_kind = BENCH_TARGET_P99_MAX, .target = 100},
  {.name = "ltl/many/64x1e5/1w", .op = "call", .work = 64 * 100000.0, .work_unit = "steps", .param = &p_many1,
   .impls = i_many, .nimpls = 1, .slow = 1, .series = "ltl/many", .workers = 1},
  {.name = "ltl/many/64x1e5/Nw", .op = "call", .work = 64 * 100000.0, .work_unit = "steps", .param = &p_manyn,
   .impls = i_many, .nimpls = 1, .slow = 1, .series = "ltl/many", .workers = 0},
};

const bench_case *bench_cases_ltl(size_t *n) {
  *n = sizeof cases / sizeof *cases;
  return cases;
}
