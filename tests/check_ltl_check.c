/* check_ltl_check.c: the LTLf checker against a direct-semantics evaluator written here, plus hand cases. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ltl.h"

/* ---- a tiny formula AST of the test's own, printed fully parenthesised */
enum { T_TRUE, T_FALSE, T_ATOM, T_CMP, T_NOT, T_AND, T_OR, T_IMPL, T_EQUIV, T_XOR, T_X, T_WX, T_F, T_G,
       T_U, T_R, T_W, T_M, T_FB, T_GB, T_UB, T_Y, T_O, T_H, T_S, T_NOPS };

typedef struct tn {
  int op, a, b, lo, hi, atom;
} tn;

static tn pool[4096];
static int npool;
static unsigned long long rng = 88172645463325252ull;
static unsigned rnd(unsigned n) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (unsigned)(rng % n);
}

static int gen(int depth) {
  tn x = {0};
  if (depth == 0 || rnd(4) == 0) {
    unsigned k = rnd(10);
    x.op = k < 7 ? T_ATOM : k < 8 ? T_CMP : k < 9 ? T_TRUE : T_FALSE;
    x.atom = (int)rnd(3);
  } else {
    x.op = T_NOT + (int)rnd(T_NOPS - T_NOT);
    x.a = gen(depth - 1);
    if (x.op == T_AND || x.op == T_OR || x.op == T_IMPL || x.op == T_EQUIV || x.op == T_XOR || x.op == T_U ||
        x.op == T_R || x.op == T_W || x.op == T_M || x.op == T_UB || x.op == T_S)
      x.b = gen(depth - 1);
    x.lo = (int)rnd(4);
    x.hi = x.lo + (int)rnd(rnd(2) ? 4 : 70);
  }
  pool[npool] = x;
  return npool++;
}

static const char *atoms[] = {"p", "q", "r"};
static const char *cmps[] = {"x > 0.5", "x <= 0.25", "x == 1"};

static void pr(char *buf, size_t n, int id) {
  const tn *x = &pool[id];
  size_t k = strlen(buf);
  static const char *bin[] = {[T_AND] = "&", [T_OR] = "|", [T_IMPL] = "->", [T_EQUIV] = "<->", [T_XOR] = "xor",
                              [T_U] = "U", [T_R] = "R", [T_W] = "W", [T_M] = "M", [T_S] = "S"};
  static const char *un[] = {[T_NOT] = "!", [T_X] = "X", [T_WX] = "WX", [T_F] = "F", [T_G] = "G",
                             [T_Y] = "Y", [T_O] = "O", [T_H] = "H"};
  switch (x->op) {
  case T_TRUE: snprintf(buf + k, n - k, "true"); return;
  case T_FALSE: snprintf(buf + k, n - k, "false"); return;
  case T_ATOM: snprintf(buf + k, n - k, "%s", atoms[x->atom]); return;
  case T_CMP: snprintf(buf + k, n - k, "\"%s\"", cmps[x->atom]); return;
  case T_FB: case T_GB:
    snprintf(buf + k, n - k, "(%s[%d,%d] ", x->op == T_FB ? "F" : "G", x->lo, x->hi);
    pr(buf, n, x->a);
    break;
  case T_UB:
    snprintf(buf + k, n - k, "(");
    pr(buf, n, x->a);
    k = strlen(buf);
    snprintf(buf + k, n - k, " U[%d..%d] ", x->lo, x->hi);
    pr(buf, n, x->b);
    break;
  default:
    if (x->op < (int)(sizeof bin / sizeof *bin) && bin[x->op]) {
      snprintf(buf + k, n - k, "(");
      pr(buf, n, x->a);
      k = strlen(buf);
      snprintf(buf + k, n - k, " %s ", bin[x->op]);
      pr(buf, n, x->b);
    } else {
      snprintf(buf + k, n - k, "(%s ", un[x->op]);
      pr(buf, n, x->a);
    }
  }
  k = strlen(buf);
  snprintf(buf + k, n - k, ")");
}

/* ---- the trace and the direct semantics: holds at position i of an n-step trace */
#define MAXN 64
static int tn_n;
static int tp[3][MAXN];
static double tx[MAXN];
static signed char memo[4096][MAXN];

static int cmpv(int k, double v) { return k == 0 ? v > 0.5 : k == 1 ? v <= 0.25 : v == 1; }

