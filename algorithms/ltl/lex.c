/* lex.c: the LTL tokenizer (Spot's spelling of operators, atoms, bounds and quoted comparisons). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ltl_internal.h"

static int is_atom_start(int c) { return (c >= 'a' && c <= 'z') || c == '_'; }
static int is_atom_char(int c) { return isalnum(c) || c == '_' || c == '.'; }

static int fail(ltl_lexer *lx, ltl_token *t, eng_ltl_diag *d, size_t off, const char *fmt, const char *arg) {
  t->kind = TK_ERROR;
  eng__ltl_diag_set(d, ENG_EPARSE, lx->src, off, fmt, arg ? arg : "");
  return TK_ERROR;
}

static void skip_ws(ltl_lexer *lx) {
  while (lx->pos < lx->len && isspace((unsigned char)lx->src[lx->pos])) lx->pos++;
}

/* A bound: a decimal integer below 2^31. */
static int read_uint(ltl_lexer *lx, uint32_t *out) {
  skip_ws(lx);
  size_t p = lx->pos;
  uint64_t v = 0;
  while (p < lx->len && isdigit((unsigned char)lx->src[p])) {
    v = v * 10 + (uint64_t)(lx->src[p] - '0');
    if (v > 0x7fffffffu) return -2;
    p++;
  }
  if (p == lx->pos) return -1;
  lx->pos = p;
  *out = (uint32_t)v;
  return 0;
}

/* [a,b], [a..b] or [a:b] after F, G or U. */
static int read_bounds(ltl_lexer *lx, ltl_token *t, eng_ltl_diag *d, const char *opname) {
  size_t open = lx->pos;
  lx->pos++; /* '[' */
  int r = read_uint(lx, &t->lo);
  if (r == -2) return fail(lx, t, d, lx->pos, "bound too large (limit 2147483647)", NULL);
  if (r) return fail(lx, t, d, lx->pos, "expected lower bound after '%s['", opname);
  skip_ws(lx);
  if (lx->pos < lx->len && lx->src[lx->pos] == ',') lx->pos++;
  else if (lx->pos < lx->len && lx->src[lx->pos] == ':') lx->pos++;
  else if (lx->pos + 1 < lx->len && lx->src[lx->pos] == '.' && lx->src[lx->pos + 1] == '.') lx->pos += 2;
  else return fail(lx, t, d, lx->pos, "expected ',' or '..' in the interval of '%s'", opname);
  r = read_uint(lx, &t->hi);
  if (r == -2) return fail(lx, t, d, lx->pos, "bound too large (limit 2147483647)", NULL);
  if (r) return fail(lx, t, d, lx->pos, "expected upper bound in the interval of '%s'", opname);
  skip_ws(lx);
  if (lx->pos >= lx->len || lx->src[lx->pos] != ']')
    return fail(lx, t, d, lx->pos, "expected ']' to close the interval of '%s'", opname);
  lx->pos++;
  if (t->lo > t->hi) return fail(lx, t, d, open, "empty interval: lower bound above upper bound", NULL);
  return 0;
}

static int buf_reserve(ltl_lexer *lx, size_t n) {
  if (n <= lx->bufcap) return 0;
  size_t nc = lx->bufcap ? lx->bufcap : 64;
  while (nc < n) nc *= 2;
  char *nb = realloc(lx->buf, nc);
  if (!nb) return ENG_ENOMEM;
  lx->buf = nb;
  lx->bufcap = nc;
  return 0;
}

/* A quoted atom "name op number" becomes a comparison over signal name. */
static void classify_quoted(ltl_token *t) {
  const char *s = t->text;
  size_t i = 0;
  while (isspace((unsigned char)s[i])) i++;
  size_t ns = i;
  if (!(isalpha((unsigned char)s[i]) || s[i] == '_')) return;
  while (is_atom_char((unsigned char)s[i])) i++;
  size_t ne = i;
  while (isspace((unsigned char)s[i])) i++;
  eng_ltl_cmp c;
  if (s[i] == '<' && s[i + 1] == '=') c = ENG_LTL_CMP_LE, i += 2;
  else if (s[i] == '>' && s[i + 1] == '=') c = ENG_LTL_CMP_GE, i += 2;
  else if (s[i] == '=' && s[i + 1] == '=') c = ENG_LTL_CMP_EQ, i += 2;
  else if (s[i] == '!' && s[i + 1] == '=') c = ENG_LTL_CMP_NE, i += 2;
  else if (s[i] == '<') c = ENG_LTL_CMP_LT, i += 1;
  else if (s[i] == '>') c = ENG_LTL_CMP_GT, i += 1;
  else if (s[i] == '=') c = ENG_LTL_CMP_EQ, i += 1;
  else return;
  char *end;
  double v = strtod(s + i, &end);
  if (end == s + i || !isfinite(v)) return;
  while (isspace((unsigned char)*end)) end++;
  if (*end) return;
  memmove(t->text, s + ns, ne - ns);
  t->text[ne - ns] = 0;
  t->textlen = ne - ns;
  t->cmp = c;
  t->value = v;
}

