/* check.c: bit-parallel LTLf checking of a whole trace, 64 steps per machine word.
 *
 * Every subformula gets a bitset over the trace positions (bit i%64 of word
 * i/64 is step i; bits at or above n are kept 0), computed from its operands'
 * bitsets in one pass per operator; operands have smaller ids, so a loop over
 * node ids needs no recursion. Semantics: De Giacomo and Vardi, "Linear
 * Temporal Logic and Linear Dynamic Logic on Finite Traces" (IJCAI 2013).
 *
 * Until, release, eventually and always share one recurrence,
 *   v(i) = g(i) | (p(i) & v(i+1)),  v(n) = end,
 * which is the carry chain of a binary addition read from high positions to
 * low ones: on bit-reversed words, (g|p) + g + carry-in produces every carry
 * in one addition, and v = g | (p & carries). Past operators use the same
 * recurrence forwards without the reversal. Bounded operators use windowed
 * ORs whose cost does not depend on the bound.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ltl_trace.h"

struct eng_ltl_workspace {
  uint64_t *mem;
  size_t cap; /* words */
  const uint64_t **val;
  size_t valcap;
};

int eng_ltl_workspace_create(eng_ltl_workspace **out) {
  if (!out) return ENG_EINVAL;
  *out = calloc(1, sizeof **out);
  return *out ? 0 : ENG_ENOMEM;
}

void eng_ltl_workspace_free(eng_ltl_workspace *ws) {
  if (!ws) return;
  free(ws->mem);
  free(ws->val);
  free(ws);
}

static inline uint64_t rev64(uint64_t x) {
  x = __builtin_bswap64(x);
  x = ((x >> 4) & 0x0F0F0F0F0F0F0F0Full) | ((x & 0x0F0F0F0F0F0F0F0Full) << 4);
  x = ((x >> 2) & 0x3333333333333333ull) | ((x & 0x3333333333333333ull) << 2);
  x = ((x >> 1) & 0x5555555555555555ull) | ((x & 0x5555555555555555ull) << 1);
  return x;
}

typedef struct ctx {
  size_t n, W;
  uint64_t last; /* valid bits of the last word */
} ctx;

static inline uint64_t vmask(const ctx *c, size_t k) { return k + 1 == c->W ? c->last : ~(uint64_t)0; }

/* v(i) = g(i) | (p(i) & v(i+1)), v(n) = end. g NULL means 0, p NULL means 1. */
static void until_k(const ctx *c, uint64_t *out, const uint64_t *g, const uint64_t *p, int end) {
  uint64_t carry = (uint64_t)(end != 0);
  for (size_t k = c->W; k-- > 0;) {
    uint64_t gw = g ? g[k] : 0, pw = p ? p[k] : ~(uint64_t)0;
    if (k + 1 == c->W) {
      /* positions past the end pass the end value through */
      gw &= c->last;
      pw |= ~c->last;
    }
    uint64_t G = rev64(gw), P = rev64(pw);
    uint64_t A = G | P, B = G;
    uint64_t s1 = A + B;
    uint64_t sum = s1 + carry;
    uint64_t cin = sum ^ A ^ B;
    uint64_t r = G | (P & cin);
    carry = r >> 63;
    out[k] = rev64(r) & vmask(c, k);
  }
}

/* v(i) = g(i) | (p(i) & v(i-1)), v(-1) = start. */
static void since_k(const ctx *c, uint64_t *out, const uint64_t *g, const uint64_t *p, int start) {
  uint64_t carry = (uint64_t)(start != 0);
  for (size_t k = 0; k < c->W; k++) {
    uint64_t gw = g ? g[k] : 0, pw = p ? p[k] : ~(uint64_t)0;
    uint64_t A = gw | pw, B = gw;
    uint64_t sum = A + B + carry;
    uint64_t cin = sum ^ A ^ B;
    uint64_t r = gw | (pw & cin);
    carry = r >> 63;
    out[k] = r & vmask(c, k);
  }
}

