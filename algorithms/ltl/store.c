/* store.c: the hash-consed LTL node store, its simplifying constructors and diagnostics. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ltl_internal.h"

int eng__ltl_is_binary(int op) {
  switch (op) {
  case LTL_AND: case LTL_OR: case LTL_IMPL: case LTL_EQUIV: case LTL_XOR:
  case LTL_U: case LTL_R: case LTL_W: case LTL_M: case LTL_UB: case LTL_S:
    return 1;
  default:
    return 0;
  }
}

int eng__ltl_is_past(int op) { return op == LTL_Y || op == LTL_O || op == LTL_H || op == LTL_S; }

int eng__ltl_store_init(ltl_store *s) {
  memset(s, 0, sizeof *s);
  s->cap = 16;
  s->hcap = 32;
  s->nodes = malloc(s->cap * sizeof *s->nodes);
  s->depth = malloc(s->cap * sizeof *s->depth);
  s->hash = calloc(s->hcap, sizeof *s->hash);
  if (!s->nodes || !s->depth || !s->hash) {
    eng__ltl_store_free(s);
    return ENG_ENOMEM;
  }
  return 0;
}

void eng__ltl_store_free(ltl_store *s) {
  if (!s) return;
  free(s->nodes);
  free(s->depth);
  free(s->hash);
  for (uint32_t i = 0; i < s->natoms; i++) free(s->atoms[i].name);
  free(s->atoms);
  memset(s, 0, sizeof *s);
}

static uint32_t hnode(int op, uint32_t a, uint32_t b, uint32_t lo, uint32_t hi) {
  uint64_t h = (uint64_t)op * 0x9E3779B97F4A7C15ull;
  h ^= a + 0x7F4A7C159E3779B9ull + (h << 6) + (h >> 2);
  h ^= b + 0x94D049BB133111EBull + (h << 6) + (h >> 2);
  h ^= lo + 0xBF58476D1CE4E5B9ull + (h << 6) + (h >> 2);
  h ^= hi + 0x2545F4914F6CDD1Dull + (h << 6) + (h >> 2);
  h ^= h >> 31;
  h *= 0xD6E8FEB86659FD93ull;
  return (uint32_t)(h ^ (h >> 32));
}

static int rehash(ltl_store *s, uint32_t ncap) {
  uint32_t *nh = calloc(ncap, sizeof *nh);
  if (!nh) return ENG_ENOMEM;
  for (uint32_t i = 0; i < s->n; i++) {
    const ltl_node *x = &s->nodes[i];
    uint32_t j = hnode(x->op, x->a, x->b, x->lo, x->hi) & (ncap - 1);
    while (nh[j]) j = (j + 1) & (ncap - 1);
    nh[j] = i + 1;
  }
  free(s->hash);
  s->hash = nh;
  s->hcap = ncap;
  return 0;
}

uint32_t eng__ltl_mk(ltl_store *s, int op, uint32_t a, uint32_t b, uint32_t lo, uint32_t hi) {
  if (op != LTL_ATOM && !eng__ltl_is_binary(op)) b = 0;
  if (op != LTL_FB && op != LTL_GB && op != LTL_UB) lo = hi = 0;
  if (op == LTL_TRUE || op == LTL_FALSE) a = 0;
  uint32_t h = hnode(op, a, b, lo, hi);
  uint32_t j = h & (s->hcap - 1);
  while (s->hash[j]) {
    const ltl_node *x = &s->nodes[s->hash[j] - 1];
    if (x->op == op && x->a == a && x->b == b && x->lo == lo && x->hi == hi) return s->hash[j] - 1;
    j = (j + 1) & (s->hcap - 1);
  }
  if (s->n >= UINT32_MAX / 4) return UINT32_MAX;
  if (s->n == s->cap) {
    uint32_t nc = s->cap * 2;
    ltl_node *nn = realloc(s->nodes, nc * sizeof *nn);
    if (!nn) return UINT32_MAX;
    s->nodes = nn;
    uint32_t *nd = realloc(s->depth, nc * sizeof *nd);
    if (!nd) return UINT32_MAX;
    s->depth = nd;
    s->cap = nc;
  }
  uint32_t id = s->n++;
  s->nodes[id] = (ltl_node){(uint8_t)op, a, b, lo, hi};
  uint32_t d = 1;
  if (op != LTL_TRUE && op != LTL_FALSE && op != LTL_ATOM) {
    d = s->depth[a] + 1;
    if (eng__ltl_is_binary(op) && s->depth[b] + 1 > d) d = s->depth[b] + 1;
  }
  s->depth[id] = d;
  s->hash[j] = id + 1;
  if (2 * s->n > s->hcap && rehash(s, s->hcap * 2) != 0) {
    /* the node exists but the table could not grow: undo so state stays coherent */
    s->hash[j] = 0;
    s->n--;
    return UINT32_MAX;
  }
  return id;
}