int eng__ltl_lex(ltl_lexer *lx, ltl_token *t, eng_ltl_diag *d) {
  memset(t, 0, sizeof *t);
  skip_ws(lx);
  const char *s = lx->src;
  size_t p = lx->pos, n = lx->len;
  t->start = p;
  if (p >= n) {
    t->kind = TK_EOF;
    t->end = p;
    return TK_EOF;
  }
  int c = (unsigned char)s[p];
#define AT(k) (p + (k) < n ? s[p + (k)] : 0)
#define TOK(kind_, len_) (t->kind = (kind_), lx->pos = p + (len_), t->end = lx->pos, t->kind)
  switch (c) {
  case '(': return TOK(TK_LP, 1);
  case ')': return TOK(TK_RP, 1);
  case '!': case '~': return TOK(TK_NOT, 1);
  case '&': return TOK(TK_AND, AT(1) == '&' ? 2 : 1);
  case '|': return TOK(TK_OR, AT(1) == '|' ? 2 : 1);
  case '^': return TOK(TK_XOR, 1);
  case '/':
    if (AT(1) == '\\') return TOK(TK_AND, 2);
    break;
  case '\\':
    if (AT(1) == '/') return TOK(TK_OR, 2);
    break;
  case '-':
    if (AT(1) == '>') return TOK(TK_IMPL, 2);
    break;
  case '=':
    if (AT(1) == '>') return TOK(TK_IMPL, 2);
    break;
  case '<':
    if (AT(1) == '-' && AT(2) == '>') return TOK(TK_EQUIV, 3);
    if (AT(1) == '=' && AT(2) == '>') return TOK(TK_EQUIV, 3);
    if (AT(1) == '>') return (t->op = LTL_F, TOK(TK_UNARY, 2));
    break;
  case '[':
    if (AT(1) == ']') return (t->op = LTL_G, TOK(TK_UNARY, 2));
    break;
  case '1': case '0':
    if (!isdigit((unsigned char)AT(1))) return TOK(c == '1' ? TK_TRUE : TK_FALSE, 1);
    break;
  case '"': {
    size_t q = p + 1, k = 0;
    for (;;) {
      if (q >= n) return fail(lx, t, d, p, "unterminated quoted atom", NULL);
      if (s[q] == '"') break;
      if (s[q] == '\\' && q + 1 < n && (s[q + 1] == '"' || s[q + 1] == '\\')) q++;
      if (buf_reserve(lx, k + 2)) {
        t->kind = TK_ERROR;
        eng__ltl_diag_set(d, ENG_ENOMEM, s, p, "out of memory");
        return TK_ERROR;
      }
      lx->buf[k++] = s[q++];
    }
    if (k == 0) return fail(lx, t, d, p, "empty quoted atom", NULL);
    if (buf_reserve(lx, k + 1)) {
      t->kind = TK_ERROR;
      eng__ltl_diag_set(d, ENG_ENOMEM, s, p, "out of memory");
      return TK_ERROR;
    }
    lx->buf[k] = 0;
    t->text = lx->buf;
    t->textlen = k;
    classify_quoted(t);
    return TOK(TK_ATOM, q + 1 - p);
  }
  default:
    break;
  }
  if (is_atom_start(c)) {
    size_t q = p + 1;
    while (q < n && is_atom_char((unsigned char)s[q])) q++;
    size_t len = q - p;
    if (len == 4 && memcmp(s + p, "true", 4) == 0) return TOK(TK_TRUE, 4);
    if (len == 5 && memcmp(s + p, "false", 5) == 0) return TOK(TK_FALSE, 5);
    if (len == 3 && memcmp(s + p, "xor", 3) == 0) return TOK(TK_XOR, 3);
    t->text = (char *)s + p; /* not NUL-terminated: textlen counts */
    t->textlen = len;
    return TOK(TK_ATOM, len);
  }
  if (c >= 'A' && c <= 'Z') {
    /* Operators are single capitals that may be glued ("GFa" is G F a). */
    static const char names[] = "XFGURWMYOHS";
    static const int ops[] = {LTL_X, LTL_F, LTL_G, LTL_U, LTL_R, LTL_W, LTL_M, LTL_Y, LTL_O, LTL_H, LTL_S};
    if (c == 'W' && AT(1) == 'X') {
      t->op = LTL_WX;
      return TOK(TK_UNARY, 2);
    }
    const char *hit = strchr(names, c);
    if (!hit) {
      char ch[2] = {(char)c, 0};
      return fail(lx, t, d, p, "unknown operator '%s'", ch);
    }
    t->op = ops[hit - names];
    lx->pos = p + 1;
    int binary = t->op == LTL_U || t->op == LTL_R || t->op == LTL_W || t->op == LTL_M || t->op == LTL_S;
    t->kind = binary ? TK_BINARY : TK_UNARY;
    if (lx->pos < n && s[lx->pos] == '[') {
      char nm[2] = {(char)c, 0};
      if (t->op == LTL_X) {
        if (lx->pos + 2 < n && s[lx->pos + 1] == '!' && s[lx->pos + 2] == ']') {
          lx->pos += 3;
        } else {
          return fail(lx, t, d, lx->pos, "expected '[!]' after 'X'", NULL);
        }
      } else if (t->op == LTL_F || t->op == LTL_G || t->op == LTL_U) {
        int k = t->kind;
        if (read_bounds(lx, t, d, nm) == TK_ERROR) return TK_ERROR;
        t->kind = k;
        t->op = t->op == LTL_F ? LTL_FB : t->op == LTL_G ? LTL_GB : LTL_UB;
      } else {
        return fail(lx, t, d, lx->pos, "operator '%s' takes no interval", nm);
      }
    }
    t->end = lx->pos;
    return t->kind;
  }
  if (isdigit(c)) return fail(lx, t, d, p, "unexpected number (only 0 and 1 are formulas)", NULL);
  char ch[8];
  if (c >= 0x20 && c < 0x7f) {
    ch[0] = (char)c;
    ch[1] = 0;
  } else {
    snprintf(ch, sizeof ch, "\\x%02x", c);
  }
  return fail(lx, t, d, p, "unexpected character '%s'", ch);
#undef AT
#undef TOK
}