/* out(i) = in(i + s): strong shift towards the past (positions past the end read 0). */
static void shift_down(const ctx *c, uint64_t *out, const uint64_t *in, size_t s) {
  size_t ws = s / 64;
  unsigned bs = (unsigned)(s % 64);
  for (size_t k = 0; k < c->W; k++) {
    uint64_t lo = k + ws < c->W ? in[k + ws] : 0, hi = k + ws + 1 < c->W ? in[k + ws + 1] : 0;
    out[k] = (bs ? (lo >> bs) | (hi << (64 - bs)) : lo) & vmask(c, k);
  }
}

/* out(i) = OR of in(i .. i+w) (positions past the end read 0). */
static void window_or(const ctx *c, uint64_t *out, const uint64_t *in, uint64_t w) {
  if (w < 64) {
    const unsigned L = (unsigned)w + 1;
    for (size_t k = 0; k < c->W; k++) {
      unsigned __int128 y = (unsigned __int128)in[k] | ((unsigned __int128)(k + 1 < c->W ? in[k + 1] : 0) << 64);
      unsigned m = 1;
      while (2 * m <= L) {
        y |= y >> m;
        m *= 2;
      }
      if (L > m) y |= y >> (L - m); /* two overlapping windows of m cover L */
      out[k] = (uint64_t)y & vmask(c, k);
    }
    return;
  }
  /* w >= 63: a set bit at or after j in the same word always lies in the
   * window; otherwise the window reaches the next set position nxt when
   * 64k + j + w >= nxt. */
  uint64_t nxt = UINT64_MAX;
  for (size_t k = c->W; k-- > 0;) {
    uint64_t v = in[k], r = 0;
    if (v) r = ~(uint64_t)0 >> (63 - (63 - __builtin_clzll(v)));
    if (nxt != UINT64_MAX) {
      uint64_t base = 64 * (uint64_t)k;
      if (nxt <= base + w) r = ~(uint64_t)0;
      else if (nxt - w - base < 64) r |= ~(uint64_t)0 << (nxt - w - base);
    }
    out[k] = r & vmask(c, k);
    if (v) nxt = 64 * (uint64_t)k + (uint64_t)__builtin_ctzll(v);
  }
}

static void not_k(const ctx *c, uint64_t *out, const uint64_t *in) {
  for (size_t k = 0; k < c->W; k++) out[k] = ~in[k] & vmask(c, k);
}

/* F[a,b] in = X^a (window of b-a). */
static void fb_k(const ctx *c, uint64_t *out, const uint64_t *in, uint32_t a, uint32_t b, uint64_t *tmp) {
  window_or(c, tmp, in, (uint64_t)b - a);
  shift_down(c, out, tmp, a);
}

/* Reads bit i. */
static inline int bit(const uint64_t *v, size_t i) { return (int)((v[i / 64] >> (i % 64)) & 1); }

/* First position k in [from, to] (to < n) where (want ? v : !v) holds, else SIZE_MAX. */
static size_t first(const ctx *c, const uint64_t *v, int want, size_t from, size_t to) {
  if (from > to) return SIZE_MAX;
  for (size_t k = from / 64; k <= to / 64; k++) {
    uint64_t w = (want ? v[k] : ~v[k]) & vmask(c, k);
    if (k == from / 64) w &= ~(uint64_t)0 << (from % 64);
    if (w) {
      size_t pos = 64 * k + (size_t)__builtin_ctzll(w);
      return pos <= to ? pos : SIZE_MAX;
    }
  }
  return SIZE_MAX;
}

/* First k in [0, n) where (va(k) == wa) or (vb(k) == wb), else SIZE_MAX. */
static size_t first2(const ctx *c, const uint64_t *va, int wa, const uint64_t *vb, int wb) {
  for (size_t k = 0; k < c->W; k++) {
    uint64_t w = ((wa ? va[k] : ~va[k]) | (wb ? vb[k] : ~vb[k])) & vmask(c, k);
    if (w) return 64 * k + (size_t)__builtin_ctzll(w);
  }
  return SIZE_MAX;
}