uint32_t eng__ltl_atom(ltl_store *s, const char *name, size_t len, eng_ltl_cmp cmp, double value) {
  for (uint32_t i = 0; i < s->natoms; i++) {
    const ltl_atom *a = &s->atoms[i];
    if (a->cmp == cmp && strlen(a->name) == len && memcmp(a->name, name, len) == 0 &&
        (cmp == ENG_LTL_CMP_NONE || a->value == value))
      return i;
  }
  if (s->natoms == s->acap) {
    uint32_t nc = s->acap ? s->acap * 2 : 8;
    ltl_atom *na = realloc(s->atoms, nc * sizeof *na);
    if (!na) return UINT32_MAX;
    s->atoms = na;
    s->acap = nc;
  }
  char *nm = malloc(len + 1);
  if (!nm) return UINT32_MAX;
  memcpy(nm, name, len);
  nm[len] = 0;
  s->atoms[s->natoms] = (ltl_atom){nm, cmp, cmp == ENG_LTL_CMP_NONE ? 0.0 : value};
  return s->natoms++;
}

/* ---- simplifying constructors */

typedef struct idvec {
  uint32_t *v;
  size_t n, cap;
  int oom;
} idvec;

static void push(idvec *x, uint32_t id) {
  if (x->n == x->cap) {
    size_t nc = x->cap ? x->cap * 2 : 16;
    uint32_t *nv = realloc(x->v, nc * sizeof *nv);
    if (!nv) {
      x->oom = 1;
      return;
    }
    x->v = nv;
    x->cap = nc;
  }
  x->v[x->n++] = id;
}

