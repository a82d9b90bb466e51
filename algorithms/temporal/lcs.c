/* lcs.c: longest common subsequence length, bit-parallel (Allison and Dix 1986, Hyyro 2004), and recovery. */
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <x86intrin.h>
#endif
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "seq_internal.h"

/* Allison-Dix / Hyyro (2004): with V the column bit-vector (a 0 bit marks a row
 * where the LCS grows), each text symbol applies V' = (V + (V & M)) | (V & ~M);
 * the LCS length is the number of zero bits among the m pattern rows. */
static size_t lcs_word_u8(const unsigned char *p, size_t m, const unsigned char *t, size_t n)
{
  uint64_t mask = m == 64 ? ~(uint64_t)0 : (((uint64_t)1 << m) - 1);
#if defined(__SSE2__)
  if (m <= 16) {
    /* Short patterns: the match mask from one SSE2 compare, no table. */
    unsigned char buf[16] = {0};
    memcpy(buf, p, m);
    __m128i pat = _mm_loadu_si128((const __m128i *)buf);
    uint64_t v = ~(uint64_t)0;
    for (size_t j = 0; j < n; j++) {
      uint64_t eq = (uint64_t)(unsigned)_mm_movemask_epi8(
                        _mm_cmpeq_epi8(pat, _mm_set1_epi8((char)t[j]))) & mask;
      uint64_t u = v & eq;
      v = (v + u) | (v - u);
    }
    return (size_t)__builtin_popcountll(~v & mask);
  }
#endif
  uint64_t peq[256];
  for (size_t j = 0; j < n; j++)
    peq[t[j]] = 0;
  for (size_t i = 0; i < m; i++)
    peq[p[i]] = 0;
  for (size_t i = 0; i < m; i++)
    peq[p[i]] |= (uint64_t)1 << i;
  uint64_t v = ~(uint64_t)0;
  for (size_t j = 0; j < n; j++) {
    uint64_t u = v & peq[t[j]];
    v = (v + u) | (v - u);
  }
  return (size_t)__builtin_popcountll(~v & mask);
}

/* Patterns of 2..4 words: with W a compile-time constant the column stays in
 * registers instead of a memory round trip per word and column. */
static inline __attribute__((always_inline)) void lcs_fixed(const eng__seq_prep *pr,
                                                            uint64_t *out, const size_t W)
{
  uint64_t v[4];
  const uint64_t *peq = pr->peq;
  const uint32_t *tid = pr->tid;
  for (size_t w = 0; w < W; w++)
    v[w] = ~(uint64_t)0;
  for (size_t j = 0; j < pr->n; j++) {
    const uint64_t *eq = peq + (size_t)tid[j] * pr->stride;
    unsigned char carry = 0;
    for (size_t w = 0; w < W; w++) {
      uint64_t x = v[w], u = x & eq[w];
      v[w] = eng__add_carry(x, u, &carry) | (x - u);
    }
  }
  for (size_t w = 0; w < W; w++)
    out[w] = v[w];
}

#if ENG__SEQ_HAVE_AVX512
/* The Allison-Dix / Hyyro column over 512-row blocks: V + (V & M) as one
 * 512-bit integer per block, V & ~M folded into the final vpternlogq. Rows past
 * m - 1 have no match bits and stay all ones. Columns of many blocks issue as
 * fast as they can (eng__add512_carry); see lcs_fixed512 for few blocks. */
ENG__SEQ_AVX512 static void lcs_run512(const eng__seq_prep *pr, uint64_t *v)
{
  size_t S = pr->stride, nb = S / 8;
  const uint64_t *peq = pr->peq;
  const uint32_t *tid = pr->tid;
  for (size_t w = 0; w < S; w++)
    v[w] = ~(uint64_t)0;
  for (size_t j = 0; j < pr->n; j++) {
    const uint64_t *eq = peq + (size_t)tid[j] * S;
    unsigned carry = 0;
    for (size_t b = 0; b < nb; b++) {
      __m512i x = _mm512_load_si512(v + 8 * b), e = _mm512_load_si512(eq + 8 * b);
      __m512i sum = eng__add512_carry(_mm512_add_epi64(x, _mm512_and_si512(x, e)), x, &carry);
      /* sum | (x & ~e) */
      _mm512_store_si512(v + 8 * b, _mm512_ternarylogic_epi64(
                                        sum, x, e, (ENG__TL_A | (ENG__TL_B & ~ENG__TL_C)) & 0xFF));
    }
  }
}