static int64_t idx_of(const ctx *c, const ltl_store *s, const uint64_t *const *val, uint32_t id) {
  const ltl_node *x = &s->nodes[id];
  const int64_t last = (int64_t)c->n - 1;
  int v = bit(val[id], 0);
  size_t k;
  switch (x->op) {
  case LTL_NOT:
    return idx_of(c, s, val, x->a);
  case LTL_AND:
  case LTL_OR:
  case LTL_IMPL: {
    /* an operand that alone settles the result (false for &, true for |) */
    int va = bit(val[x->a], 0), vb = bit(val[x->b], 0);
    int sa = x->op == LTL_AND ? !va : x->op == LTL_OR ? va : !va;
    int sb = x->op == LTL_AND ? !vb : vb;
    int64_t ia = idx_of(c, s, val, x->a), ib = idx_of(c, s, val, x->b);
    int settled = x->op == LTL_AND ? !v : v;
    if (settled) {
      if (sa && sb) return ia < ib ? ia : ib;
      return sa ? ia : ib;
    }
    return ia > ib ? ia : ib;
  }
  case LTL_EQUIV:
  case LTL_XOR: {
    int64_t ia = idx_of(c, s, val, x->a), ib = idx_of(c, s, val, x->b);
    return ia > ib ? ia : ib;
  }
  case LTL_X:
  case LTL_WX:
    return last >= 1 ? 1 : 0;
  case LTL_F:
  case LTL_G:
    k = first(c, val[x->a], x->op == LTL_F, 0, c->n - 1);
    return k == SIZE_MAX ? last : (int64_t)k;
  case LTL_U:
  case LTL_W:
    k = first2(c, val[x->b], 1, val[x->a], 0);
    return k == SIZE_MAX ? last : (int64_t)k;
  case LTL_R:
  case LTL_M:
    k = first2(c, val[x->b], 0, val[x->a], 1);
    return k == SIZE_MAX ? last : (int64_t)k;
  case LTL_FB:
  case LTL_GB: {
    size_t hi = x->hi < c->n - 1 ? x->hi : c->n - 1;
    k = first(c, val[x->a], x->op == LTL_FB, x->lo, hi);
    return k == SIZE_MAX ? (int64_t)hi : (int64_t)k;
  }
  case LTL_UB: {
    size_t hi = x->hi < c->n - 1 ? x->hi : c->n - 1;
    for (k = 0; k < hi; k++)
      if ((k >= x->lo && bit(val[x->b], k)) || !bit(val[x->a], k)) break;
    return (int64_t)k;
  }
  default:
    return 0; /* atoms, constants and past operators are settled by step 0 */
  }
}

