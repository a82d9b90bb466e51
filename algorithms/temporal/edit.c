/* edit.c: Levenshtein distance, bit-parallel (Myers 1999, Hyyro 2003) with a banded threshold. */
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <x86intrin.h>
#endif
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "seq_internal.h"

/* One column of Myers' algorithm for a pattern of at most 64 rows whose last row
 * is bit hb; global distance, so the top boundary always rises by one (Myers 1999,
 * Hyyro 2003 formulation). */
#define LEV_WORD_STEP(EQ)                                  \
  do {                                                     \
    uint64_t eq_ = (EQ);                                   \
    uint64_t xv_ = eq_ | vn;                               \
    uint64_t xh_ = (((eq_ & vp) + vp) ^ vp) | eq_;         \
    uint64_t hp_ = vn | ~(xh_ | vp);                       \
    uint64_t hn_ = vp & xh_;                               \
    score += (hp_ & hb) != 0;                              \
    score -= (hn_ & hb) != 0;                              \
    hp_ = (hp_ << 1) | 1;                                  \
    hn_ <<= 1;                                             \
    vp = hn_ | ~(xv_ | hp_);                               \
    vn = hp_ & xv_;                                        \
  } while (0)

/* Pattern p (1..64 bytes) against text t; returns the distance, or k + 1 as soon
 * as the last row proves it exceeds k (a cell of row m can fall by at most one per
 * column, so score - columns_left > k is final). */
static size_t lev_word_u8(const unsigned char *p, size_t m, const unsigned char *t, size_t n,
                          size_t k)
{
#if defined(__SSE2__)
  if (m <= 16) {
    /* Short patterns: one SSE2 byte compare gives the match mask directly, with no
     * table to build (the per-call set-up dominates at these lengths). */
    unsigned char buf[16] = {0};
    memcpy(buf, p, m);
    __m128i pat = _mm_loadu_si128((const __m128i *)buf);
    uint64_t live = ((uint64_t)1 << m) - 1; /* padding lanes never match */
    uint64_t vp = ~(uint64_t)0, vn = 0, hb = (uint64_t)1 << (m - 1);
    size_t score = m;
    for (size_t j = 0; j < n; j++) {
      LEV_WORD_STEP((uint64_t)(unsigned)_mm_movemask_epi8(
                        _mm_cmpeq_epi8(pat, _mm_set1_epi8((char)t[j]))) & live);
      if (score > k + (n - 1 - j))
        return k + 1;
    }
    return score;
  }
#endif
  uint64_t peq[256];
  /* Only the entries the loops read are initialised: cheaper than clearing 2 KiB. */
  for (size_t j = 0; j < n; j++)
    peq[t[j]] = 0;
  for (size_t i = 0; i < m; i++)
    peq[p[i]] = 0;
  for (size_t i = 0; i < m; i++)
    peq[p[i]] |= (uint64_t)1 << i;
  uint64_t vp = ~(uint64_t)0, vn = 0, hb = (uint64_t)1 << (m - 1);
  size_t score = m;
  if (k >= n + m) {
    for (size_t j = 0; j < n; j++)
      LEV_WORD_STEP(peq[t[j]]);
    return score;
  }
  for (size_t j = 0; j < n; j++) {
    LEV_WORD_STEP(peq[t[j]]);
    if (score > k + (n - 1 - j))
      return k + 1;
  }
  return score > k ? k + 1 : score;
}

static size_t lev_word_ids(const uint64_t *peq, size_t m, const uint32_t *tid, size_t n,
                           size_t k)
{
  uint64_t vp = ~(uint64_t)0, vn = 0, hb = (uint64_t)1 << (m - 1);
  size_t score = m;
  for (size_t j = 0; j < n; j++) {
    LEV_WORD_STEP(peq[tid[j]]);
    if (score > k + (n - 1 - j))
      return k + 1;
  }
  return score > k ? k + 1 : score;
}

/* Advances words [fb, lb] of the column by one text symbol, the words forming one
 * big integer (Hyyro 2003): the addition carries across words and the horizontal
 * deltas shift across them; the top of word fb sees +1 (the first row of a global
 * alignment, or an over-estimate past the band's top edge, see lev_band). Only the
 * one-cycle carry links consecutive words, so words overlap in the pipeline,
 * unlike Myers' block chaining where each block waits for the previous one's
 * horizontal output. Returns the delta (+1, 0, -1) at bit `out` of word lb. */
