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
};

/* A temporary workspace that starts on the stack, so small inputs allocate
 * nothing; release it with ENG__SEQ_WS_FREE. */
#define ENG__SEQ_WS_STACK_BYTES 4096
#define ENG__SEQ_WS_STACK(name)                                           \
  _Alignas(64) unsigned char name##_mem_[ENG__SEQ_WS_STACK_BYTES];       \
  eng_seq_ws name = {name##_mem_, ENG__SEQ_WS_STACK_BYTES, 0}
#define ENG__SEQ_WS_FREE(name)                                            \
  do {                                                                    \
    if ((name).heap)                                                      \
      free((name).buf);                                                   \
  } while (0)

/* Returns at least nbytes of workspace memory (64-byte aligned), growing it when
 * needed; NULL when out of memory. Previous contents are not kept. */
void *eng__seq_ws_reserve(eng_seq_ws *ws, size_t nbytes);

/* 0 when s is a usable sequence, ENG_EINVAL otherwise. */
int eng__seq_check(const eng_symbols *s);

/* Symbol i of s widened to 32 bits. */
static inline uint32_t eng__seq_at(const eng_symbols *s, size_t i)
{
  return s->type == ENG_SYM_U8 ? ((const unsigned char *)s->data)[i]
                               : ((const uint32_t *)s->data)[i];
}

/* Bit-parallel pattern tables: the pattern's distinct symbols get ids 1..nsym,
 * every other symbol id 0. peq[id * W + w] has bit r set when pattern row
 * 64 * w + r holds symbol id (row 0 of the table stays all zero). tid[j] is the id
 * of text symbol j. */
typedef struct eng__seq_prep {
  uint64_t *peq;
  uint32_t *tid;
  size_t W;    /* 64-bit words per column: ceil(m / 64) */
  size_t m, n; /* pattern and text lengths */
  size_t nsym;
} eng__seq_prep;

/* Builds the tables for pattern p and text t inside ws (extra bytes past the
 * tables are reserved for the caller: *extra points at them, 64-byte aligned).
 * Errors: ENG_ENOMEM. p->n must be > 0. */
int eng__seq_prepare(eng_seq_ws *ws, const eng_symbols *p, const eng_symbols *t,
                     size_t extra_bytes, eng__seq_prep *pr, void **extra);

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

#endif