static int ev(int id, int i) {
  if (memo[id][i] >= 0) return memo[id][i];
  const tn *x = &pool[id];
  const int n = tn_n;
  int r = 0, k, j;
  switch (x->op) {
  case T_TRUE: r = 1; break;
  case T_FALSE: r = 0; break;
  case T_ATOM: r = tp[x->atom][i]; break;
  case T_CMP: r = cmpv(x->atom, tx[i]); break;
  case T_NOT: r = !ev(x->a, i); break;
  case T_AND: r = ev(x->a, i) && ev(x->b, i); break;
  case T_OR: r = ev(x->a, i) || ev(x->b, i); break;
  case T_IMPL: r = !ev(x->a, i) || ev(x->b, i); break;
  case T_EQUIV: r = ev(x->a, i) == ev(x->b, i); break;
  case T_XOR: r = ev(x->a, i) != ev(x->b, i); break;
  case T_X: r = i + 1 < n && ev(x->a, i + 1); break;
  case T_WX: r = i + 1 >= n || ev(x->a, i + 1); break;
  case T_F: for (k = i; k < n && !r; k++) r = ev(x->a, k); break;
  case T_G: for (r = 1, k = i; k < n && r; k++) r = ev(x->a, k); break;
  case T_U: case T_W: /* exists k: b(k) and a on [i,k) */
    for (k = i; k < n && !r; k++) {
      int all = 1;
      for (j = i; j < k && all; j++) all = ev(x->a, j);
      r = all && ev(x->b, k);
    }
    if (x->op == T_W && !r) { /* or G a */
      for (r = 1, k = i; k < n && r; k++) r = ev(x->a, k);
    }
    break;
  case T_R: /* for all k: b(k) or a somewhere in [i,k) */
    for (r = 1, k = i; k < n && r; k++) {
      int some = 0;
      for (j = i; j < k && !some; j++) some = ev(x->a, j);
      r = some || ev(x->b, k);
    }
    break;
  case T_M: /* b U (a & b) */
    for (k = i; k < n && !r; k++) {
      int all = 1;
      for (j = i; j < k && all; j++) all = ev(x->b, j);
      r = all && ev(x->a, k) && ev(x->b, k);
    }
    break;
  case T_FB: for (k = i + x->lo; k <= i + x->hi && k < n && !r; k++) r = ev(x->a, k); break;
  case T_GB: for (r = 1, k = i + x->lo; k <= i + x->hi && k < n && r; k++) r = ev(x->a, k); break;
  case T_UB:
    for (k = i + x->lo; k <= i + x->hi && k < n && !r; k++) {
      int all = 1;
      for (j = i; j < k && all; j++) all = ev(x->a, j);
      r = all && ev(x->b, k);
    }
    break;
  case T_Y: r = i > 0 && ev(x->a, i - 1); break;
  case T_O: for (k = 0; k <= i && !r; k++) r = ev(x->a, k); break;
  case T_H: for (r = 1, k = 0; k <= i && r; k++) r = ev(x->a, k); break;
  case T_S:
    for (k = 0; k <= i && !r; k++) {
      int all = 1;
      for (j = k + 1; j <= i && all; j++) all = ev(x->a, j);
      r = all && ev(x->b, k);
    }
    break;
  }
  memo[id][i] = (signed char)r;
  return r;
}

/* Value on the empty trace, as documented: atoms false, F U M X Y O S false, G R W WX H true. */
static int ev_empty(int id) {
  const tn *x = &pool[id];
  switch (x->op) {
  case T_TRUE: return 1;
  case T_NOT: return !ev_empty(x->a);
  case T_AND: return ev_empty(x->a) && ev_empty(x->b);
  case T_OR: return ev_empty(x->a) || ev_empty(x->b);
  case T_IMPL: return !ev_empty(x->a) || ev_empty(x->b);
  case T_EQUIV: return ev_empty(x->a) == ev_empty(x->b);
  case T_XOR: return ev_empty(x->a) != ev_empty(x->b);
  case T_WX: case T_G: case T_R: case T_W: case T_GB: case T_H: return 1;
  default: return 0;
  }
}

static int imin(int a, int b) { return a < b ? a : b; }
static int imax(int a, int b) { return a > b ? a : b; }