static inline int lev_column(const uint64_t *eq, uint64_t *vp, uint64_t *vn, size_t fb,
                             size_t lb, unsigned out)
{
  unsigned char carry = 0;
  uint64_t hp_in = 1, hn_in = 0;
  for (size_t w = fb; w < lb; w++) {
    uint64_t pm = eq[w], p = vp[w], mm = vn[w];
    uint64_t d0 = (eng__add_carry(pm & p, p, &carry) ^ p) | pm | mm;
    uint64_t hp = mm | ~(d0 | p), hn = d0 & p;
    uint64_t hpo = hp >> 63, hno = hn >> 63;
    hp = (hp << 1) | hp_in;
    hn = (hn << 1) | hn_in;
    hp_in = hpo;
    hn_in = hno;
    vp[w] = hn | ~(d0 | hp);
    vn[w] = hp & d0;
  }
  uint64_t pm = eq[lb], p = vp[lb], mm = vn[lb];
  uint64_t d0 = (eng__add_carry(pm & p, p, &carry) ^ p) | pm | mm;
  uint64_t hp = mm | ~(d0 | p), hn = d0 & p;
  int delta = (int)((hp >> out) & 1) - (int)((hn >> out) & 1);
  hp = (hp << 1) | hp_in;
  hn = (hn << 1) | hn_in;
  vp[lb] = hn | ~(d0 | hp);
  vn[lb] = hp & d0;
  return delta;
}

/* The full matrix for patterns of 2..4 words with the column held in registers:
 * with W a compile-time constant the word loop unrolls and vp/vn never go through
 * memory, which matters when a column is only a few words long. */
static inline __attribute__((always_inline)) size_t lev_fixed(const eng__seq_prep *pr,
                                                              const size_t W)
{
  uint64_t vp[4], vn[4];
  size_t m = pr->m, n = pr->n;
  const uint64_t *peq = pr->peq;
  const uint32_t *tid = pr->tid;
  unsigned lastbit = (unsigned)((m - 1) % 64);
  for (size_t w = 0; w < W; w++) {
    vp[w] = ~(uint64_t)0;
    vn[w] = 0;
  }
  size_t score = m;
  for (size_t j = 0; j < n; j++) {
    const uint64_t *eq = peq + (size_t)tid[j] * W;
    unsigned char carry = 0;
    uint64_t hp_in = 1, hn_in = 0;
    for (size_t w = 0; w < W; w++) {
      uint64_t pm = eq[w], p = vp[w], mm = vn[w];
      uint64_t d0 = (eng__add_carry(pm & p, p, &carry) ^ p) | pm | mm;
      uint64_t hp = mm | ~(d0 | p), hn = d0 & p;
      if (w == W - 1)
        score += ((hp >> lastbit) & 1) - ((hn >> lastbit) & 1);
      uint64_t hpo = hp >> 63, hno = hn >> 63;
      hp = (hp << 1) | hp_in;
      hn = (hn << 1) | hn_in;
      hp_in = hpo;
      hn_in = hno;
      vp[w] = hn | ~(d0 | hp);
      vn[w] = hp & d0;
    }
  }
  return score;
}

/* Multi-word global distance restricted to a diagonal band (Ukkonen 1985 applied
 * to bit-vector columns, as in Hyyro 2003 and edlib): with d = n - m >= 0, a cell on
 * an alignment of cost <= k has row - column in [-(k + d) / 2, (k - d) / 2], so only
 * the words meeting that band are advanced. Rows entering the band take the values
 * "one more than the row above" and rows leaving it feed +1 at the top of the first
 * live word; both over-estimate, so every computed value is >= the true one and
 * equals it along any alignment of cost <= k. Returns the computed bottom right
 * cell: exact when <= k, otherwise an upper bound on the distance that is > k.
 * k >= n + m means no band. vp/vn: W words of scratch. */
