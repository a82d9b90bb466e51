/* seq_common.c: sequence workspaces, input checks and the bit-parallel pattern tables. */
#include <stdlib.h>
#include <string.h>

#include "seq_internal.h"

ENG_EXTERN eng_symbols eng_symbols_u8(const unsigned char *data, size_t n)
{
  eng_symbols s = {data, n, ENG_SYM_U8};
  return s;
}

ENG_EXTERN eng_symbols eng_symbols_u32(const uint32_t *data, size_t n)
{
  eng_symbols s = {data, n, ENG_SYM_U32};
  return s;
}

ENG_EXTERN int eng_seq_ws_create(eng_seq_ws **ws)
{
  if (!ws)
    return ENG_EINVAL;
  *ws = calloc(1, sizeof **ws);
  if (!*ws)
    return ENG_ENOMEM;
  (*ws)->simd = ENG_SEQ_SIMD_AUTO;
  return 0;
}

ENG_EXTERN int eng_seq_ws_set_simd(eng_seq_ws *ws, int level)
{
  if (!ws || (level != ENG_SEQ_SIMD_AUTO && level != ENG_SEQ_SIMD_SCALAR &&
              level != ENG_SEQ_SIMD_AVX512))
    return ENG_EINVAL;
  if (level != ENG_SEQ_SIMD_AUTO && level > eng__seq_cpu_simd())
    return ENG_ENOSYS;
  ws->simd = level;
  return 0;
}

ENG_EXTERN int eng_seq_ws_simd(const eng_seq_ws *ws)
{
  return eng__seq_simd(ws);
}

ENG_EXTERN void eng_seq_ws_destroy(eng_seq_ws *ws)
{
  if (!ws)
    return;
  if (ws->heap)
    free(ws->buf);
  free(ws);
}

ENG_EXTERN size_t eng_seq_ws_bytes(const eng_seq_ws *ws)
{
  return ws ? ws->cap : 0;
}

void *eng__seq_ws_reserve(eng_seq_ws *ws, size_t nbytes)
{
  if (nbytes <= ws->cap)
    return ws->buf;
  /* Grow geometrically so a sequence of growing inputs reallocates O(log) times. */
  size_t cap = ws->cap ? ws->cap : 4096;
  while (cap < nbytes) {
    if (cap > SIZE_MAX / 2)
      return NULL;
    cap *= 2;
  }
  void *p = aligned_alloc(64, cap);
  if (!p)
    return NULL;
  if (ws->heap)
    free(ws->buf);
  ws->buf = p;
  ws->cap = cap;
  ws->heap = 1;
  return p;
}

static size_t align64(size_t x) { return (x + 63) & ~(size_t)63; }

/* Knuth multiplicative hashing for the uint32_t symbol map. */
static inline uint32_t hash32(uint32_t x, unsigned shift)
{
  return (uint32_t)(x * 2654435769u) >> shift;
}

#if ENG__SEQ_HAVE_AVX512
/* The byte-pattern table by one 64-byte compare per pattern word and symbol:
 * the scalar fill's read-modify-write of a table word per pattern byte makes
 * each byte wait for the previous store of the same word. sym[id] is the byte
 * of id 1..nsym; row 0 and the padding words stay as the caller cleared them. */
ENG__SEQ_AVX512 static void peq_fill512(uint64_t *peq, size_t S, const unsigned char *ps,
                                        size_t m, const unsigned char *sym, size_t nsym)
{
  for (size_t w = 0; 64 * w < m; w++) {
    size_t len = m - 64 * w < 64 ? m - 64 * w : 64;
    __mmask64 live = _cvtu64_mask64(len == 64 ? ~(uint64_t)0 : (((uint64_t)1 << len) - 1));
    __m512i x = _mm512_maskz_loadu_epi8(live, ps + 64 * w);
    for (size_t id = 1; id <= nsym; id++)
      peq[id * S + w] =
          _cvtmask64_u64(_mm512_mask_cmpeq_epi8_mask(live, x, _mm512_set1_epi8((char)sym[id])));
  }
}
#endif