/* The documented deciding index of the formula at step 0. */
static int ref_index(int id) {
  const tn *x = &pool[id];
  const int n = tn_n, last = n - 1;
  int k;
  switch (x->op) {
  case T_NOT: return ref_index(x->a);
  case T_AND: case T_OR: case T_IMPL: {
    int va = ev(x->a, 0), vb = ev(x->b, 0), v = ev(id, 0);
    int ia = ref_index(x->a), ib = ref_index(x->b);
    int sa = x->op == T_AND ? !va : x->op == T_OR ? va : !va, sb = x->op == T_AND ? !vb : vb;
    int settled = x->op == T_AND ? !v : v;
    if (!settled) return imax(ia, ib);
    if (sa && sb) return imin(ia, ib);
    return sa ? ia : ib;
  }
  case T_EQUIV: case T_XOR: return imax(ref_index(x->a), ref_index(x->b));
  case T_X: case T_WX: return last >= 1 ? 1 : 0;
  case T_F: for (k = 0; k < n; k++) if (ev(x->a, k)) return k; return last;
  case T_G: for (k = 0; k < n; k++) if (!ev(x->a, k)) return k; return last;
  case T_U: case T_W: for (k = 0; k < n; k++) if (ev(x->b, k) || !ev(x->a, k)) return k; return last;
  case T_R: case T_M: for (k = 0; k < n; k++) if (!ev(x->b, k) || ev(x->a, k)) return k; return last;
  case T_FB: case T_GB: {
    int hi = imin(x->hi, last);
    for (k = x->lo; k <= hi; k++) if (ev(x->a, k) == (x->op == T_FB)) return k;
    return hi;
  }
  case T_UB: {
    int hi = imin(x->hi, last);
    for (k = 0; k < hi; k++) if ((k >= x->lo && ev(x->b, k)) || !ev(x->a, k)) return k;
    return hi;
  }
  default: return 0;
  }
}

static eng_ltl_trace *make_trace(void) {
  eng_ltl_trace *t;
  ck_assert_int_eq(eng_ltl_trace_create(&t, (size_t)tn_n, 0), 0);
  unsigned char v[MAXN];
  for (int a = 0; a < 3; a++) {
    for (int i = 0; i < tn_n; i++) v[i] = (unsigned char)tp[a][i];
    ck_assert_int_eq(eng_ltl_trace_add_bool(t, atoms[a], v), 0);
  }
  ck_assert_int_eq(eng_ltl_trace_add_num(t, "x", tx, NULL), 0);
  return t;
}

static int scale(void) {
  const char *s = getenv("ENGINE_TEST_SCALE");
  int k = s ? atoi(s) : 1;
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  k = s ? k : 4;
#endif
  return k > 0 ? k : 1;
}

START_TEST(random_vs_reference) {
  const int nform = 10000 / scale() + 1;
  char text[16384];
  eng_ltl_workspace *ws;
  ck_assert_int_eq(eng_ltl_workspace_create(&ws), 0);
  long checks = 0;
  for (int fi = 0; fi < nform; fi++) {
    npool = 0;
    int root = gen(1 + (int)rnd(6));
    text[0] = 0;
    pr(text, sizeof text, root);
    eng_ltl_formula *f;
    eng_ltl_diag d;
    int rc = eng_ltl_parse(text, strlen(text), &f, &d);
    ck_assert_msg(rc == 0, "parse %s: %s", text, d.msg);
    for (int rep = 0; rep < 2; rep++) {
      tn_n = (int)rnd(51);
      for (int i = 0; i < tn_n; i++) {
        for (int a = 0; a < 3; a++) tp[a][i] = (int)rnd(2);
        tx[i] = rnd(5) * 0.25;
      }
      for (int i = 0; i < npool; i++) memset(memo[i], -1, sizeof memo[i]);
      eng_ltl_trace *t = make_trace();
      eng_ltl_result res;
      ck_assert_int_eq(eng_ltl_check(f, t, rep ? ws : NULL, &res, &d), 0);
      int want = tn_n ? ev(root, 0) : ev_empty(root);
      ck_assert_msg(res.holds == want, "%s on n=%d: got %d want %d", text, tn_n, res.holds, want);
      int wi = tn_n ? ref_index(root) : -1;
      ck_assert_msg(res.index == wi, "%s on n=%d: index %lld want %d", text, tn_n, (long long)res.index, wi);
      eng_ltl_trace_free(t);
      checks++;
    }
    eng_ltl_formula_free(f);
  }
  eng_ltl_workspace_free(ws);
  ck_assert_int_ge(checks, 2 * nform);
}
END_TEST