int eng_ltl_check(const eng_ltl_formula *f, const eng_ltl_trace *t, eng_ltl_workspace *ws, eng_ltl_result *res,
                  eng_ltl_diag *d) {
  if (d) memset(d, 0, sizeof *d);
  if (!f || !t || !res) return ENG_EINVAL;
  const ltl_store *s = &f->s;
  const uint32_t nn = f->root + 1;
  ctx c = {t->n, t->words, t->n % 64 ? ((uint64_t)1 << (t->n % 64)) - 1 : ~(uint64_t)0};
  /* Resolve atoms before any allocation: errors name the column. */
  for (uint32_t i = 0; i < s->natoms; i++) {
    const ltl_atom *a = &s->atoms[i];
    const ltl_column *col = eng__ltl_trace_find(t, a->name);
    if (!col) {
      if (t->closed && a->cmp == ENG_LTL_CMP_NONE) continue;
      eng__ltl_diag_set(d, ENG_ENOENT, NULL, 0, "atom '%s' is not in the trace", a->name);
      if (d) snprintf(d->column, sizeof d->column, "%s", a->name);
      return ENG_ENOENT;
    }
    if (a->cmp == ENG_LTL_CMP_NONE && col->kind == 2 && col->nonbool != SIZE_MAX) {
      eng__ltl_diag_set(d, ENG_ETYPE, NULL, 0, "row %zu, column '%s': %.17g is not a boolean", col->nonbool + 1,
                        a->name, col->num[col->nonbool]);
      if (d) {
        d->row = col->nonbool + 1;
        snprintf(d->column, sizeof d->column, "%s", a->name);
      }
      return ENG_ETYPE;
    }
  }
  eng_ltl_workspace local = {0};
  eng_ltl_workspace *w = ws ? ws : &local;
  const size_t W1 = c.W + 1, nbuf = (size_t)nn + 3;
  if (w->valcap < nn) {
    const uint64_t **nv = realloc(w->val, nn * sizeof *nv);
    if (!nv) goto nomem;
    w->val = nv;
    w->valcap = nn;
  }
  if (w->cap < nbuf * W1) {
    free(w->mem);
    w->mem = malloc(nbuf * W1 * sizeof *w->mem);
    w->cap = w->mem ? nbuf * W1 : 0;
    if (!w->mem) goto nomem;
  }
  const uint64_t **val = w->val;
  uint64_t *t1 = w->mem + (size_t)nn * W1, *t2 = t1 + W1, *t3 = t2 + W1;
  t1[c.W] = t2[c.W] = t3[c.W] = 0;

  if (t->n == 0) {
    unsigned char *ev = malloc(nn);
    if (!ev) goto nomem;
    for (uint32_t i = 0; i < nn; i++) ev[i] = (unsigned char)eng__ltl_end_value(s, i, ev);
    res->holds = ev[f->root];
    res->index = -1;
    free(ev);
    if (!ws) {
      free(local.mem);
      free(local.val);
    }
    return 0;
  }

  for (uint32_t i = 0; i < nn; i++) {
    const ltl_node *x = &s->nodes[i];
    uint64_t *o = w->mem + (size_t)i * W1;
    o[c.W] = 0;
    const uint64_t *A = x->op >= LTL_NOT ? val[x->a] : NULL;
    const uint64_t *B = eng__ltl_is_binary(x->op) ? val[x->b] : NULL;
    switch (x->op) {
    case LTL_TRUE:
      for (size_t k = 0; k < c.W; k++) o[k] = vmask(&c, k);
      break;
    case LTL_FALSE:
      memset(o, 0, c.W * sizeof *o);
      break;
    case LTL_ATOM: {
      const ltl_atom *a = &s->atoms[x->a];
      const ltl_column *col = eng__ltl_trace_find(t, a->name);
      if (!col) {
        memset(o, 0, c.W * sizeof *o); /* closed world */
      } else if (a->cmp == ENG_LTL_CMP_NONE) {
        val[i] = col->bits; /* borrowed: no copy */
        continue;
      } else if (col->kind == 2) {
        const double *v = col->num, th = a->value;
        for (size_t k = 0; k < c.W; k++) {
          size_t base = 64 * k, m = c.n - base < 64 ? c.n - base : 64;
          uint64_t r = 0;
          switch (a->cmp) {
          case ENG_LTL_CMP_LT: for (size_t j = 0; j < m; j++) r |= (uint64_t)(v[base + j] < th) << j; break;
          case ENG_LTL_CMP_LE: for (size_t j = 0; j < m; j++) r |= (uint64_t)(v[base + j] <= th) << j; break;
          case ENG_LTL_CMP_GT: for (size_t j = 0; j < m; j++) r |= (uint64_t)(v[base + j] > th) << j; break;
          case ENG_LTL_CMP_GE: for (size_t j = 0; j < m; j++) r |= (uint64_t)(v[base + j] >= th) << j; break;
          case ENG_LTL_CMP_EQ: for (size_t j = 0; j < m; j++) r |= (uint64_t)(v[base + j] == th) << j; break;
          default: for (size_t j = 0; j < m; j++) r |= (uint64_t)(v[base + j] != th) << j; break;
          }
          o[k] = r;
        }
      } else {
        for (size_t k = 0; k < c.n; k++) {
          if (k % 64 == 0) o[k / 64] = 0;
          o[k / 64] |= (uint64_t)eng_ltl_cmp_eval(a->cmp, (double)bit(col->bits, k), a->value) << (k % 64);
        }
      }
      break;
    }
    case LTL_NOT: not_k(&c, o, A); break;
    case LTL_AND: for (size_t k = 0; k < c.W; k++) o[k] = A[k] & B[k]; break;
    case LTL_OR: for (size_t k = 0; k < c.W; k++) o[k] = A[k] | B[k]; break;
    case LTL_IMPL: for (size_t k = 0; k < c.W; k++) o[k] = (~A[k] | B[k]) & vmask(&c, k); break;
    case LTL_EQUIV: for (size_t k = 0; k < c.W; k++) o[k] = ~(A[k] ^ B[k]) & vmask(&c, k); break;
    case LTL_XOR: for (size_t k = 0; k < c.W; k++) o[k] = A[k] ^ B[k]; break;
    case LTL_X:
    case LTL_WX:
      shift_down(&c, o, A, 1);
      if (x->op == LTL_WX) o[(c.n - 1) / 64] |= (uint64_t)1 << ((c.n - 1) % 64);
      break;
    case LTL_Y:
      for (size_t k = 0; k < c.W; k++) o[k] = ((A[k] << 1) | (k ? A[k - 1] >> 63 : 0)) & vmask(&c, k);
      break;
    case LTL_F: until_k(&c, o, A, NULL, 0); break;
    case LTL_G: until_k(&c, o, NULL, A, 1); break;
    case LTL_U: until_k(&c, o, B, A, 0); break;
    case LTL_W: until_k(&c, o, B, A, 1); break;
    case LTL_R:
    case LTL_M:
      for (size_t k = 0; k < c.W; k++) t1[k] = A[k] & B[k];
      until_k(&c, o, t1, B, x->op == LTL_R);
      break;
    case LTL_O: since_k(&c, o, A, NULL, 0); break;
    case LTL_H: since_k(&c, o, NULL, A, 1); break;
    case LTL_S: since_k(&c, o, B, A, 0); break;
    case LTL_FB: fb_k(&c, o, A, x->lo, x->hi, t1); break;
    case LTL_GB:
      not_k(&c, t2, A);
      fb_k(&c, t3, t2, x->lo, x->hi, t1);
      not_k(&c, o, t3);
      break;
    case LTL_UB:
      /* a U[lo,hi] b = G[0,lo-1] a & X^lo ((a U b) & F[0,hi-lo] b) */
      until_k(&c, t2, B, A, 0);
      window_or(&c, t1, B, (uint64_t)x->hi - x->lo);
      for (size_t k = 0; k < c.W; k++) t2[k] &= t1[k];
      shift_down(&c, o, t2, x->lo);
      if (x->lo > 0) {
        not_k(&c, t2, A);
        window_or(&c, t3, t2, (uint64_t)x->lo - 1);
        for (size_t k = 0; k < c.W; k++) o[k] &= ~t3[k];
      }
      break;
    default:
      memset(o, 0, c.W * sizeof *o);
      break;
    }
    val[i] = o;
  }
  res->holds = bit(val[f->root], 0);
  res->index = idx_of(&c, s, val, f->root);
  if (!ws) {
    free(local.mem);
    free(local.val);
  }
  return 0;
nomem:
  if (!ws) {
    free(local.mem);
    free(local.val);
  }
  eng__ltl_diag_set(d, ENG_ENOMEM, NULL, 0, "out of memory");
  return ENG_ENOMEM;
}