static size_t lev_band(const eng__seq_prep *pr, size_t k, uint64_t *vp, uint64_t *vn)
{
  size_t m = pr->m, n = pr->n, W = pr->W;
  const uint64_t *peq = pr->peq;
  const uint32_t *tid = pr->tid;
  size_t lastb = W - 1;
  unsigned lastbit = (unsigned)((m - 1) % 64);
  if (k >= n + m) {
    if (W == 2)
      return lev_fixed(pr, 2);
    if (W == 3)
      return lev_fixed(pr, 3);
    if (W == 4)
      return lev_fixed(pr, 4);
    for (size_t b = 0; b < W; b++) {
      vp[b] = ~(uint64_t)0;
      vn[b] = 0;
    }
    size_t score = m;
    for (size_t j = 0; j < n; j++)
      score += lev_column(peq + (size_t)tid[j] * W, vp, vn, 0, lastb, lastbit);
    return score;
  }
  ptrdiff_t d = (ptrdiff_t)(n - m), kk = (ptrdiff_t)k;
  ptrdiff_t dmin = -((kk + d) / 2), dmax = (kk - d) / 2;
  size_t fb = 0, lb;
  ptrdiff_t bot = 1 + dmax;
  if (bot > (ptrdiff_t)m)
    bot = (ptrdiff_t)m;
  lb = (size_t)(bot - 1) / 64;
  for (size_t b = 0; b <= lb; b++) {
    vp[b] = ~(uint64_t)0;
    vn[b] = 0;
  }
  size_t score = lb == lastb ? m : 64 * (lb + 1);
  for (size_t j = 1; j <= n; j++) {
    ptrdiff_t top = (ptrdiff_t)j + dmin;
    bot = (ptrdiff_t)j + dmax;
    if (bot > (ptrdiff_t)m)
      bot = (ptrdiff_t)m;
    if (top < 1)
      top = 1;
    size_t nlb = (size_t)(bot - 1) / 64, nfb = (size_t)(top - 1) / 64;
    while (lb < nlb) {
      lb++;
      vp[lb] = ~(uint64_t)0;
      vn[lb] = 0;
      score += (lb == lastb ? m : 64 * (lb + 1)) - 64 * lb;
    }
    if (nfb > fb)
      fb = nfb;
    const uint64_t *eq = peq + (size_t)tid[j - 1] * W;
    score += lev_column(eq, vp, vn, fb, lb, lb == lastb ? lastbit : 63);
  }
  return score;
}

/* Distance of two non-empty sequences, pattern p no longer than text t. */
static int lev_run(eng_seq_ws *ws, const eng_symbols *p, const eng_symbols *t, size_t k,
                   size_t *dist)
{
  size_t m = p->n, n = t->n;
  if (n - m > k) {
    *dist = k + 1;
    return ENG_ECUTOFF;
  }
  if (m <= 64 && p->type == ENG_SYM_U8 && t->type == ENG_SYM_U8) {
    size_t r = lev_word_u8(p->data, m, t->data, n, k);
    *dist = r;
    return r > k ? ENG_ECUTOFF : 0;
  }
  eng__seq_prep pr;
  void *extra;
  size_t W = (m + 63) / 64;
  int rc = eng__seq_prepare(ws, p, t, 2 * W * 8, &pr, &extra);
  if (rc)
    return rc;
  if (m <= 64) {
    size_t r = lev_word_ids(pr.peq, m, pr.tid, n, k);
    *dist = r;
    return r > k ? ENG_ECUTOFF : 0;
  }
  uint64_t *vp = extra, *vn = vp + W;
  size_t full = n + m;
  if (k < full) {
    /* A threshold: one banded pass decides. */
    size_t r = lev_band(&pr, k, vp, vn);
    *dist = r > k ? k + 1 : r;
    return r > k ? ENG_ECUTOFF : 0;
  }
  /* No threshold: a narrow band first (similar strings finish there). A failed
   * pass still returns an upper bound r on the distance, so a second pass with
   * k = r is always exact; when r's band would cover half the pattern anyway, the
   * full matrix is cheaper. At most two passes beyond the narrow one. */
  size_t d = n - m, kk = d + 64;
  if (2 * (kk - d) < m) {
    size_t r = lev_band(&pr, kk, vp, vn);
    if (r <= kk) {
      *dist = r;
      return 0;
    }
    if (2 * (r - d) < m) {
      *dist = lev_band(&pr, r, vp, vn);
      return 0;
    }
  }
  *dist = lev_band(&pr, full, vp, vn);
  return 0;
}