/* ---- hand cases: each verdict from the LTLf definitions */
static int run1(const char *formula, const char *rows[], int n, int64_t *index) {
  eng_ltl_trace *t;
  ck_assert_int_eq(eng_ltl_trace_create(&t, (size_t)n, 1), 0);
  const char *names[] = {"a", "b", "c"};
  for (int k = 0; k < 3; k++) {
    unsigned char v[64];
    for (int i = 0; i < n; i++) v[i] = strchr(rows[i], names[k][0]) != NULL;
    ck_assert_int_eq(eng_ltl_trace_add_bool(t, names[k], v), 0);
  }
  eng_ltl_formula *f;
  eng_ltl_diag d;
  ck_assert_msg(eng_ltl_parse(formula, strlen(formula), &f, &d) == 0, "%s: %s", formula, d.msg);
  eng_ltl_result r;
  ck_assert_int_eq(eng_ltl_check(f, t, NULL, &r, &d), 0);
  eng_ltl_formula_free(f);
  eng_ltl_trace_free(t);
  if (index) *index = r.index;
  return r.holds;
}

START_TEST(hand_cases) {
  const char *one_a[] = {"a"}, *one_none[] = {""};
  const char *ab[] = {"a", "a", "b"}, *aaa[] = {"a", "a", "a"}, *rel[] = {"b", "b", "ab", ""};
  int64_t ix;
  /* next at the last step: strong X false, weak WX true, X[!] is strong */
  ck_assert_int_eq(run1("X a", one_a, 1, &ix), 0);
  ck_assert_int_eq(ix, 0);
  ck_assert_int_eq(run1("WX a", one_a, 1, NULL), 1);
  ck_assert_int_eq(run1("WX false", one_a, 1, NULL), 1);
  ck_assert_int_eq(run1("X[!] true", one_a, 1, NULL), 0);
  ck_assert_int_eq(run1("X a", aaa, 3, &ix), 1);
  ck_assert_int_eq(ix, 1);
  /* G and F on one step */
  ck_assert_int_eq(run1("G a", one_a, 1, NULL), 1);
  ck_assert_int_eq(run1("F a", one_a, 1, NULL), 1);
  ck_assert_int_eq(run1("G a", one_none, 1, NULL), 0);
  ck_assert_int_eq(run1("F a", one_none, 1, NULL), 0);
  /* until where b never holds: U false, W true */
  ck_assert_int_eq(run1("a U b", aaa, 3, &ix), 0);
  ck_assert_int_eq(ix, 2);
  ck_assert_int_eq(run1("a W b", aaa, 3, NULL), 1);
  ck_assert_int_eq(run1("a U b", ab, 3, &ix), 1);
  ck_assert_int_eq(ix, 2);
  /* release: b holds up to and including the step where a releases it */
  ck_assert_int_eq(run1("a R b", rel, 4, &ix), 1);
  ck_assert_int_eq(ix, 2);
  ck_assert_int_eq(run1("c R b", rel, 4, &ix), 0);
  ck_assert_int_eq(ix, 3);
  ck_assert_int_eq(run1("a M b", rel, 4, NULL), 1);
  ck_assert_int_eq(run1("c M b", rel, 4, NULL), 0);
  /* first violation of G, witness of F */
  const char *gv[] = {"a", "a", "", "a", ""};
  ck_assert_int_eq(run1("G a", gv, 5, &ix), 0);
  ck_assert_int_eq(ix, 2);
  ck_assert_int_eq(run1("F b", ab, 3, &ix), 1);
  ck_assert_int_eq(ix, 2);
  /* bounded windows at the end: F[a,b] needs a witness inside the trace, G[a,b] is vacuous past it */
  ck_assert_int_eq(run1("F[1,5] b", ab, 3, &ix), 1);
  ck_assert_int_eq(ix, 2);
  ck_assert_int_eq(run1("F[3,5] b", ab, 3, &ix), 0);
  ck_assert_int_eq(ix, 2);
  ck_assert_int_eq(run1("G[3,5] false", ab, 3, NULL), 1);
  ck_assert_int_eq(run1("G[0,1] a", ab, 3, NULL), 1);
  ck_assert_int_eq(run1("G[0,2] a", ab, 3, &ix), 0);
  ck_assert_int_eq(ix, 2);
  ck_assert_int_eq(run1("a U[2,2] b", ab, 3, NULL), 1);
  ck_assert_int_eq(run1("a U[0,1] b", ab, 3, NULL), 0);
  ck_assert_int_eq(run1("G (a -> F[0,1] b)", ab, 3, NULL), 0);
  /* past operators at step 0 */
  ck_assert_int_eq(run1("Y true", one_a, 1, NULL), 0);
  ck_assert_int_eq(run1("!Y a", one_a, 1, NULL), 1);
  ck_assert_int_eq(run1("O a", one_a, 1, NULL), 1);
  ck_assert_int_eq(run1("H a", one_a, 1, NULL), 1);
  ck_assert_int_eq(run1("b S a", one_a, 1, NULL), 1);
  ck_assert_int_eq(run1("a S b", one_a, 1, NULL), 0);
  ck_assert_int_eq(run1("G (b -> O a)", ab, 3, NULL), 1);
  ck_assert_int_eq(run1("F (b & Y a & Y Y a)", ab, 3, NULL), 1);
  /* the empty trace: atoms false, G/R/W/WX true, F/U/X false */
  ck_assert_int_eq(run1("a", NULL, 0, &ix), 0);
  ck_assert_int_eq(ix, -1);
  ck_assert_int_eq(run1("!a", NULL, 0, NULL), 1);
  ck_assert_int_eq(run1("G a", NULL, 0, NULL), 1);
  ck_assert_int_eq(run1("F true", NULL, 0, NULL), 0);
  ck_assert_int_eq(run1("X true", NULL, 0, NULL), 0);
  ck_assert_int_eq(run1("WX false", NULL, 0, NULL), 1);
  ck_assert_int_eq(run1("a R b", NULL, 0, NULL), 1);
  ck_assert_int_eq(run1("true", NULL, 0, NULL), 1);
}
END_TEST

