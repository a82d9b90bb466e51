/* seq_internal.h: workspace and pattern tables shared by the sequence kernels. */
#ifndef ENGINE_SEQ_INTERNAL_H
#define ENGINE_SEQ_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#if defined(__x86_64__)
#include <x86intrin.h>
#endif

#include "engine/sequence.h"

struct eng_seq_ws {
  unsigned char *buf; /* 64-byte aligned */
  size_t cap;
  int heap; /* buf came from the heap (else: a caller's stack buffer) */
  int simd; /* ENG_SEQ_SIMD_* cap set by eng_seq_ws_set_simd */
};

/* A temporary workspace that starts on the stack, so small inputs allocate
 * nothing; release it with ENG__SEQ_WS_FREE. */
#define ENG__SEQ_WS_STACK_BYTES 4096
#define ENG__SEQ_WS_STACK(name)                                           \
  _Alignas(64) unsigned char name##_mem_[ENG__SEQ_WS_STACK_BYTES];       \
  eng_seq_ws name = {name##_mem_, ENG__SEQ_WS_STACK_BYTES, 0, ENG_SEQ_SIMD_AUTO}
#define ENG__SEQ_WS_FREE(name)                                            \
  do {                                                                    \
    if ((name).heap)                                                      \
      free((name).buf);                                                   \
  } while (0)

/* Returns at least nbytes of workspace memory (64-byte aligned), growing it when
 * needed; NULL when out of memory. Previous contents are not kept. */
void *eng__seq_ws_reserve(eng_seq_ws *ws, size_t nbytes);


/* The 512-bit kernels are compiled for these extensions only, and called only
 * after eng__seq_simd has checked the CPU for all of them. */
#if defined(__x86_64__) && defined(__GNUC__)
#define ENG__SEQ_HAVE_AVX512 1
#define ENG__SEQ_AVX512                                                                   \
  __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx512vbmi2,avx512bitalg,popcnt,bmi,bmi2")))
#else
#define ENG__SEQ_HAVE_AVX512 0
#endif

/* What the CPU running us offers (every extension the 512-bit kernels use). */
static inline int eng__seq_cpu_simd(void)
{
#if ENG__SEQ_HAVE_AVX512
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512vbmi2") && __builtin_cpu_supports("avx512bitalg") &&
      __builtin_cpu_supports("popcnt") &&
      __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2"))
    return ENG_SEQ_SIMD_AVX512;
#endif
  return ENG_SEQ_SIMD_SCALAR;
}

/* The instruction set a call with ws (NULL: none given) uses: ENG_SEQ_SIMD_SCALAR
 * or ENG_SEQ_SIMD_AVX512 (see eng_seq_ws_set_simd). Inline: short inputs take
 * nanoseconds, and this runs on every call. */
static inline int eng__seq_simd(const eng_seq_ws *ws)
{
  int cpu = eng__seq_cpu_simd();
  if (ws && ws->simd != ENG_SEQ_SIMD_AUTO && ws->simd < cpu)
    return ws->simd;
  return cpu;
}

/* Patterns of more than this many 64-bit words use the 512-bit kernels when
 * allowed; peq rows of such patterns are padded to whole 512-bit blocks. */
#define ENG__SEQ_AVX512_MIN_WORDS 4

/* 0 when s is a usable sequence, ENG_EINVAL otherwise (inline: it runs on every
 * call, and short inputs take nanoseconds). */
static inline int eng__seq_check(const eng_symbols *s)
{
  if (!s || (s->type != ENG_SYM_U8 && s->type != ENG_SYM_U32))
    return ENG_EINVAL;
  if (!s->data && s->n > 0)
    return ENG_EINVAL;
  if (s->n > SIZE_MAX / 64)
    return ENG_EINVAL;
  return 0;
}

/* Symbol i of s widened to 32 bits. */
static inline uint32_t eng__seq_at(const eng_symbols *s, size_t i)
{
  return s->type == ENG_SYM_U8 ? ((const unsigned char *)s->data)[i]
                               : ((const uint32_t *)s->data)[i];
}

/* Bit-parallel pattern tables: the pattern's distinct symbols get ids 1..nsym,
 * every other symbol id 0. peq[id * stride + w] has bit r set when pattern row
 * 64 * w + r holds symbol id (row 0 of the table stays all zero), so the words of
 * one text symbol's column are contiguous. tid[j] is the id of text symbol j.
 * Words w in [W, stride) and bits past row m - 1 are zero. */
typedef struct eng__seq_prep {
  uint64_t *peq;
  uint32_t *tid;
  size_t W;      /* 64-bit words per column: ceil(m / 64) */
  size_t stride; /* W, or W rounded up to whole 512-bit blocks when W > 4 */
  size_t m, n; /* pattern and text lengths */
  size_t nsym;
} eng__seq_prep;

/* Stride of the pattern tables for a pattern of W words (see eng__seq_prep). */
static inline size_t eng__seq_stride(size_t W)
{
  return W > ENG__SEQ_AVX512_MIN_WORDS ? (W + 7) & ~(size_t)7 : W;
}

/* Builds the tables for pattern p and text t inside ws (extra bytes past the
 * tables are reserved for the caller: *extra points at them, 64-byte aligned).
 * Errors: ENG_ENOMEM. p->n must be > 0. */
int eng__seq_prepare(eng_seq_ws *ws, const eng_symbols *p, const eng_symbols *t,
                     size_t extra_bytes, eng__seq_prep *pr, void **extra);

/* Length of the common prefix of a and b (*pre) and of the common suffix of what
 * remains (*suf), comparing eight bytes at a time. Both must have the same
 * type. Edit distance and LCS are unchanged by removing either (an optimal
 * alignment can always match them), so the kernels run on the middle only. */
void eng__seq_affix(const eng_symbols *a, const eng_symbols *b, size_t *pre, size_t *suf);

/* Orders a pair so that *p is the shorter (the pattern). */
static inline void eng__seq_order(const eng_symbols **p, const eng_symbols **t)
{
  if ((*p)->n > (*t)->n) {
    const eng_symbols *x = *p;
    *p = *t;
    *t = x;
  }
}

/* Hirschberg (1975) linear-space alignment on widened symbols. sub_cost 1 gives a
 * Levenshtein alignment; sub_cost 2 never substitutes (an LCS alignment). ops gets
 * na + nb bytes at most; returns the cost through *cost. Errors: ENG_ENOMEM. */
int eng__seq_hirschberg(eng_seq_ws *ws, const eng_symbols *a, const eng_symbols *b,
                        int sub_cost, char *ops, size_t *nops, size_t *cost);

/* x + y + *carry across 64-bit words: the carry chain of the bit-parallel
 * additions in Myers/Hyyro edit distance, Allison-Dix LCS and OSA. */
static inline uint64_t eng__add_carry(uint64_t x, uint64_t y, unsigned char *carry)
{
#if defined(__x86_64__)
  unsigned long long s;
  *carry = _addcarry_u64(*carry, x, y, &s);
  return s;
#else
  uint64_t s = x + y;
  unsigned char c1 = s < x;
  s += *carry;
  *carry = c1 | (s < *carry);
  return s;
#endif
}

#if ENG__SEQ_HAVE_AVX512
#include <immintrin.h>

/* vpternlogq immediates are the truth table of f(a, b, c): evaluate f on these. */
#define ENG__TL_A 0xF0
#define ENG__TL_B 0xCC
#define ENG__TL_C 0xAA

/* Finishes a 512-bit addition: s holds x + y lane by lane (eight independent 64-bit
 * sums); this adds the carries between lanes and *carry at lane 0, and leaves the
 * carry out of lane 7 in *carry. A lane generates a carry when its sum wrapped
 * (s < x) and propagates one when it is all ones; adding the generate bits
 * (shifted one lane up) to the propagate bits as 8-bit integers ripples every
 * carry through its run of propagating lanes in one scalar addition, so
 * (sum ^ propagate) marks the lanes that receive a carry (the carry-lookahead
 * used for multi-precision addition with AVX-512 mask registers). */
ENG__SEQ_AVX512 static inline __m512i eng__add512_carry(__m512i s, __m512i x, unsigned *carry)
{
  const __m512i ones = _mm512_set1_epi64(-1);
  unsigned g = _cvtmask8_u32(_mm512_cmplt_epu64_mask(s, x));
  unsigned p = _cvtmask8_u32(_mm512_cmpeq_epi64_mask(s, ones));
  unsigned c = ((g << 1) | *carry) + p;
  *carry = c >> 8;
  return _mm512_mask_sub_epi64(s, _cvtu32_mask8((c ^ p) & 0xFFu), s, ones);
}

/* eng__add512_carry with the carry arithmetic kept in mask registers: a shorter
 * chain from one block's sum to the next (no moves to scalar registers), worth it
 * when a column has few blocks and its latency is the bound; with many blocks the
 * scalar form issues faster. *carry is 0 or 1 (bit 0). */
ENG__SEQ_AVX512 static inline __m512i eng__add512_kcarry(__m512i s, __m512i x, __mmask16 *carry)
{
  const __m512i ones = _mm512_set1_epi64(-1);
  __mmask16 g = (__mmask16)_mm512_cmplt_epu64_mask(s, x);
  __mmask16 p = (__mmask16)_mm512_cmpeq_epi64_mask(s, ones);
  __mmask16 c = _kadd_mask16(_kor_mask16(_kshiftli_mask16(g, 1), *carry), p);
  *carry = _kshiftri_mask16(c, 8);
  return _mm512_mask_sub_epi64(s, (__mmask8)_kxor_mask16(c, p), s, ones);
}
#endif

#endif
