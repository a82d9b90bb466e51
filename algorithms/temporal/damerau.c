/* damerau.c: optimal string alignment distance (restricted Damerau-Levenshtein), bit-parallel (Hyyro 2003). */
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <x86intrin.h>
#endif

#include "seq_internal.h"

/* Hyyro (2003), "A bit-vector algorithm for computing Levenshtein and Damerau edit
 * distances": Myers' column step with D0 |= TR, where
 * TR = ((~D0_prev & PM_j) << 1) & PM_{j-1} marks rows where transposing the last
 * two symbols gives a zero diagonal difference. Several words form one big integer:
 * the addition, the horizontal shifts and TR's shift carry across words. The whole
 * matrix is computed (no band), so the last-row bound score - columns_left > k
 * is exact and ends the threshold form early. */
static size_t osa_prep(const eng__seq_prep *pr, size_t k, uint64_t *vp, uint64_t *vn,
                       uint64_t *d0)
{
  size_t W = pr->W, n = pr->n, m = pr->m;
  const uint64_t *peq = pr->peq;
  const uint32_t *tid = pr->tid;
  size_t lastw = W - 1;
  uint64_t hb = (uint64_t)1 << ((m - 1) % 64);
  size_t score = m;
  for (size_t w = 0; w < W; w++) {
    vp[w] = ~(uint64_t)0;
    vn[w] = 0;
    d0[w] = 0;
  }
  const uint64_t *old = peq; /* row 0: no previous symbol, no transposition */
  if (W == 1) {
    uint64_t VP = ~(uint64_t)0, VN = 0, D0 = 0, pmold = 0;
    for (size_t j = 0; j < n; j++) {
      uint64_t pm = peq[tid[j]];
      uint64_t tr = (((~D0) & pm) << 1) & pmold;
      D0 = (((pm & VP) + VP) ^ VP) | pm | VN | tr;
      uint64_t hp = VN | ~(D0 | VP), hn = D0 & VP;
      score += (hp & hb) != 0;
      score -= (hn & hb) != 0;
      hp = (hp << 1) | 1;
      hn <<= 1;
      VP = hn | ~(D0 | hp);
      VN = hp & D0;
      pmold = pm;
      if (score > k + (n - 1 - j))
        return k + 1;
    }
    return score;
  }
  for (size_t j = 0; j < n; j++) {
    const uint64_t *eq = peq + (size_t)tid[j] * pr->stride;
    unsigned char carry = 0;
    uint64_t hp_in = 1, hn_in = 0, tr_in = 0;
    for (size_t w = 0; w < W; w++) {
      uint64_t pm = eq[w], VP = vp[w], VN = vn[w], D0 = d0[w];
      uint64_t nd = (~D0) & pm;
      uint64_t tr = ((nd << 1) | tr_in) & old[w];
      tr_in = nd >> 63;
      uint64_t x = eng__add_carry(pm & VP, VP, &carry);
      D0 = (x ^ VP) | pm | VN | tr;
      uint64_t hp = VN | ~(D0 | VP), hn = D0 & VP;
      if (w == lastw) {
        score += (hp & hb) != 0;
        score -= (hn & hb) != 0;
      }
      uint64_t hpo = hp >> 63, hno = hn >> 63;
      hp = (hp << 1) | hp_in;
      hn = (hn << 1) | hn_in;
      hp_in = hpo;
      hn_in = hno;
      vp[w] = hn | ~(D0 | hp);
      vn[w] = hp & D0;
      d0[w] = D0;
    }
    old = eq;
    if (score > k + (n - 1 - j))
      return k + 1;
  }
  return score;
}

static int osa_run(eng_seq_ws *ws, const eng_symbols *p, const eng_symbols *t, size_t k,
                   size_t *dist)
{
  eng__seq_prep pr;
  void *extra;
  size_t W = (p->n + 63) / 64;
  int rc = eng__seq_prepare(ws, p, t, 3 * W * 8, &pr, &extra);
  if (rc)
    return rc;
  uint64_t *vp = extra;
  size_t r = osa_prep(&pr, k, vp, vp + W, vp + 2 * W);
  *dist = r > k ? k + 1 : r;
  return r > k ? ENG_ECUTOFF : 0;
}

ENG_EXTERN int eng_osa(const eng_symbols *a, const eng_symbols *b, size_t max,
                       eng_seq_ws *ws, size_t *dist)
{
  if (!dist || eng__seq_check(a) || eng__seq_check(b))
    return ENG_EINVAL;
  const eng_symbols *p = a, *t = b;
  eng__seq_order(&p, &t);
  if (max > p->n + t->n)
    max = p->n + t->n; /* no threshold; keeps max + columns_left from overflowing */
  if (p->n == 0) {
    *dist = t->n > max ? max + 1 : t->n;
    return t->n > max ? ENG_ECUTOFF : 0;
  }
  if (t->n - p->n > max) {
    *dist = max + 1;
    return ENG_ECUTOFF;
  }
  if (ws)
    return osa_run(ws, p, t, max, dist);
  /* Small inputs: a stack workspace avoids a malloc per call. */
  ENG__SEQ_WS_STACK(tmp);
  int rc = osa_run(&tmp, p, t, max, dist);
  ENG__SEQ_WS_FREE(tmp);
  return rc;
}

ENG_EXTERN int eng_osa_distance(const unsigned char *a, size_t na, const unsigned char *b,
                                size_t nb, size_t *dist)
{
  eng_symbols sa = {a, na, ENG_SYM_U8}, sb = {b, nb, ENG_SYM_U8};
  return eng_osa(&sa, &sb, ENG_SEQ_NO_MAX, NULL, dist);
}
