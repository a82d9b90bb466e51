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

/* What the CPU running us offers (every extension the 512-bit kernels use). */
static int cpu_simd(void)
{
#if ENG__SEQ_HAVE_AVX512
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512vbmi2") && __builtin_cpu_supports("popcnt") &&
      __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2"))
    return ENG_SEQ_SIMD_AVX512;
#endif
  return ENG_SEQ_SIMD_SCALAR;
}

int eng__seq_simd(const eng_seq_ws *ws)
{
  int cpu = cpu_simd();
  if (ws && ws->simd != ENG_SEQ_SIMD_AUTO && ws->simd < cpu)
    return ws->simd;
  return cpu;
}

ENG_EXTERN int eng_seq_ws_set_simd(eng_seq_ws *ws, int level)
{
  if (!ws || (level != ENG_SEQ_SIMD_AUTO && level != ENG_SEQ_SIMD_SCALAR &&
              level != ENG_SEQ_SIMD_AVX512))
    return ENG_EINVAL;
  if (level != ENG_SEQ_SIMD_AUTO && level > cpu_simd())
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

int eng__seq_check(const eng_symbols *s)
{
  if (!s || (s->type != ENG_SYM_U8 && s->type != ENG_SYM_U32))
    return ENG_EINVAL;
  if (!s->data && s->n > 0)
    return ENG_EINVAL;
  if (s->n > SIZE_MAX / 64)
    return ENG_EINVAL;
  return 0;
}

static size_t align64(size_t x) { return (x + 63) & ~(size_t)63; }

/* Knuth multiplicative hashing for the uint32_t symbol map. */
static inline uint32_t hash32(uint32_t x, unsigned shift)
{
  return (uint32_t)(x * 2654435769u) >> shift;
}

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
    memset(map, 0, sizeof map);
    size_t nsym = 0;
    for (size_t i = 0; i < m; i++)
      if (!map[ps[i]])
        map[ps[i]] = (uint16_t)++nsym;
    size_t peqb = align64((nsym + 1) * S * 8), tidb = align64(n * 4);
    unsigned char *base = eng__seq_ws_reserve(ws, peqb + tidb + extra_bytes);
    if (!base)
      return ENG_ENOMEM;
    pr->peq = (uint64_t *)base;
    pr->tid = (uint32_t *)(base + peqb);
    if (extra)
      *extra = base + peqb + tidb;
    memset(pr->peq, 0, (nsym + 1) * S * 8);
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