static int lev_symbols(const eng_symbols *a, const eng_symbols *b, size_t k, eng_seq_ws *ws,
                       size_t *dist)
{
  const eng_symbols *p = a, *t = b;
  eng__seq_order(&p, &t);
  /* The distance never exceeds the longer length: a larger k is no threshold, and
   * clamping keeps k + columns_left from overflowing. */
  if (k > p->n + t->n)
    k = p->n + t->n;
  if (p->n == 0) {
    *dist = t->n > k ? k + 1 : t->n;
    return t->n > k ? ENG_ECUTOFF : 0;
  }
  if (ws || (p->n <= 64 && p->type == ENG_SYM_U8 && t->type == ENG_SYM_U8))
    return lev_run(ws, p, t, k, dist);
  ENG__SEQ_WS_STACK(tmp);
  int rc = lev_run(&tmp, p, t, k, dist);
  ENG__SEQ_WS_FREE(tmp);
  return rc;
}

ENG_EXTERN int eng_edit_distance(const eng_symbols *a, const eng_symbols *b, size_t max,
                                 eng_seq_ws *ws, size_t *dist)
{
  if (!dist || eng__seq_check(a) || eng__seq_check(b))
    return ENG_EINVAL;
  return lev_symbols(a, b, max, ws, dist);
}

ENG_EXTERN int eng_levenshtein(const unsigned char *a, size_t na, const unsigned char *b,
                               size_t nb, size_t *dist)
{
  eng_symbols sa = {a, na, ENG_SYM_U8}, sb = {b, nb, ENG_SYM_U8};
  return eng_edit_distance(&sa, &sb, ENG_SEQ_NO_MAX, NULL, dist);
}

ENG_EXTERN int eng_levenshtein_u32(const uint32_t *a, size_t na, const uint32_t *b,
                                   size_t nb, size_t *dist)
{
  eng_symbols sa = {a, na, ENG_SYM_U32}, sb = {b, nb, ENG_SYM_U32};
  return eng_edit_distance(&sa, &sb, ENG_SEQ_NO_MAX, NULL, dist);
}

ENG_EXTERN int eng_edit_align(const eng_symbols *a, const eng_symbols *b, eng_seq_ws *ws,
                              char *ops, size_t *nops, size_t *dist)
{
  if (!ops || !nops || eng__seq_check(a) || eng__seq_check(b))
    return ENG_EINVAL;
  size_t cost;
  int rc;
  if (ws) {
    rc = eng__seq_hirschberg(ws, a, b, 1, ops, nops, &cost);
  } else {
    ENG__SEQ_WS_STACK(tmp);
    rc = eng__seq_hirschberg(&tmp, a, b, 1, ops, nops, &cost);
    ENG__SEQ_WS_FREE(tmp);
  }
  if (!rc && dist)
    *dist = cost;
  return rc;
}

ENG_EXTERN int eng_edit_cigar(const char *ops, size_t nops, char *out, size_t cap,
                              size_t *outlen)
{
  if ((!ops && nops) || !out)
    return ENG_EINVAL;
  size_t len = 0;
  int fits = 1;
  for (size_t i = 0; i < nops;) {
    char c = ops[i];
    if (c != ENG_EDIT_MATCH && c != ENG_EDIT_SUB && c != ENG_EDIT_INS && c != ENG_EDIT_DEL)
      return ENG_EINVAL;
    size_t r = i;
    while (r < nops && ops[r] == c)
      r++;
    char num[24];
    size_t run = r - i, nd = 0;
    do {
      num[nd++] = (char)('0' + run % 10);
      run /= 10;
    } while (run);
    if (len + nd + 1 < cap) {
      for (size_t q = 0; q < nd; q++)
        out[len + q] = num[nd - 1 - q];
      out[len + nd] = c;
    } else {
      fits = 0;
    }
    len += nd + 1;
    i = r;
  }
  if (outlen)
    *outlen = len;
  if (!fits || len >= cap) {
    if (cap)
      out[0] = '\0';
    return ENG_ERANGE;
  }
  out[len] = '\0';
  return 0;
}