/* Long traces cross word boundaries: every position of an operator's bitset is
 * compared with a plain loop by checking G (e <-> op), where column e holds
 * the loop's values (the index is the first position that differs). */
static size_t *next_true(const unsigned char *v, size_t n) {
  size_t *nt = malloc((n + 1) * sizeof *nt);
  nt[n] = SIZE_MAX;
  for (size_t i = n; i-- > 0;) nt[i] = v[i] ? i : nt[i + 1];
  return nt;
}

START_TEST(long_traces) {
  const size_t n = 20000 + 37;
  unsigned char *a = malloc(n), *b = malloc(n), *e = malloc(n), *na = malloc(n);
  const unsigned ws[][2] = {{0, 0}, {0, 5}, {2, 9}, {0, 63}, {1, 64}, {0, 65}, {3, 200}, {10, 5000}, {0, 127}};
  for (size_t wi = 0; wi < sizeof ws / sizeof *ws; wi++) {
    const unsigned lo = ws[wi][0], hi = ws[wi][1];
    for (size_t i = 0; i < n; i++) {
      a[i] = rnd(hi + 2) != 0;
      b[i] = rnd(hi + 2) == 0;
      na[i] = !a[i];
    }
    size_t *nb = next_true(b, n), *nf = next_true(na, n);
    for (int kind = 0; kind < 8; kind++) {
      char text[96];
      for (size_t i = 0; i < n; i++) {
        size_t top = i + hi < n - 1 ? i + hi : n - 1;
        switch (kind) {
        case 0: /* F[lo,hi] b */
          snprintf(text, sizeof text, "G (e <-> F[%u,%u] b)", lo, hi);
          e[i] = i + lo < n && nb[i + lo] <= top;
          break;
        case 1: /* G[lo,hi] a */
          snprintf(text, sizeof text, "G (e <-> G[%u,%u] a)", lo, hi);
          e[i] = !(i + lo < n && nf[i + lo] <= top);
          break;
        case 2: /* a U[lo,hi] b: first b from i+lo, inside the window, no earlier !a */
          snprintf(text, sizeof text, "G (e <-> a U[%u,%u] b)", lo, hi);
          e[i] = i + lo < n && nb[i + lo] <= top && (nf[i] == SIZE_MAX || nb[i + lo] <= nf[i]);
          break;
        case 3:
          snprintf(text, sizeof text, "G (e <-> a U b)");
          e[i] = nb[i] != SIZE_MAX && (nf[i] == SIZE_MAX || nb[i] <= nf[i]);
          break;
        case 4: /* !a R !b = !(a U b) */
          snprintf(text, sizeof text, "G (e <-> (!a R !b))");
          e[i] = !(nb[i] != SIZE_MAX && (nf[i] == SIZE_MAX || nb[i] <= nf[i]));
          break;
        case 5:
          snprintf(text, sizeof text, "G (e <-> X b)");
          e[i] = i + 1 < n && b[i + 1];
          break;
        case 6: /* b S a, forwards */
          snprintf(text, sizeof text, "G (e <-> b S a)");
          e[i] = a[i] || (i > 0 && b[i] && e[i - 1]);
          break;
        default:
          snprintf(text, sizeof text, "G (e <-> (Y b | H a))");
          break;
        }
      }
      if (kind == 7) { /* recompute H a separately: e = Y b | H a */
        int h = 1;
        for (size_t i = 0; i < n; i++) {
          h = h && a[i];
          e[i] = (i > 0 && b[i - 1]) || h;
        }
      }
      eng_ltl_trace *t;
      ck_assert_int_eq(eng_ltl_trace_create(&t, n, 0), 0);
      ck_assert_int_eq(eng_ltl_trace_add_bool(t, "a", a), 0);
      ck_assert_int_eq(eng_ltl_trace_add_bool(t, "b", b), 0);
      ck_assert_int_eq(eng_ltl_trace_add_bool(t, "e", e), 0);
      eng_ltl_formula *f;
      ck_assert_int_eq(eng_ltl_parse(text, strlen(text), &f, NULL), 0);
      eng_ltl_result r;
      ck_assert_int_eq(eng_ltl_check(f, t, NULL, &r, NULL), 0);
      ck_assert_msg(r.holds == 1 && r.index == (int64_t)n - 1, "%s: first difference at %lld", text,
                    (long long)r.index);
      eng_ltl_formula_free(f);
      eng_ltl_trace_free(t);
    }
    free(nb);
    free(nf);
  }
  free(a);
  free(b);
  free(e);
  free(na);
}
END_TEST