static int cmpid(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

/* Collects the operands of a chain of op nodes without recursion. */
static void collect(const ltl_store *s, int op, uint32_t id, idvec *out) {
  idvec stack = {0};
  push(&stack, id);
  while (stack.n && !stack.oom && !out->oom) {
    uint32_t x = stack.v[--stack.n];
    if (s->nodes[x].op == op) {
      push(&stack, s->nodes[x].b);
      push(&stack, s->nodes[x].a);
    } else {
      push(out, x);
    }
  }
  if (stack.oom) out->oom = 1;
  free(stack.v);
}

/* AND / OR in a canonical form: flattened, sorted, deduplicated, constants
 * and complementary pairs folded. The canonical form keeps the set of the
 * monitor's residual formulas finite (progression modulo ACI). */
static uint32_t mk_assoc(ltl_store *s, int op, uint32_t a, uint32_t b) {
  const uint32_t T = eng__ltl_mk(s, LTL_TRUE, 0, 0, 0, 0), F = eng__ltl_mk(s, LTL_FALSE, 0, 0, 0, 0);
  if (T == UINT32_MAX || F == UINT32_MAX) return UINT32_MAX;
  const uint32_t zero = op == LTL_AND ? F : T, unit = op == LTL_AND ? T : F;
  if (a == zero || b == zero) return zero;
  if (a == unit) return b;
  if (b == unit) return a;
  if (a == b) return a;
  idvec v = {0};
  collect(s, op, a, &v);
  collect(s, op, b, &v);
  if (v.oom) {
    free(v.v);
    return UINT32_MAX;
  }
  qsort(v.v, v.n, sizeof *v.v, cmpid);
  size_t m = 0;
  for (size_t i = 0; i < v.n; i++) {
    if (v.v[i] == unit) continue;
    if (m && v.v[m - 1] == v.v[i]) continue;
    v.v[m++] = v.v[i];
  }
  uint32_t r = UINT32_MAX;
  for (size_t i = 0; i < m; i++) {
    const ltl_node *x = &s->nodes[v.v[i]];
    if (x->op == LTL_NOT && bsearch(&x->a, v.v, m, sizeof *v.v, cmpid)) {
      r = zero;
      break;
    }
  }
  if (r == UINT32_MAX) {
    if (m == 0) {
      r = unit;
    } else {
      r = v.v[m - 1];
      for (size_t i = m - 1; i-- > 0 && r != UINT32_MAX;) r = eng__ltl_mk(s, op, v.v[i], r, 0, 0);
    }
  }
  free(v.v);
  return r;
}

uint32_t eng__ltl_smk(ltl_store *s, int op, uint32_t a, uint32_t b, uint32_t lo, uint32_t hi) {
  const uint32_t T = eng__ltl_mk(s, LTL_TRUE, 0, 0, 0, 0), F = eng__ltl_mk(s, LTL_FALSE, 0, 0, 0, 0);
  if (T == UINT32_MAX || F == UINT32_MAX || a == UINT32_MAX || b == UINT32_MAX) return UINT32_MAX;
  const int aop = (op == LTL_TRUE || op == LTL_FALSE || op == LTL_ATOM) ? -1 : s->nodes[a].op;
  switch (op) {
  case LTL_NOT:
    if (a == T) return F;
    if (a == F) return T;
    if (aop == LTL_NOT) return s->nodes[a].a;
    break;
  case LTL_AND:
  case LTL_OR:
    return mk_assoc(s, op, a, b);
  case LTL_IMPL:
    if (a == F || b == T || a == b) return T;
    if (a == T) return b;
    if (b == F) return eng__ltl_smk(s, LTL_NOT, a, 0, 0, 0);
    break;
  case LTL_EQUIV:
  case LTL_XOR: {
    int eq = op == LTL_EQUIV;
    if (a == b) return eq ? T : F;
    if (a == T || a == F || b == T || b == F) {
      uint32_t c = (a == T || a == F) ? a : b, o = c == a ? b : a;
      return (c == T) == eq ? o : eng__ltl_smk(s, LTL_NOT, o, 0, 0, 0);
    }
    break;
  }
  case LTL_X: case LTL_N: case LTL_Y: case LTL_O: case LTL_F: case LTL_FB:
    if (a == F) return F;
    if ((op == LTL_F || op == LTL_O) && aop == op) return a;
    break;
  case LTL_WX: case LTL_WN: case LTL_G: case LTL_H: case LTL_GB:
    if (a == T) return T;
    if ((op == LTL_G || op == LTL_H) && aop == op) return a;
    break;
  case LTL_U: case LTL_M: case LTL_UB: case LTL_S:
    if (b == F) return F;
    break;
  case LTL_R: case LTL_W:
    if (b == T) return T;
    break;
  default:
    break;
  }
  return eng__ltl_mk(s, op, a, b, lo, hi);
}

uint32_t eng__ltl_import(ltl_store *dst, const ltl_store *src, uint32_t r, int simp) {
  for (uint32_t i = 0; i < src->natoms; i++) {
    const ltl_atom *a = &src->atoms[i];
    if (eng__ltl_atom(dst, a->name, strlen(a->name), a->cmp, a->value) == UINT32_MAX) return UINT32_MAX;
  }
  uint32_t *map = malloc(((size_t)r + 1) * sizeof *map);
  unsigned char *live = calloc((size_t)r + 1, 1);
  uint32_t out = UINT32_MAX;
  if (!map || !live) goto done;
  live[r] = 1;
  for (uint32_t i = r + 1; i-- > 0;) {
    if (!live[i]) continue;
    const ltl_node *x = &src->nodes[i];
    if (x->op == LTL_TRUE || x->op == LTL_FALSE || x->op == LTL_ATOM) continue;
    live[x->a] = 1;
    if (eng__ltl_is_binary(x->op)) live[x->b] = 1;
  }
  for (uint32_t i = 0; i <= r; i++) {
    if (!live[i]) continue;
    const ltl_node *x = &src->nodes[i];
    uint32_t a = x->a, b = x->b, id;
    if (x->op == LTL_ATOM) {
      a = eng__ltl_atom(dst, src->atoms[x->a].name, strlen(src->atoms[x->a].name), src->atoms[x->a].cmp,
                        src->atoms[x->a].value);
      id = a == UINT32_MAX ? UINT32_MAX : eng__ltl_mk(dst, LTL_ATOM, a, 0, 0, 0);
    } else {
      if (x->op != LTL_TRUE && x->op != LTL_FALSE) {
        a = map[x->a];
        if (eng__ltl_is_binary(x->op)) b = map[x->b];
      }
      id = simp ? eng__ltl_smk(dst, x->op, a, b, x->lo, x->hi) : eng__ltl_mk(dst, x->op, a, b, x->lo, x->hi);
    }
    if (id == UINT32_MAX) goto done;
    map[i] = id;
  }
  out = map[r];
done:
  free(map);
  free(live);
  return out;
}

/* Values on the empty suffix: atoms false, and each operator's quantifier over
 * no positions (F, U, M, X, Y, O, S false; G, R, W, WX, H true). */
int eng__ltl_end_value(const ltl_store *s, uint32_t id, const unsigned char *vals) {
  const ltl_node *x = &s->nodes[id];
  switch (x->op) {
  case LTL_TRUE: return 1;
  case LTL_FALSE: return 0;
  case LTL_ATOM: return 0;
  case LTL_NOT: return !vals[x->a];
  case LTL_AND: return vals[x->a] && vals[x->b];
  case LTL_OR: return vals[x->a] || vals[x->b];
  case LTL_IMPL: return !vals[x->a] || vals[x->b];
  case LTL_EQUIV: return vals[x->a] == vals[x->b];
  case LTL_XOR: return vals[x->a] != vals[x->b];
  case LTL_WX: case LTL_WN: case LTL_G: case LTL_R: case LTL_W: case LTL_GB: case LTL_H:
    return 1;
  default:
    return 0;
  }
}

void eng__ltl_diag_set(eng_ltl_diag *d, int code, const char *src, size_t off, const char *fmt, ...) {
  if (!d) return;
  memset(d, 0, sizeof *d);
  d->code = code;
  d->offset = off;
  d->line = 1;
  d->col = 1;
  if (src) {
    for (size_t i = 0; i < off; i++) {
      if (src[i] == '\n') {
        d->line++;
        d->col = 1;
      } else {
        d->col++;
      }
    }
  }
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(d->msg, sizeof d->msg, fmt, ap);
  va_end(ap);
}

size_t eng_ltl_diag_format(const eng_ltl_diag *d, const char *src, size_t srclen, char *buf, size_t n) {
  if (!d) return 0;
  if (!src) return (size_t)snprintf(buf, n, "%u:%u: %s", d->line, d->col, d->msg);
  size_t ls = d->offset > srclen ? srclen : d->offset;
  while (ls > 0 && src[ls - 1] != '\n') ls--;
  size_t le = ls;
  while (le < srclen && src[le] != '\n') le++;
  size_t w = (size_t)snprintf(buf, n, "%u:%u: %s\n%.*s\n", d->line, d->col, d->msg, (int)(le - ls), src + ls);
  for (unsigned c = 1; c < d->col; c++) {
    if (w + 1 < n) buf[w] = (ls + c - 1 < le && src[ls + c - 1] == '\t') ? '\t' : ' ';
    w++;
  }
  if (w + 1 < n) buf[w] = '^';
  w++;
  if (n) buf[w < n ? w : n - 1] = 0;
  return w;
}