int eng__seq_prepare(eng_seq_ws *ws, const eng_symbols *p, const eng_symbols *t,
                     size_t extra_bytes, eng__seq_prep *pr, void **extra)
{
  size_t m = p->n, n = t->n, W = (m + 63) / 64, S = eng__seq_stride(W);
  pr->W = W;
  pr->stride = S;
  pr->m = m;
  pr->n = n;
  if (p->type == ENG_SYM_U8 && t->type == ENG_SYM_U8) {
    const unsigned char *ps = p->data, *ts = t->data;
    uint16_t map[256];
    unsigned char sym[257];
    memset(map, 0, sizeof map);
    size_t nsym = 0;
    for (size_t i = 0; i < m; i++)
      if (!map[ps[i]]) {
        map[ps[i]] = (uint16_t)++nsym;
        sym[nsym] = ps[i];
      }
    size_t peqb = align64((nsym + 1) * S * 8), tidb = align64(n * 4);
    unsigned char *base = eng__seq_ws_reserve(ws, peqb + tidb + extra_bytes);
    if (!base)
      return ENG_ENOMEM;
    pr->peq = (uint64_t *)base;
    pr->tid = (uint32_t *)(base + peqb);
    if (extra)
      *extra = base + peqb + tidb;
    memset(pr->peq, 0, (nsym + 1) * S * 8);
#if ENG__SEQ_HAVE_AVX512
    if (eng__seq_simd(ws) == ENG_SEQ_SIMD_AVX512)
      peq_fill512(pr->peq, S, ps, m, sym, nsym);
    else
#endif
      for (size_t i = 0; i < m; i++)
        pr->peq[(size_t)map[ps[i]] * S + i / 64] |= (uint64_t)1 << (i % 64);
    for (size_t j = 0; j < n; j++)
      pr->tid[j] = map[ts[j]];
    pr->nsym = nsym;
    return 0;
  }
  /* General symbols: an open-addressing table maps each distinct pattern symbol to
   * a compact id, so peq has one row per distinct symbol, not 2^32. */
  unsigned bits = 4;
  while (((size_t)1 << bits) < 2 * m)
    bits++;
  size_t hcap = (size_t)1 << bits;
  unsigned shift = 32 - bits;
  size_t hb = align64(hcap * 8);
  /* Upper bound on nsym is m; size peq for it. */
  size_t peqb = align64((m + 1) * S * 8), tidb = align64(n * 4);
  if (m + 1 > SIZE_MAX / 8 / (S ? S : 1))
    return ENG_ENOMEM;
  unsigned char *base = eng__seq_ws_reserve(ws, hb + peqb + tidb + extra_bytes);
  if (!base)
    return ENG_ENOMEM;
  uint32_t *hkey = (uint32_t *)base, *hval = hkey + hcap;
  memset(hval, 0, hcap * 4);
  pr->peq = (uint64_t *)(base + hb);
  pr->tid = (uint32_t *)(base + hb + peqb);
  if (extra)
    *extra = base + hb + peqb + tidb;
  size_t nsym = 0;
  for (size_t i = 0; i < m; i++) {
    uint32_t s = eng__seq_at(p, i), h = hash32(s, shift);
    while (hval[h] && hkey[h] != s)
      h = (h + 1) & (uint32_t)(hcap - 1);
    if (!hval[h]) {
      hkey[h] = s;
      hval[h] = (uint32_t)++nsym;
      memset(pr->peq + (size_t)nsym * S, 0, S * 8);
    }
  }
  memset(pr->peq, 0, S * 8);
  for (size_t i = 0; i < m; i++) {
    uint32_t s = eng__seq_at(p, i), h = hash32(s, shift);
    while (hkey[h] != s)
      h = (h + 1) & (uint32_t)(hcap - 1);
    pr->peq[(size_t)hval[h] * S + i / 64] |= (uint64_t)1 << (i % 64);
  }
  for (size_t j = 0; j < n; j++) {
    uint32_t s = eng__seq_at(t, j), h = hash32(s, shift);
    while (hval[h] && hkey[h] != s)
      h = (h + 1) & (uint32_t)(hcap - 1);
    pr->tid[j] = hval[h];
  }
  pr->nsym = nsym;
  return 0;
}

/* Index of the first differing byte among nbytes. Word loads go through memcpy
 * (any alignment); the byte index inside a word relies on little-endian order,
 * so other machines compare bytewise only. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SEQ_WORD_AFFIX 1
#else
#define SEQ_WORD_AFFIX 0
#endif
static size_t prefix_bytes(const unsigned char *a, const unsigned char *b, size_t nbytes)
{
  size_t i = 0;
  for (; SEQ_WORD_AFFIX && i + 8 <= nbytes; i += 8) {
    uint64_t x, y;
    memcpy(&x, a + i, 8);
    memcpy(&y, b + i, 8);
    if (x != y)
      return i + (size_t)__builtin_ctzll(x ^ y) / 8;
  }
  while (i < nbytes && a[i] == b[i])
    i++;
  return i;
}

/* The number of equal bytes ending at a[na - 1] and b[nb - 1], at most lim. */
static size_t suffix_bytes(const unsigned char *a, size_t na, const unsigned char *b, size_t nb,
                           size_t lim)
{
  size_t i = 0;
  for (; SEQ_WORD_AFFIX && i + 8 <= lim; i += 8) {
    uint64_t x, y;
    memcpy(&x, a + na - i - 8, 8);
    memcpy(&y, b + nb - i - 8, 8);
    if (x != y)
      return i + (size_t)__builtin_clzll(x ^ y) / 8;
  }
  while (i < lim && a[na - 1 - i] == b[nb - 1 - i])
    i++;
  return i;
}

void eng__seq_affix(const eng_symbols *a, const eng_symbols *b, size_t *pre, size_t *suf)
{
  size_t sz = a->type == ENG_SYM_U8 ? 1 : 4, lim = a->n < b->n ? a->n : b->n;
  const unsigned char *x = a->data, *y = b->data;
  if (!lim) {
    *pre = *suf = 0;
    return;
  }
  /* Bytes first, then whole symbols (a u32 symbol matches only if all 4 bytes do). */
  size_t p = prefix_bytes(x, y, lim * sz) / sz;
  size_t s = suffix_bytes(x, a->n * sz, y, b->n * sz, (lim - p) * sz) / sz;
  *pre = p;
  *suf = s;
}