START_TEST(errors) {
  eng_ltl_trace *t;
  ck_assert_int_eq(eng_ltl_trace_create(&t, 3, 0), 0);
  const double v[] = {0, 1, 2.5};
  const unsigned char bb[] = {1, 0, 1};
  ck_assert_int_eq(eng_ltl_trace_add_num(t, "speed", v, NULL), 0);
  ck_assert_int_eq(eng_ltl_trace_add_bool(t, "on", bb), 0);
  eng_ltl_formula *f;
  eng_ltl_diag d;
  eng_ltl_result r;
  ck_assert_int_eq(eng_ltl_parse("G missing", 9, &f, NULL), 0);
  ck_assert_int_eq(eng_ltl_check(f, t, NULL, &r, &d), ENG_ENOENT);
  ck_assert_str_eq(d.column, "missing");
  eng_ltl_formula_free(f);
  /* a plain atom over a signal that is not 0/1: row 3 (1-based), column speed */
  ck_assert_int_eq(eng_ltl_parse("F speed", 7, &f, NULL), 0);
  ck_assert_int_eq(eng_ltl_check(f, t, NULL, &r, &d), ENG_ETYPE);
  ck_assert_str_eq(d.column, "speed");
  ck_assert_int_eq(d.row, 3);
  eng_ltl_formula_free(f);
  const char *ok = "F \"speed > 2\" & G \"on <= 1\"";
  ck_assert_int_eq(eng_ltl_parse(ok, strlen(ok), &f, NULL), 0);
  ck_assert_int_eq(eng_ltl_check(f, t, NULL, &r, &d), 0);
  ck_assert_int_eq(r.holds, 1);
  eng_ltl_formula_free(f);
  ck_assert_int_eq(eng_ltl_check(NULL, t, NULL, &r, NULL), ENG_EINVAL);
  const double bad[] = {0, 0.0 / 0.0, 1};
  size_t row = 99;
  ck_assert_int_eq(eng_ltl_trace_add_num(t, "nan", bad, &row), ENG_ENAN);
  ck_assert_int_eq(row, 1);
  ck_assert_int_eq(eng_ltl_trace_add_bool(t, "on", bb), ENG_EINVAL);
  eng_ltl_trace_free(t);
  /* closed traces: absent atoms are false */
  ck_assert_int_eq(eng_ltl_trace_create(&t, 2, 1), 0);
  ck_assert_int_eq(eng_ltl_parse("G !err", 6, &f, NULL), 0);
  ck_assert_int_eq(eng_ltl_check(f, t, NULL, &r, NULL), 0);
  ck_assert_int_eq(r.holds, 1);
  eng_ltl_formula_free(f);
  eng_ltl_trace_free(t);
}
END_TEST

int main(void) {
  Suite *s = suite_create("ltl_check");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, hand_cases);
  tcase_add_test(tc, errors);
  tcase_add_test(tc, long_traces);
  tcase_add_test(tc, random_vs_reference);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
