/* seq_align.c: linear-space optimal alignment (Hirschberg 1975) for edit scripts and LCS recovery. */
#include <string.h>

#include "seq_internal.h"

typedef struct hb_ctx {
  const uint32_t *a, *b;
  size_t *f, *r; /* two rows of nb + 1 costs */
  unsigned sub;  /* substitution cost: 1 (Levenshtein) or 2 (indel only, LCS) */
  char *ops;
  size_t nops;
} hb_ctx;

static inline size_t min3(size_t x, size_t y, size_t z)
{
  size_t m = x < y ? x : y;
  return m < z ? m : z;
}

/* row[j] = cost of aligning a[0..la) with b[0..j), j = 0..lb (Wagner-Fischer). */
static void last_row(const hb_ctx *c, const uint32_t *a, size_t la, const uint32_t *b,
                     size_t lb, size_t *row)
{
  for (size_t j = 0; j <= lb; j++)
    row[j] = j;
  for (size_t i = 1; i <= la; i++) {
    size_t diag = row[0];
    row[0] = i;
    uint32_t ai = a[i - 1];
    for (size_t j = 1; j <= lb; j++) {
      size_t up = row[j];
      row[j] = min3(up + 1, row[j - 1] + 1, diag + (ai == b[j - 1] ? 0 : c->sub));
      diag = up;
    }
  }
}

/* row[j] = cost of aligning a[0..la) with the last j symbols of b, reading both
 * backwards. */
static void last_row_rev(const hb_ctx *c, const uint32_t *a, size_t la, const uint32_t *b,
                         size_t lb, size_t *row)
{
  for (size_t j = 0; j <= lb; j++)
    row[j] = j;
  for (size_t i = 1; i <= la; i++) {
    size_t diag = row[0];
    row[0] = i;
    uint32_t ai = a[la - i];
    for (size_t j = 1; j <= lb; j++) {
      size_t up = row[j];
      row[j] = min3(up + 1, row[j - 1] + 1, diag + (ai == b[lb - j] ? 0 : c->sub));
      diag = up;
    }
  }
}

static void emit(hb_ctx *c, char op, size_t count)
{
  memset(c->ops + c->nops, op, count);
  c->nops += count;
}

static void hb(hb_ctx *c, const uint32_t *a, size_t la, const uint32_t *b, size_t lb)
{
  if (la == 0) {
    emit(c, ENG_EDIT_INS, lb);
    return;
  }
  if (lb == 0) {
    emit(c, ENG_EDIT_DEL, la);
    return;
  }
  if (la == 1) {
    size_t j = 0;
    while (j < lb && b[j] != a[0])
      j++;
    if (j < lb) {
      emit(c, ENG_EDIT_INS, j);
      emit(c, ENG_EDIT_MATCH, 1);
      emit(c, ENG_EDIT_INS, lb - j - 1);
    } else if (c->sub == 1) {
      emit(c, ENG_EDIT_SUB, 1);
      emit(c, ENG_EDIT_INS, lb - 1);
    } else {
      emit(c, ENG_EDIT_DEL, 1);
      emit(c, ENG_EDIT_INS, lb);
    }
    return;
  }
  size_t mid = la / 2;
  last_row(c, a, mid, b, lb, c->f);
  last_row_rev(c, a + mid, la - mid, b, lb, c->r);
  size_t best = 0, bestv = SIZE_MAX;
  for (size_t j = 0; j <= lb; j++) {
    size_t v = c->f[j] + c->r[lb - j];
    if (v < bestv) {
      bestv = v;
      best = j;
    }
  }
  hb(c, a, mid, b, best);
  hb(c, a + mid, la - mid, b + best, lb - best);
}

int eng__seq_hirschberg(eng_seq_ws *ws, const eng_symbols *a, const eng_symbols *b,
                        int sub_cost, char *ops, size_t *nops, size_t *cost)
{
  size_t na = a->n, nb = b->n;
  size_t need = (na + nb) * 4 + 2 * (nb + 1) * sizeof(size_t) + 64;
  unsigned char *base = eng__seq_ws_reserve(ws, need);
  if (!base)
    return ENG_ENOMEM;
  size_t *f = (size_t *)base, *r = f + nb + 1;
  uint32_t *wa = (uint32_t *)(r + nb + 1), *wb = wa + na;
  for (size_t i = 0; i < na; i++)
    wa[i] = eng__seq_at(a, i);
  for (size_t j = 0; j < nb; j++)
    wb[j] = eng__seq_at(b, j);
  hb_ctx c = {wa, wb, f, r, (unsigned)sub_cost, ops, 0};
  hb(&c, wa, na, wb, nb);
  size_t k = 0;
  for (size_t i = 0; i < c.nops; i++)
    k += ops[i] == ENG_EDIT_MATCH ? 0 : ops[i] == ENG_EDIT_SUB ? (size_t)sub_cost : 1;
  *nops = c.nops;
  *cost = k;
  return 0;
}
