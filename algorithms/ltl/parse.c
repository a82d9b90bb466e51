/* parse.c: the LTL parser: operator precedence (shunting-yard) with explicit stacks, no recursion. */
#include <stdlib.h>
#include <string.h>

#include "ltl_internal.h"

/* Spot's precedence, lowest first: -> <-> (right), | , xor, & (left),
 * U R W M S (right), then every prefix operator. */
enum { P_IMPL = 1, P_OR, P_XOR, P_AND, P_UNTIL, P_UNARY };

typedef struct pop {
  int op;       /* LTL_* or -1 for '(' */
  int prec;
  uint32_t lo, hi;
  size_t start, end; /* the operator's token */
} pop;

typedef struct parser {
  ltl_lexer lx;
  ltl_store *s;
  eng_ltl_diag *d;
  pop *ops;
  size_t nops, opcap;
  uint32_t *vals;
  size_t nvals, valcap;
  size_t parens;
  int err;
} parser;

static int perr(parser *p, int code, size_t off, const char *fmt, const char *arg) {
  if (!p->err) {
    p->err = code;
    eng__ltl_diag_set(p->d, code, p->lx.src, off, fmt, arg ? arg : "");
  }
  return code;
}

static int push_op(parser *p, pop o) {
  if (p->nops == p->opcap) {
    size_t nc = p->opcap ? p->opcap * 2 : 32;
    pop *n = realloc(p->ops, nc * sizeof *n);
    if (!n) return perr(p, ENG_ENOMEM, o.start, "out of memory", NULL);
    p->ops = n;
    p->opcap = nc;
  }
  p->ops[p->nops++] = o;
  return 0;
}

static int push_val(parser *p, uint32_t v, size_t off) {
  if (v == UINT32_MAX) return perr(p, ENG_ENOMEM, off, "out of memory", NULL);
  if (p->nvals == p->valcap) {
    size_t nc = p->valcap ? p->valcap * 2 : 32;
    uint32_t *n = realloc(p->vals, nc * sizeof *n);
    if (!n) return perr(p, ENG_ENOMEM, off, "out of memory", NULL);
    p->vals = n;
    p->valcap = nc;
  }
  p->vals[p->nvals++] = v;
  return 0;
}

/* Applies the operator on top of the stack to its operands. */
static int reduce(parser *p) {
  pop o = p->ops[--p->nops];
  uint32_t a, b = 0;
  if (eng__ltl_is_binary(o.op)) {
    b = p->vals[--p->nvals];
    a = p->vals[--p->nvals];
  } else {
    a = p->vals[--p->nvals];
  }
  uint32_t id = eng__ltl_mk(p->s, o.op, a, b, o.lo, o.hi);
  if (id == UINT32_MAX) return perr(p, ENG_ENOMEM, o.start, "out of memory", NULL);
  if (p->s->depth[id] > ENG_LTL_MAX_DEPTH)
    return perr(p, ENG_EPARSE, o.start, "formula nested too deeply (more than 1000 levels)", NULL);
  return push_val(p, id, o.start);
}

static const char *tok_text(const parser *p, size_t start, size_t end, char *buf, size_t n) {
  size_t len = end - start;
  if (len > n - 1) len = n - 1;
  memcpy(buf, p->lx.src + start, len);
  buf[len] = 0;
  return buf;
}

static int binop(int kind, int op, int *prec) {
  switch (kind) {
  case TK_IMPL: *prec = P_IMPL; return LTL_IMPL;
  case TK_EQUIV: *prec = P_IMPL; return LTL_EQUIV;
  case TK_OR: *prec = P_OR; return LTL_OR;
  case TK_XOR: *prec = P_XOR; return LTL_XOR;
  case TK_AND: *prec = P_AND; return LTL_AND;
  case TK_BINARY: *prec = P_UNTIL; return op;
  default: return -1;
  }
}