/* Columns of 1..4 blocks: a column's latency is the bound, so the column stays in
 * registers (NB a compile-time constant) and the carries in mask registers. */
ENG__SEQ_AVX512 static inline __attribute__((always_inline)) void
lcs_fixed512(const eng__seq_prep *pr, uint64_t *out, const size_t NB)
{
  size_t S = pr->stride;
  const uint64_t *peq = pr->peq;
  const uint32_t *tid = pr->tid;
  __m512i v[4];
  for (size_t b = 0; b < NB; b++)
    v[b] = _mm512_set1_epi64(-1);
  for (size_t j = 0; j < pr->n; j++) {
    const uint64_t *eq = peq + (size_t)tid[j] * S;
    __mmask16 carry = 0;
    for (size_t b = 0; b < NB; b++) {
      __m512i x = v[b], e = _mm512_load_si512(eq + 8 * b);
      __m512i sum = eng__add512_kcarry(_mm512_add_epi64(x, _mm512_and_si512(x, e)), x, &carry);
      v[b] = _mm512_ternarylogic_epi64(sum, x, e, (ENG__TL_A | (ENG__TL_B & ~ENG__TL_C)) & 0xFF);
    }
  }
  for (size_t b = 0; b < NB; b++)
    _mm512_store_si512(out + 8 * b, v[b]);
}

ENG__SEQ_AVX512 static void lcs_wide(const eng__seq_prep *pr, uint64_t *v)
{
  switch (pr->stride / 8) {
  case 1:
    lcs_fixed512(pr, v, 1);
    break;
  case 2:
    lcs_fixed512(pr, v, 2);
    break;
  case 3:
    lcs_fixed512(pr, v, 3);
    break;
  case 4:
    lcs_fixed512(pr, v, 4);
    break;
  default:
    lcs_run512(pr, v);
    break;
  }
}
#endif

static size_t lcs_prep(const eng__seq_prep *pr, uint64_t *v, int wide)
{
  size_t W = pr->W, n = pr->n, m = pr->m;
  const uint64_t *peq = pr->peq;
  const uint32_t *tid = pr->tid;
#if ENG__SEQ_HAVE_AVX512
  if (wide)
    lcs_wide(pr, v);
  else
#else
  (void)wide;
#endif
  if (W == 1) {
    uint64_t x = ~(uint64_t)0;
    for (size_t j = 0; j < n; j++) {
      uint64_t u = x & peq[tid[j]];
      x = (x + u) | (x - u);
    }
    v[0] = x;
  } else if (W == 2) {
    lcs_fixed(pr, v, 2);
  } else if (W == 3) {
    lcs_fixed(pr, v, 3);
  } else if (W == 4) {
    lcs_fixed(pr, v, 4);
  } else {
    for (size_t w = 0; w < W; w++)
      v[w] = ~(uint64_t)0;
    for (size_t j = 0; j < n; j++) {
      const uint64_t *eq = peq + (size_t)tid[j] * pr->stride;
      unsigned char carry = 0;
      for (size_t w = 0; w < W; w++) {
        uint64_t x = v[w], u = x & eq[w];
        v[w] = eng__add_carry(x, u, &carry) | (x - u);
      }
    }
  }
  size_t zeros = 0;
  for (size_t w = 0; w + 1 < W; w++)
    zeros += (size_t)__builtin_popcountll(~v[w]);
  size_t r = m - 64 * (W - 1);
  uint64_t mask = r == 64 ? ~(uint64_t)0 : (((uint64_t)1 << r) - 1);
  zeros += (size_t)__builtin_popcountll(~v[W - 1] & mask);
  return zeros;
}

