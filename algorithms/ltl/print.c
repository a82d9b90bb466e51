/* print.c: printing formulas in the parser's syntax, simplification, equality and size. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ltl_internal.h"

enum { P_IMPL = 1, P_OR, P_XOR, P_AND, P_UNTIL, P_UNARY, P_ATOM };

typedef struct sbuf {
  char *buf;
  size_t n, len; /* capacity of the caller's buffer, length produced so far */
} sbuf;

static void put(sbuf *b, const char *s, size_t k) {
  for (size_t i = 0; i < k; i++, b->len++)
    if (b->len + 1 < b->n) b->buf[b->len] = s[i];
}
static void puts_(sbuf *b, const char *s) { put(b, s, strlen(s)); }

static int prec_of(int op) {
  switch (op) {
  case LTL_IMPL: case LTL_EQUIV: return P_IMPL;
  case LTL_OR: return P_OR;
  case LTL_XOR: return P_XOR;
  case LTL_AND: return P_AND;
  case LTL_U: case LTL_R: case LTL_W: case LTL_M: case LTL_UB: case LTL_S: return P_UNTIL;
  case LTL_TRUE: case LTL_FALSE: case LTL_ATOM: return P_ATOM;
  default: return P_UNARY;
  }
}

static int bare_ok(const char *s) {
  if (!((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_')) return 0;
  for (const char *q = s + 1; *q; q++)
    if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') || *q == '_' ||
          *q == '.'))
      return 0;
  return strcmp(s, "true") && strcmp(s, "false") && strcmp(s, "xor");
}

static void print_atom(sbuf *b, const ltl_atom *a) {
  static const char *const cmps[] = {"", "<", "<=", ">", ">=", "==", "!="};
  if (a->cmp != ENG_LTL_CMP_NONE) {
    char tmp[64];
    snprintf(tmp, sizeof tmp, " %s %.17g\"", cmps[a->cmp], a->value);
    puts_(b, "\"");
    puts_(b, a->name);
    puts_(b, tmp);
    return;
  }
  if (bare_ok(a->name)) {
    puts_(b, a->name);
    return;
  }
  puts_(b, "\"");
  for (const char *q = a->name; *q; q++) {
    if (*q == '"' || *q == '\\') put(b, "\\", 1);
    put(b, q, 1);
  }
  puts_(b, "\"");
}

static const char *op_name(int op) {
  switch (op) {
  case LTL_NOT: return "!";
  case LTL_AND: return " & ";
  case LTL_OR: return " | ";
  case LTL_IMPL: return " -> ";
  case LTL_EQUIV: return " <-> ";
  case LTL_XOR: return " xor ";
  case LTL_X: case LTL_N: return "X ";
  case LTL_WX: case LTL_WN: return "WX ";
  case LTL_F: return "F ";
  case LTL_G: return "G ";
  case LTL_U: return " U ";
  case LTL_R: return " R ";
  case LTL_W: return " W ";
  case LTL_M: return " M ";
  case LTL_S: return " S ";
  case LTL_Y: return "Y ";
  case LTL_O: return "O ";
  case LTL_H: return "H ";
  default: return "?";
  }
}

/* Depth is bounded by ENG_LTL_MAX_DEPTH, so recursion here is bounded too. */
static void pr(sbuf *b, const ltl_store *s, uint32_t id, int minprec) {
  const ltl_node *x = &s->nodes[id];
  int p = prec_of(x->op), par = p < minprec;
  char tmp[48];
  if (par) puts_(b, "(");
  switch (x->op) {
  case LTL_TRUE: puts_(b, "true"); break;
  case LTL_FALSE: puts_(b, "false"); break;
  case LTL_ATOM: print_atom(b, &s->atoms[x->a]); break;
  case LTL_FB:
  case LTL_GB:
    snprintf(tmp, sizeof tmp, "%c[%u,%u] ", x->op == LTL_FB ? 'F' : 'G', x->lo, x->hi);
    puts_(b, tmp);
    pr(b, s, x->a, P_UNARY);
    break;
  case LTL_UB:
    pr(b, s, x->a, P_UNTIL + 1);
    snprintf(tmp, sizeof tmp, " U[%u,%u] ", x->lo, x->hi);
    puts_(b, tmp);
    pr(b, s, x->b, P_UNTIL);
    break;
  default:
    if (eng__ltl_is_binary(x->op)) {
      int right = p == P_IMPL || p == P_UNTIL;
      pr(b, s, x->a, right ? p + 1 : p);
      puts_(b, op_name(x->op));
      pr(b, s, x->b, right ? p : p + 1);
    } else {
      puts_(b, op_name(x->op));
      pr(b, s, x->a, P_UNARY);
    }
  }
  if (par) puts_(b, ")");
}

size_t eng__ltl_print_node(const ltl_store *s, uint32_t id, char *buf, size_t n);
size_t eng__ltl_print_node(const ltl_store *s, uint32_t id, char *buf, size_t n) {
  sbuf b = {buf, n, 0};
  pr(&b, s, id, 0);
  if (n) buf[b.len < n ? b.len : n - 1] = 0;
  return b.len;
}

size_t eng_ltl_print(const eng_ltl_formula *f, char *buf, size_t n) {
  if (!f) {
    if (n) buf[0] = 0;
    return 0;
  }
  return eng__ltl_print_node(&f->s, f->root, buf, n);
}

int eng_ltl_simplify(const eng_ltl_formula *f, eng_ltl_formula **out) {
  if (!f || !out) return ENG_EINVAL;
  *out = NULL;
  eng_ltl_formula *g = calloc(1, sizeof *g);
  if (!g || eng__ltl_store_init(&g->s)) {
    free(g);
    return ENG_ENOMEM;
  }
  g->root = eng__ltl_import(&g->s, &f->s, f->root, 1);
  if (g->root == UINT32_MAX) {
    eng_ltl_formula_free(g);
    return ENG_ENOMEM;
  }
  *out = g;
  return 0;
}

int eng_ltl_equal(const eng_ltl_formula *a, const eng_ltl_formula *b) {
  if (!a || !b) return a == b;
  /* Walk both trees in lockstep with an explicit stack. */
  size_t cap = 64, n = 0;
  uint32_t *st = malloc(cap * 2 * sizeof *st);
  if (!st) return 0;
  st[0] = a->root;
  st[1] = b->root;
  n = 1;
  int eq = 1;
  while (n && eq) {
    n--;
    const ltl_node *x = &a->s.nodes[st[2 * n]], *y = &b->s.nodes[st[2 * n + 1]];
    if (x->op != y->op || x->lo != y->lo || x->hi != y->hi) {
      eq = 0;
      break;
    }
    if (x->op == LTL_ATOM) {
      const ltl_atom *p = &a->s.atoms[x->a], *q = &b->s.atoms[y->a];
      eq = p->cmp == q->cmp && p->value == q->value && strcmp(p->name, q->name) == 0;
      continue;
    }
    if (x->op == LTL_TRUE || x->op == LTL_FALSE) continue;
    int k = eng__ltl_is_binary(x->op) ? 2 : 1;
    if (n + 2 > cap) {
      uint32_t *ns = realloc(st, cap * 4 * sizeof *ns);
      if (!ns) {
        eq = 0;
        break;
      }
      st = ns;
      cap *= 2;
    }
    st[2 * n] = x->a;
    st[2 * n + 1] = y->a;
    n++;
    if (k == 2) {
      st[2 * n] = x->b;
      st[2 * n + 1] = y->b;
      n++;
    }
  }
  free(st);
  return eq;
}

size_t eng_ltl_size(const eng_ltl_formula *f) {
  if (!f) return 0;
  /* nodes reachable from the root */
  unsigned char *live = calloc((size_t)f->root + 1, 1);
  if (!live) return f->s.n;
  size_t count = 0;
  live[f->root] = 1;
  for (uint32_t i = f->root + 1; i-- > 0;) {
    if (!live[i]) continue;
    count++;
    const ltl_node *x = &f->s.nodes[i];
    if (x->op == LTL_TRUE || x->op == LTL_FALSE || x->op == LTL_ATOM) continue;
    live[x->a] = 1;
    if (eng__ltl_is_binary(x->op)) live[x->b] = 1;
  }
  free(live);
  return count;
}

int eng_ltl_formula_copy(const eng_ltl_formula *f, eng_ltl_formula **out) {
  if (!f || !out) return ENG_EINVAL;
  *out = NULL;
  eng_ltl_formula *g = calloc(1, sizeof *g);
  if (!g || eng__ltl_store_init(&g->s)) {
    free(g);
    return ENG_ENOMEM;
  }
  g->root = eng__ltl_import(&g->s, &f->s, f->root, 0);
  if (g->root == UINT32_MAX) {
    eng_ltl_formula_free(g);
    return ENG_ENOMEM;
  }
  *out = g;
  return 0;
}