static int run(parser *p) {
  int expect_operand = 1;
  size_t prev_start = 0, prev_end = 0; /* the previous token, for messages */
  int have_prev = 0;
  char tb[48];
  for (;;) {
    ltl_token t;
    if (eng__ltl_lex(&p->lx, &t, p->d) == TK_ERROR) {
      p->err = p->d && p->d->code ? p->d->code : ENG_EPARSE;
      if (!p->d) p->err = ENG_EPARSE;
      return p->err;
    }
    if (expect_operand) {
      switch (t.kind) {
      case TK_ATOM: {
        uint32_t ai = eng__ltl_atom(p->s, t.text, t.textlen, t.cmp, t.value);
        if (ai == UINT32_MAX) return perr(p, ENG_ENOMEM, t.start, "out of memory", NULL);
        if (push_val(p, eng__ltl_mk(p->s, LTL_ATOM, ai, 0, 0, 0), t.start)) return p->err;
        expect_operand = 0;
        break;
      }
      case TK_TRUE:
      case TK_FALSE:
        if (push_val(p, eng__ltl_mk(p->s, t.kind == TK_TRUE ? LTL_TRUE : LTL_FALSE, 0, 0, 0, 0), t.start))
          return p->err;
        expect_operand = 0;
        break;
      case TK_NOT:
      case TK_UNARY:
        if (push_op(p, (pop){t.kind == TK_NOT ? LTL_NOT : t.op, P_UNARY, t.lo, t.hi, t.start, t.end}))
          return p->err;
        break;
      case TK_LP:
        if (p->parens >= ENG_LTL_MAX_DEPTH)
          return perr(p, ENG_EPARSE, t.start, "parentheses nested too deeply (more than 1000 levels)", NULL);
        p->parens++;
        if (push_op(p, (pop){-1, 0, 0, 0, t.start, t.end})) return p->err;
        break;
      default:
        if (!have_prev) return perr(p, ENG_EPARSE, t.start, "expected formula", NULL);
        return perr(p, ENG_EPARSE, t.start, "expected formula after '%s'",
                    tok_text(p, prev_start, prev_end, tb, sizeof tb));
      }
    } else {
      int prec, op = binop(t.kind, t.op, &prec);
      if (op >= 0) {
        int right = prec == P_IMPL || prec == P_UNTIL;
        while (p->nops) {
          const pop *top = &p->ops[p->nops - 1];
          if (top->op < 0) break;
          if (top->prec > prec || (top->prec == prec && !right)) {
            if (reduce(p)) return p->err;
          } else {
            break;
          }
        }
        if (push_op(p, (pop){op, prec, t.lo, t.hi, t.start, t.end})) return p->err;
        expect_operand = 1;
      } else if (t.kind == TK_RP) {
        while (p->nops && p->ops[p->nops - 1].op >= 0)
          if (reduce(p)) return p->err;
        if (!p->nops) return perr(p, ENG_EPARSE, t.start, "unmatched ')'", NULL);
        p->nops--;
        p->parens--;
      } else if (t.kind == TK_EOF) {
        while (p->nops && p->ops[p->nops - 1].op >= 0)
          if (reduce(p)) return p->err;
        if (p->nops) return perr(p, ENG_EPARSE, p->ops[p->nops - 1].start, "missing ')' for this '('", NULL);
        return 0;
      } else {
        return perr(p, ENG_EPARSE, t.start, "expected operator, ')' or end of input before '%s'",
                    tok_text(p, t.start, t.end, tb, sizeof tb));
      }
    }
    prev_start = t.start;
    prev_end = t.end;
    have_prev = 1;
  }
}

int eng_ltl_parse(const char *text, size_t len, eng_ltl_formula **out, eng_ltl_diag *d) {
  if (d) memset(d, 0, sizeof *d);
  if (!out || (!text && len)) return ENG_EINVAL;
  *out = NULL;
  eng_ltl_formula *f = calloc(1, sizeof *f);
  if (!f || eng__ltl_store_init(&f->s)) {
    free(f);
    eng__ltl_diag_set(d, ENG_ENOMEM, NULL, 0, "out of memory");
    return ENG_ENOMEM;
  }
  parser p = {.lx = {.src = text ? text : "", .len = len}, .s = &f->s, .d = d};
  int rc = run(&p);
  if (rc == 0) f->root = p.vals[0];
  free(p.lx.buf);
  free(p.ops);
  free(p.vals);
  if (rc) {
    eng_ltl_formula_free(f);
    return rc;
  }
  *out = f;
  return 0;
}

void eng_ltl_formula_free(eng_ltl_formula *f) {
  if (!f) return;
  eng__ltl_store_free(&f->s);
  free(f);
}

size_t eng_ltl_atom_count(const eng_ltl_formula *f) { return f ? f->s.natoms : 0; }

int eng_ltl_atom_get(const eng_ltl_formula *f, size_t i, eng_ltl_atom *out) {
  if (!f || !out || i >= f->s.natoms) return ENG_EINVAL;
  out->name = f->s.atoms[i].name;
  out->cmp = f->s.atoms[i].cmp;
  out->value = f->s.atoms[i].value;
  return 0;
}

int eng_ltl_cmp_eval(eng_ltl_cmp cmp, double x, double v) {
  switch (cmp) {
  case ENG_LTL_CMP_LT: return x < v;
  case ENG_LTL_CMP_LE: return x <= v;
  case ENG_LTL_CMP_GT: return x > v;
  case ENG_LTL_CMP_GE: return x >= v;
  case ENG_LTL_CMP_EQ: return x == v;
  case ENG_LTL_CMP_NE: return x != v;
  default: return x != 0;
  }
}