static int lcs_run(eng_seq_ws *ws, const eng_symbols *p, const eng_symbols *t, size_t *len)
{
  eng__seq_prep pr;
  void *extra;
  size_t W = (p->n + 63) / 64, S = eng__seq_stride(W);
  int rc = eng__seq_prepare(ws, p, t, S * 8, &pr, &extra);
  if (rc)
    return rc;
  *len = lcs_prep(&pr, extra,
                  W > ENG__SEQ_AVX512_MIN_WORDS && eng__seq_simd(ws) == ENG_SEQ_SIMD_AVX512);
  return 0;
}

ENG_EXTERN int eng_lcs(const eng_symbols *a, const eng_symbols *b, eng_seq_ws *ws,
                       size_t *len)
{
  if (!len || eng__seq_check(a) || eng__seq_check(b))
    return ENG_EINVAL;
  const eng_symbols *p = a, *t = b;
  eng__seq_order(&p, &t);
  if (p->n == 0) {
    *len = 0;
    return 0;
  }
  if (p->n <= 64 && p->type == ENG_SYM_U8 && t->type == ENG_SYM_U8) {
    *len = lcs_word_u8(p->data, p->n, t->data, t->n);
    return 0;
  }
  if (ws)
    return lcs_run(ws, p, t, len);
  ENG__SEQ_WS_STACK(tmp);
  int rc = lcs_run(&tmp, p, t, len);
  ENG__SEQ_WS_FREE(tmp);
  return rc;
}

ENG_EXTERN int eng_lcs_length(const unsigned char *a, size_t na, const unsigned char *b,
                              size_t nb, size_t *len)
{
  eng_symbols sa = {a, na, ENG_SYM_U8}, sb = {b, nb, ENG_SYM_U8};
  return eng_lcs(&sa, &sb, NULL, len);
}

ENG_EXTERN int eng_lcs_length_u32(const uint32_t *a, size_t na, const uint32_t *b, size_t nb,
                                  size_t *len)
{
  eng_symbols sa = {a, na, ENG_SYM_U32}, sb = {b, nb, ENG_SYM_U32};
  return eng_lcs(&sa, &sb, NULL, len);
}

static int lcs_seq_run(eng_seq_ws *ws, const eng_symbols *a, const eng_symbols *b,
                       size_t *ia, size_t *ib, size_t *len)
{
  /* The op string is its own allocation: Hirschberg's rows take the workspace. */
  size_t nops_max = a->n + b->n;
  char *ops = malloc(nops_max ? nops_max : 1);
  if (!ops)
    return ENG_ENOMEM;
  size_t nops, cost;
  int rc = eng__seq_hirschberg(ws, a, b, 2, ops, &nops, &cost);
  if (!rc) {
    size_t i = 0, j = 0, k = 0;
    for (size_t q = 0; q < nops; q++) {
      switch (ops[q]) {
      case ENG_EDIT_MATCH:
        if (ia)
          ia[k] = i;
        if (ib)
          ib[k] = j;
        k++;
        i++;
        j++;
        break;
      case ENG_EDIT_DEL:
        i++;
        break;
      default:
        j++;
        break;
      }
    }
    *len = k;
  }
  free(ops);
  return rc;
}

ENG_EXTERN int eng_lcs_sequence(const eng_symbols *a, const eng_symbols *b, eng_seq_ws *ws,
                                size_t *ia, size_t *ib, size_t *len)
{
  if (!len || eng__seq_check(a) || eng__seq_check(b))
    return ENG_EINVAL;
  if (ws)
    return lcs_seq_run(ws, a, b, ia, ib, len);
  ENG__SEQ_WS_STACK(tmp);
  int rc = lcs_seq_run(&tmp, a, b, ia, ib, len);
  ENG__SEQ_WS_FREE(tmp);
  return rc;
}
