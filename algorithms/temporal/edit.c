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

/* One column of Myers' algorithm for a pattern of at most 64 rows; global
 * distance, so the top boundary always rises by one (Myers 1999, in Hyyro's 2003
 * formulation: D0 = ((Eq & VP) + VP) ^ VP | Eq | VN, HP = VN | ~(D0 | VP),
 * HN = D0 & VP). Written for a short chain from vp to vp' (seven operations): with
 * s = (Eq & VP) + VP, D0 | VP = s | VP | Eq | VN since (s ^ VP) | VP = s | VP, so
 * ~HP = (s | VP | Eq) & ~VN needs no D0; the shifted ~HP gets a 0 at row 0 (the
 * +1 of the top boundary). TRACK adds the delta at bit hb of the last row. */
#define LEV_WORD_STEP(EQ, TRACK)                           \
  do {                                                     \
    uint64_t eq_ = (EQ);                                   \
    uint64_t s_ = (eq_ & vp) + vp;                         \
    uint64_t d0_ = (s_ ^ vp) | eq_ | vn;                   \
    uint64_t nhp_ = (s_ | vp | eq_) & ~vn;                 \
    uint64_t hn_ = d0_ & vp;                               \
    if (TRACK) {                                           \
      score += (nhp_ & hb) == 0;                           \
      score -= (hn_ & hb) != 0;                            \
    }                                                      \
    nhp_ <<= 1;                                            \
    hn_ <<= 1;                                             \
    vp = hn_ | (nhp_ & ~d0_);                              \
    vn = d0_ & ~nhp_;                                      \
  } while (0)

/* The last column's vertical deltas give the distance: D[m][n] = n + the +1s
 * minus the -1s among the m rows, so no per-column bookkeeping is needed. */
static inline size_t lev_word_final(uint64_t vp, uint64_t vn, size_t m, size_t n)
{
  uint64_t mask = m == 64 ? ~(uint64_t)0 : (((uint64_t)1 << m) - 1);
  return n + (size_t)__builtin_popcountll(vp & mask) - (size_t)__builtin_popcountll(vn & mask);
}

/* Pattern p (1..64 bytes) against text t; returns the distance, or k + 1 as soon
 * as the last row proves it exceeds k (a cell of row m can fall by at most one per
 * column, so score - columns_left > k is final). */
static size_t lev_word_u8(const unsigned char *p, size_t m, const unsigned char *t, size_t n,
                          size_t k)
{
  uint64_t vp = ~(uint64_t)0, vn = 0, hb = (uint64_t)1 << (m - 1);
  size_t score = m;
#if defined(__SSE2__)
  if (m <= 16) {
    /* Short patterns: one SSE2 byte compare gives the match mask directly, with no
     * table to build (the per-call set-up dominates at these lengths). */
    unsigned char buf[16] = {0};
    memcpy(buf, p, m);
    __m128i pat = _mm_loadu_si128((const __m128i *)buf);
    uint64_t live = ((uint64_t)1 << m) - 1; /* padding lanes never match */
#define LEV_SSE_EQ(c)                                                                     \
  ((uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(pat, _mm_set1_epi8((char)(c)))) & live)
    if (k >= n + m) {
      for (size_t j = 0; j < n; j++)
        LEV_WORD_STEP(LEV_SSE_EQ(t[j]), 0);
      return lev_word_final(vp, vn, m, n);
    }
    for (size_t j = 0; j < n; j++) {
      LEV_WORD_STEP(LEV_SSE_EQ(t[j]), 1);
      if (score > k + (n - 1 - j))
        return k + 1;
    }
#undef LEV_SSE_EQ
    return score > k ? k + 1 : score;
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
  if (k >= n + m) {
    for (size_t j = 0; j < n; j++)
      LEV_WORD_STEP(peq[t[j]], 0);
    return lev_word_final(vp, vn, m, n);
  }
  for (size_t j = 0; j < n; j++) {
    LEV_WORD_STEP(peq[t[j]], 1);
    if (score > k + (n - 1 - j))
      return k + 1;
  }
  return score > k ? k + 1 : score;
}

/* Byte patterns of 65..128 rows: two words held in registers and a table of the
 * symbols that occur on the stack (only its used entries initialised), so a call
 * builds no id map, no text-id array and touches no workspace. Same column step
 * as LEV_WORD_STEP, written out for two words with the carry between them. */
#define LEV_TWO_WORDS(E0, E1)                                                             \
  do {                                                                                    \
    uint64_t e0_ = (E0), e1_ = (E1);                                                      \
    uint64_t s0_ = (e0_ & vp0) + vp0;                                                     \
    uint64_t s1_ = (e1_ & vp1) + vp1 + (s0_ < vp0);                                       \
    uint64_t d0_ = (s0_ ^ vp0) | e0_ | vn0, d1_ = (s1_ ^ vp1) | e1_ | vn1;                 \
    uint64_t nh0_ = (s0_ | vp0 | e0_) & ~vn0, hn0_ = d0_ & vp0;                           \
    uint64_t nh1_ = (s1_ | vp1 | e1_) & ~vn1, hn1_ = d1_ & vp1;                           \
    if (check)                                                                            \
      score += (size_t)(((nh1_ >> hbit) & 1) ^ 1) - (size_t)((hn1_ >> hbit) & 1);         \
    nh1_ = (nh1_ << 1) | (nh0_ >> 63);                                                    \
    hn1_ = (hn1_ << 1) | (hn0_ >> 63);                                                    \
    nh0_ <<= 1;                                                                           \
    hn0_ <<= 1;                                                                           \
    vp0 = hn0_ | (nh0_ & ~d0_);                                                           \
    vn0 = d0_ & ~nh0_;                                                                    \
    vp1 = hn1_ | (nh1_ & ~d1_);                                                           \
    vn1 = d1_ & ~nh1_;                                                                    \
  } while (0)

/* The distance from the last column of a two-word run (see lev_word_final). */
static inline size_t lev_two_final(uint64_t vp0, uint64_t vn0, uint64_t vp1, uint64_t vn1,
                                   size_t m, size_t n)
{
  uint64_t mask = m == 128 ? ~(uint64_t)0 : (((uint64_t)1 << (m - 64)) - 1);
  return n + (size_t)__builtin_popcountll(vp0) - (size_t)__builtin_popcountll(vn0) +
         (size_t)__builtin_popcountll(vp1 & mask) - (size_t)__builtin_popcountll(vn1 & mask);
}

static size_t lev_word2_u8(const unsigned char *p, size_t m, const unsigned char *t, size_t n,
                           size_t k)
{
  uint64_t peq[256][2];
  for (size_t j = 0; j < n; j++)
    peq[t[j]][0] = peq[t[j]][1] = 0;
  for (size_t i = 0; i < m; i++)
    peq[p[i]][0] = peq[p[i]][1] = 0;
  for (size_t i = 0; i < m; i++)
    peq[p[i]][i / 64] |= (uint64_t)1 << (i % 64);
  uint64_t vp0 = ~(uint64_t)0, vn0 = 0, vp1 = ~(uint64_t)0, vn1 = 0;
  unsigned hbit = (unsigned)(m - 65);
  size_t score = m;
  int check = k < n + m;
  for (size_t j = 0; j < n; j++) {
    LEV_TWO_WORDS(peq[t[j]][0], peq[t[j]][1]);
    if (check && score > k + (n - 1 - j))
      return k + 1;
  }
  if (!check)
    return lev_two_final(vp0, vn0, vp1, vn1, m, n);
  return score > k ? k + 1 : score;
}

#if ENG__SEQ_HAVE_AVX512
/* Bytes of x in reverse order (byte i moves to 63 - i). */
ENG__SEQ_AVX512 static inline __m512i rev_bytes512(__m512i x)
{
  const __m512i r = _mm512_broadcast_i32x4(
      _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
  x = _mm512_shuffle_epi8(x, r);
  return _mm512_shuffle_i64x2(x, x, _MM_SHUFFLE(0, 1, 2, 3));
}

/* x moved up by k bytes (1..15) across the whole register, zeros coming in. */
#define LEV_SHL_BYTES512(x, k)                                                           \
  _mm512_alignr_epi8((x), _mm512_alignr_epi64((x), _mm512_setzero_si512(), 6), 16 - (k))

/* min(0, the smallest inclusive prefix sum of the 64 signed bytes of e), for
 * bytes in [-2, 2] (Hillis-Steele scan). Saturating adds keep it exact: a partial
 * sum over fewer than 64 bytes lies in [-126, 126], and the full sums that
 * saturate at +127 are positive, so never the minimum. */
ENG__SEQ_AVX512 static inline int min_prefix512(__m512i e)
{
  const __m512i z = _mm512_setzero_si512();
  e = _mm512_adds_epi8(e, LEV_SHL_BYTES512(e, 1));
  e = _mm512_adds_epi8(e, LEV_SHL_BYTES512(e, 2));
  e = _mm512_adds_epi8(e, LEV_SHL_BYTES512(e, 4));
  e = _mm512_adds_epi8(e, LEV_SHL_BYTES512(e, 8));
  e = _mm512_adds_epi8(e, _mm512_alignr_epi64(e, z, 6));
  e = _mm512_adds_epi8(e, _mm512_alignr_epi64(e, z, 4));
  e = _mm512_min_epi8(e, z);
  __m256i y = _mm256_min_epi8(_mm512_castsi512_si256(e), _mm512_extracti64x4_epi64(e, 1));
  __m128i w = _mm_min_epi8(_mm256_castsi256_si128(y), _mm256_extracti128_si256(y, 1));
  w = _mm_min_epi8(w, _mm_srli_si128(w, 8));
  w = _mm_min_epi8(w, _mm_srli_si128(w, 4));
  w = _mm_min_epi8(w, _mm_srli_si128(w, 2));
  w = _mm_min_epi8(w, _mm_srli_si128(w, 1));
  return (int8_t)_mm_cvtsi128_si32(w);
}
#undef LEV_SHL_BYTES512

/* Vertical deltas (vp - vn) of a 64-row word as 64 signed bytes. */
ENG__SEQ_AVX512 static inline __m512i delta_bytes512(uint64_t vp, uint64_t vn)
{
  return _mm512_sub_epi8(_mm512_movm_epi8(_cvtu64_mask64(vn)),
                         _mm512_movm_epi8(_cvtu64_mask64(vp)));
}

/* Global distance of byte patterns of 1..128 rows (W words) with no threshold,
 * computed from both ends at once: the left half of the text runs forward
 * (pattern against t[0, h)) and the right half backward (reversed pattern against
 * t[h, n) read from its end), in the two 64-bit lanes of the same registers, so
 * the two column chains overlap and the chain is half as long. The halves meet at
 * column h (Hirschberg 1975): D(m, n) = min over rows i of F(i, h) + B(i, h), where
 * F(i, h) = h + P(i) sums the forward column's vertical deltas above row i and
 * B(i, h) = (n - h) + Q(m - i) those of the backward column (rows counted from the
 * bottom). Each column step is LEV_WORD_STEP on vectors (three-input functions in
 * vpternlogq); with two words the addition carries from word 0 to word 1 lane by
 * lane, and the deltas shift across with vpshldq. */
ENG__SEQ_AVX512 static inline __attribute__((always_inline)) size_t
lev_bidir512_body(const unsigned char *p, size_t m, const unsigned char *t, size_t n,
                  const int W)
{
  enum { A = ENG__TL_A, B = ENG__TL_B, C = ENG__TL_C };
  /* d0 = (a ^ b) | c, ~hp = (a | b) & ~c, hn = ((a ^ b) | c) & b, a | (b & ~c) */
  enum {
    TL_D0 = ((A ^ B) | C) & 0xFF,
    TL_NH = ((A | B) & ~C) & 0xFF,
    TL_HN = (((A ^ B) | C) & B) & 0xFF,
    TL_VP = (A | (B & ~C)) & 0xFF
  };
  /* W == 0: a single word of at most 16 rows, kept in 128-bit registers. */
  size_t m0 = W <= 1 ? m : 64, m1 = m - m0;
  uint64_t live0 = m0 == 64 ? ~(uint64_t)0 : (((uint64_t)1 << m0) - 1);
  uint64_t live1 = W == 1 ? 0 : m1 == 64 ? ~(uint64_t)0 : (((uint64_t)1 << m1) - 1);
  __mmask64 k0 = _cvtu64_mask64(live0), k1 = _cvtu64_mask64(live1);
  __m512i f0 = _mm512_setzero_si512(), f1 = _mm512_setzero_si512();
  /* The reversed pattern: byte i of r0 r1 (of rx for W == 0) is p[m - 1 - i]. */
  __m512i r0 = _mm512_setzero_si512(), r1 = _mm512_setzero_si512();
  const __m128i iota = _mm_set_epi8(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
  /* ridx[s] = m - 1 - s, negative (so pshufb writes zero) past the pattern. */
  const __m128i ridx = _mm_sub_epi8(_mm_set1_epi8((char)(m - 1)), iota);
  __m128i fx = _mm_setzero_si128(), rx = _mm_setzero_si128();
  if (W == 0) {
    fx = _mm_maskz_loadu_epi8((__mmask16)live0, p);
    rx = _mm_shuffle_epi8(fx, ridx);
  } else if (W == 1) {
    f0 = _mm512_maskz_loadu_epi8(k0, p);
    r0 = _mm512_maskz_compress_epi8(_cvtu64_mask64(live0 << (64 - m)), rev_bytes512(f0));
  } else {
    _Alignas(64) unsigned char rb[128];
    f0 = _mm512_maskz_loadu_epi8(k0, p);
    f1 = _mm512_maskz_loadu_epi8(k1, p + 64);
    _mm512_store_si512(rb, rev_bytes512(f1));
    _mm512_store_si512(rb + 64, rev_bytes512(f0));
    r0 = _mm512_loadu_si512(rb + 128 - m);
    r1 = _mm512_maskz_loadu_epi8(k1, rb + 192 - m);
  }
  const __m128i ones = _mm_set1_epi64x(-1);
  __m128i vp0 = ones, vn0 = _mm_setzero_si128(), vp1 = ones, vn1 = _mm_setzero_si128();
  size_t h = n / 2;
  const unsigned char *tb = t + n; /* the backward half reads tb[-1], tb[-2], ... */
#define LEV_BI_STEP(CF, CB)                                                               \
  do {                                                                                    \
    __m512i cf_ = _mm512_set1_epi8((char)(CF)), cb_ = _mm512_set1_epi8((char)(CB));       \
    __m128i e0_;                                                                          \
    if (W == 0)                                                                           \
      e0_ = _mm_set_epi64x(                                                               \
          (long long)_mm512_mask2int(                                                     \
              _mm_mask_cmpeq_epi8_mask((__mmask16)live0, rx, _mm_set1_epi8((char)(CB)))), \
          (long long)_mm512_mask2int(                                                     \
              _mm_mask_cmpeq_epi8_mask((__mmask16)live0, fx, _mm_set1_epi8((char)(CF))))); \
    else                                                                                  \
      e0_ = _mm_set_epi64x(                                                               \
          (long long)_cvtmask64_u64(_mm512_mask_cmpeq_epi8_mask(k0, r0, cb_)),            \
          (long long)_cvtmask64_u64(_mm512_mask_cmpeq_epi8_mask(k0, f0, cf_)));           \
    __m128i a0_ = _mm_and_si128(e0_, vp0), s0_ = _mm_add_epi64(a0_, vp0);                 \
    __m128i d0_ = _mm_ternarylogic_epi64(s0_, vp0, _mm_or_si128(e0_, vn0), TL_D0);        \
    __m128i nh0_ = _mm_ternarylogic_epi64(s0_, _mm_or_si128(vp0, e0_), vn0, TL_NH);       \
    __m128i hn0_ = _mm_and_si128(d0_, vp0);                                               \
    if (W == 2) {                                                                         \
      __m128i e1_ = _mm_set_epi64x(                                                       \
          (long long)_cvtmask64_u64(_mm512_mask_cmpeq_epi8_mask(k1, r1, cb_)),            \
          (long long)_cvtmask64_u64(_mm512_mask_cmpeq_epi8_mask(k1, f1, cf_)));           \
      /* carry out of word 0: a0 <= vp0 bitwise, so it is a0 | (vp0 & ~s0) at bit 63 */ \
      __m128i c_ = _mm_srli_epi64(_mm_ternarylogic_epi64(a0_, vp0, s0_, TL_VP), 63);      \
      __m128i s1_ = _mm_add_epi64(_mm_add_epi64(_mm_and_si128(e1_, vp1), vp1), c_);       \
      __m128i d1_ = _mm_ternarylogic_epi64(s1_, vp1, _mm_or_si128(e1_, vn1), TL_D0);      \
      __m128i nh1_ = _mm_ternarylogic_epi64(s1_, _mm_or_si128(vp1, e1_), vn1, TL_NH);     \
      __m128i hn1_ = _mm_and_si128(d1_, vp1);                                             \
      nh1_ = _mm_shldi_epi64(nh1_, nh0_, 1);                                              \
      hn1_ = _mm_shldi_epi64(hn1_, hn0_, 1);                                              \
      vp1 = _mm_ternarylogic_epi64(hn1_, nh1_, d1_, TL_VP);                               \
      vn1 = _mm_andnot_si128(nh1_, d1_);                                                  \
    }                                                                                     \
    nh0_ = _mm_slli_epi64(nh0_, 1);                                                       \
    if (W <= 1) {                                                                         \
      /* (d0 & vp) << 1 straight from the doubled sum: 2s = 2a + 2vp, and           \
       * ((2s ^ 2vp) | 2x) & 2vp is one vpternlogq, a step shorter than shifting    \
       * hn (2x: x = eq | vn shifted, off the chain). */                                 \
      __m128i vs_ = _mm_slli_epi64(vp0, 1);                                               \
      __m128i s2_ = _mm_add_epi64(_mm_slli_epi64(a0_, 1), vs_);                           \
      hn0_ = _mm_ternarylogic_epi64(s2_, vs_, _mm_slli_epi64(_mm_or_si128(e0_, vn0), 1),  \
                                    TL_HN);                                               \
    } else {                                                                              \
      hn0_ = _mm_slli_epi64(hn0_, 1);                                                     \
    }                                                                                     \
    vp0 = _mm_ternarylogic_epi64(hn0_, nh0_, d0_, TL_VP);                                 \
    vn0 = _mm_andnot_si128(nh0_, d0_);                                                    \
  } while (0)
  for (size_t j = 0; j < h; j++)
    LEV_BI_STEP(t[j], tb[-1 - (ptrdiff_t)j]);
  if (n - h > h) {
    /* Odd n: the backward half has one more column; the forward lane keeps its state. */
    __m128i p0 = vp0, q0 = vn0, p1 = vp1, q1 = vn1;
    LEV_BI_STEP(t[0], t[h]);
    vp0 = _mm_blend_epi32(p0, vp0, 0xC);
    vn0 = _mm_blend_epi32(q0, vn0, 0xC);
    vp1 = _mm_blend_epi32(p1, vp1, 0xC);
    vn1 = _mm_blend_epi32(q1, vn1, 0xC);
  }
#undef LEV_BI_STEP
  uint64_t fp0 = (uint64_t)_mm_cvtsi128_si64(vp0) & live0;
  uint64_t fn0 = (uint64_t)_mm_cvtsi128_si64(vn0) & live0;
  uint64_t bp0 = (uint64_t)_mm_extract_epi64(vp0, 1) & live0;
  uint64_t bn0 = (uint64_t)_mm_extract_epi64(vn0, 1) & live0;
  uint64_t fp1 = (uint64_t)_mm_cvtsi128_si64(vp1) & live1;
  uint64_t fn1 = (uint64_t)_mm_cvtsi128_si64(vn1) & live1;
  uint64_t bp1 = (uint64_t)_mm_extract_epi64(vp1, 1) & live1;
  uint64_t bn1 = (uint64_t)_mm_extract_epi64(vn1, 1) & live1;
  /* Q(m): the backward column's total. */
  ptrdiff_t q = (ptrdiff_t)__builtin_popcountll(bp0) + __builtin_popcountll(bp1) -
                __builtin_popcountll(bn0) - __builtin_popcountll(bn1);
  /* cand(i) = n + Q(m) + sum over s < i of (F delta s - B delta m - 1 - s): move
   * backward row r to bit r + sh of the W-word number, so that reversing its bytes
   * puts row r at byte m - 1 - r. */
  if (W == 0) {
    /* With at most 16 rows every candidate is a few popcounts, with no prefix
     * sum: cand(i) = n + X(i) + Y(m - i), where X(i) sums the forward column's
     * deltas over its first i rows and Y(j) the backward column's over its first
     * j, each popcount(vp & low bits) - popcount(vn & low bits). Word lane L
     * holds i = L + 1 (i = 0 is n + Q(m)), biased by 32 so that it is never
     * negative, and lanes past m hold 0xFFFF; phminposuw takes the minimum. The
     * bias also keeps n out of the 16-bit lanes. */
    const __m256i one = _mm256_set1_epi16(1);
    const __m256i lane = _mm256_set_epi16(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    __m256i mf = _mm256_sub_epi16(_mm256_sllv_epi16(one, _mm256_add_epi16(lane, one)), one);
    __m256i cb = _mm256_sub_epi16(_mm256_set1_epi16((short)(m - 1)), lane); /* m - i */
    __m256i mb = _mm256_sub_epi16(_mm256_sllv_epi16(one, cb), one);
    __m256i past = _mm256_srai_epi16(cb, 15);
    __m256i fpw = _mm256_broadcastw_epi16(vp0), fnw = _mm256_broadcastw_epi16(vn0);
    __m256i bpw = _mm256_broadcastw_epi16(_mm_srli_si128(vp0, 8));
    __m256i bnw = _mm256_broadcastw_epi16(_mm_srli_si128(vn0, 8));
    __m256i x = _mm256_sub_epi16(_mm256_popcnt_epi16(_mm256_and_si256(fpw, mf)),
                                 _mm256_popcnt_epi16(_mm256_and_si256(fnw, mf)));
    __m256i y = _mm256_sub_epi16(_mm256_popcnt_epi16(_mm256_and_si256(bpw, mb)),
                                 _mm256_popcnt_epi16(_mm256_and_si256(bnw, mb)));
    __m256i c = _mm256_or_si256(_mm256_add_epi16(_mm256_add_epi16(x, y), _mm256_set1_epi16(32)), past);
    __m128i c8 = _mm_min_epu16(_mm256_castsi256_si128(c), _mm256_extracti128_si256(c, 1));
    ptrdiff_t lo = _mm_cvtsi128_si32(_mm_minpos_epu16(c8)) & 0xFFFF, c0 = 32 + q;
    return (size_t)((ptrdiff_t)n - 32 + (lo < c0 ? lo : c0));
  }
  unsigned sh = (unsigned)(64 * (size_t)W - m);
  if (W == 1) {
    __m512i e = _mm512_sub_epi8(delta_bytes512(fp0, fn0),
                                rev_bytes512(delta_bytes512(bp0 << sh, bn0 << sh)));
    return (size_t)((ptrdiff_t)n + q + min_prefix512(e));
  }
  if (sh) {
    bp1 = (bp1 << sh) | (bp0 >> (64 - sh));
    bn1 = (bn1 << sh) | (bn0 >> (64 - sh));
    bp0 <<= sh;
    bn0 <<= sh;
  }
  __m512i e0 = _mm512_sub_epi8(delta_bytes512(fp0, fn0), rev_bytes512(delta_bytes512(bp1, bn1)));
  __m512i e1 = _mm512_sub_epi8(delta_bytes512(fp1, fn1), rev_bytes512(delta_bytes512(bp0, bn0)));
  ptrdiff_t tot0 = (ptrdiff_t)__builtin_popcountll(fp0) - __builtin_popcountll(fn0) -
                   __builtin_popcountll(bp1) + __builtin_popcountll(bn1);
  ptrdiff_t lo = min_prefix512(e0), hi = tot0 + min_prefix512(e1);
  return (size_t)((ptrdiff_t)n + q + (lo < hi ? lo : hi));
}

ENG__SEQ_AVX512 __attribute__((noinline)) static size_t
lev_bidir512_0(const unsigned char *p, size_t m, const unsigned char *t, size_t n)
{
  return lev_bidir512_body(p, m, t, n, 0);
}

ENG__SEQ_AVX512 __attribute__((noinline)) static size_t
lev_bidir512_1(const unsigned char *p, size_t m, const unsigned char *t, size_t n)
{
  return lev_bidir512_body(p, m, t, n, 1);
}

ENG__SEQ_AVX512 __attribute__((noinline)) static size_t
lev_bidir512_2(const unsigned char *p, size_t m, const unsigned char *t, size_t n)
{
  return lev_bidir512_body(p, m, t, n, 2);
}

/* Byte patterns of 1..128 rows with AVX-512BW: one 64-byte compare per pattern
 * word gives the match mask of a text byte directly, so there is no table to
 * build at all (that set-up is most of the cost at these lengths). The pattern is
 * loaded with masked loads (nothing read past its end); lanes past m are cut by
 * `live`, since a zero padding byte would match a zero text byte. */
ENG__SEQ_AVX512 static size_t lev_short512(const unsigned char *p, size_t m,
                                           const unsigned char *t, size_t n, size_t k)
{
  size_t m0 = m < 64 ? m : 64, m1 = m - m0;
  uint64_t live0 = m0 == 64 ? ~(uint64_t)0 : (((uint64_t)1 << m0) - 1);
  uint64_t live1 = m1 == 64 ? ~(uint64_t)0 : (((uint64_t)1 << m1) - 1);
  __m512i pat0 = _mm512_maskz_loadu_epi8(_cvtu64_mask64(live0), p);
  int check = k < n + m;
  size_t score = m;
#define LEV_EQ512(PAT, LIVE, C)                                                           \
  (_cvtmask64_u64(_mm512_cmpeq_epi8_mask((PAT), _mm512_set1_epi8((char)(C)))) & (LIVE))
  if (m1 == 0) {
    uint64_t vp = ~(uint64_t)0, vn = 0, hb = (uint64_t)1 << (m - 1);
    if (!check) {
      for (size_t j = 0; j < n; j++)
        LEV_WORD_STEP(LEV_EQ512(pat0, live0, t[j]), 0);
      return lev_word_final(vp, vn, m, n);
    }
    for (size_t j = 0; j < n; j++) {
      LEV_WORD_STEP(LEV_EQ512(pat0, live0, t[j]), 1);
      if (score > k + (n - 1 - j))
        return k + 1;
    }
    return score > k ? k + 1 : score;
  }
  __m512i pat1 = _mm512_maskz_loadu_epi8(_cvtu64_mask64(live1), p + 64);
  uint64_t vp0 = ~(uint64_t)0, vn0 = 0, vp1 = ~(uint64_t)0, vn1 = 0;
  unsigned hbit = (unsigned)(m - 65);
  for (size_t j = 0; j < n; j++) {
    __m512i c = _mm512_set1_epi8((char)t[j]);
    LEV_TWO_WORDS(_cvtmask64_u64(_mm512_cmpeq_epi8_mask(pat0, c)),
                  _cvtmask64_u64(_mm512_cmpeq_epi8_mask(pat1, c)) & live1);
    if (check && score > k + (n - 1 - j))
      return k + 1;
  }
#undef LEV_EQ512
  if (!check)
    return lev_two_final(vp0, vn0, vp1, vn1, m, n);
  return score > k ? k + 1 : score;
}
#endif

static size_t lev_word_ids(const uint64_t *peq, size_t m, const uint32_t *tid, size_t n,
                           size_t k)
{
  uint64_t vp = ~(uint64_t)0, vn = 0, hb = (uint64_t)1 << (m - 1);
  size_t score = m;
  if (k >= n + m) {
    for (size_t j = 0; j < n; j++)
      LEV_WORD_STEP(peq[tid[j]], 0);
    return lev_word_final(vp, vn, m, n);
  }
  for (size_t j = 0; j < n; j++) {
    LEV_WORD_STEP(peq[tid[j]], 1);
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
    const uint64_t *eq = peq + (size_t)tid[j] * pr->stride;
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

/* The diagonal band of lev_band below, shared by every banded pass: in column j
 * only rows j + dmin .. j + dmax, clipped to 1..m, can hold a cell on an
 * alignment of cost <= k. */
static inline void band_limits(size_t m, size_t n, size_t k, ptrdiff_t *dmin, ptrdiff_t *dmax)
{
  ptrdiff_t d = (ptrdiff_t)(n - m), kk = (ptrdiff_t)k;
  *dmin = -((kk + d) / 2);
  *dmax = (kk - d) / 2;
}

static inline ptrdiff_t band_top(size_t j, ptrdiff_t dmin)
{
  ptrdiff_t top = (ptrdiff_t)j + dmin;
  return top < 1 ? 1 : top;
}

static inline ptrdiff_t band_bot(size_t j, size_t m, ptrdiff_t dmax)
{
  ptrdiff_t bot = (ptrdiff_t)j + dmax;
  return bot > (ptrdiff_t)m ? (ptrdiff_t)m : bot;
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
  size_t m = pr->m, n = pr->n, W = pr->W, S = pr->stride;
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
      score += lev_column(peq + (size_t)tid[j] * S, vp, vn, 0, lastb, lastbit);
    return score;
  }
  ptrdiff_t dmin, dmax;
  band_limits(m, n, k, &dmin, &dmax);
  size_t fb = 0, lb;
  ptrdiff_t bot = band_bot(1, m, dmax);
  lb = (size_t)(bot - 1) / 64;
  for (size_t b = 0; b <= lb; b++) {
    vp[b] = ~(uint64_t)0;
    vn[b] = 0;
  }
  size_t score = lb == lastb ? m : 64 * (lb + 1);
  for (size_t j = 1; j <= n; j++) {
    ptrdiff_t top = band_top(j, dmin);
    bot = band_bot(j, m, dmax);
    size_t nlb = (size_t)(bot - 1) / 64, nfb = (size_t)(top - 1) / 64;
    while (lb < nlb) {
      lb++;
      vp[lb] = ~(uint64_t)0;
      vn[lb] = 0;
      score += (lb == lastb ? m : 64 * (lb + 1)) - 64 * lb;
    }
    if (nfb > fb)
      fb = nfb;
    const uint64_t *eq = peq + (size_t)tid[j - 1] * S;
    score += lev_column(eq, vp, vn, fb, lb, lb == lastb ? lastbit : 63);
  }
  return score;
}

/* Distance between the first 64 pattern rows and the first 64 text symbols (both
 * exist when W >= 2): a 64-column probe, about a hundred nanoseconds, that tells
 * related strings from unrelated ones before choosing a narrow band that would
 * only fail on the latter. It steers the choice of passes, never the result. */
static size_t lev_probe(const eng__seq_prep *pr)
{
  uint64_t vp = ~(uint64_t)0, vn = 0, hb = 0;
  size_t score = 0; /* LEV_WORD_STEP names hb and score even when not tracking */
  (void)hb;
  (void)score;
  for (size_t j = 0; j < 64; j++)
    LEV_WORD_STEP(pr->peq[(size_t)pr->tid[j] * pr->stride], 0);
  return lev_word_final(vp, vn, 64, 64);
}

/* Narrow bands (k <= LEV_WIN_K, so the band is at most LEV_WIN_K + 1 rows tall):
 * the band of lev_band always fits a window of three consecutive words starting
 * at the word of its top row, so the window lives in registers and slides down
 * one word at a time (at most once per column, as the top row moves down by one
 * per column); it never starts past word W - 3. Words entering at the bottom take
 * "one more than the row above", like lev_band; extra rows the window computes
 * beyond the band are over-estimates too. score follows the window's bottom row
 * (row m once the window holds the last word). Needs W >= 3. */
#define LEV_WIN_K 128

static inline __attribute__((always_inline)) size_t lev_band3_body(const eng__seq_prep *pr,
                                                                  size_t k)
{
  size_t m = pr->m, n = pr->n, W = pr->W, S = pr->stride;
  const uint64_t *peq = pr->peq;
  const uint32_t *tid = pr->tid;
  ptrdiff_t dmin, dmax;
  band_limits(m, n, k, &dmin, &dmax);
  (void)dmax; /* the window computes all of its rows, below the band too */
  uint64_t vp0 = ~(uint64_t)0, vp1 = ~(uint64_t)0, vp2 = ~(uint64_t)0, vn0 = 0, vn1 = 0, vn2 = 0;
  size_t f = 0;
  size_t bottom = W == 3 ? m : 192;
  unsigned obit = W == 3 ? (unsigned)((m - 1) % 64) : 63;
  size_t score = bottom;
  /* The window moves at column jnext, when the band's top row j + dmin passes
   * row 64 * (f + 1) + 1, and stops at word W - 3. */
  ptrdiff_t jnext = 65 - dmin;
  /* Runs of columns between window moves: inside one the window's word f and
   * output bit stay fixed, so the column loop carries only the window, the
   * score and a text pointer (few enough to stay in registers). */
  const uint32_t *tp = tid, *tend = tid + n;
  for (;;) {
    int move = f < W - 3 && jnext <= (ptrdiff_t)n;
    const uint32_t *stop = move ? tid + (jnext - 1) : tend;
    const uint64_t *base = peq + f;
    uint64_t ob = (uint64_t)1 << obit;
    for (; tp < stop; tp++) {
      const uint64_t *eq = base + (size_t)*tp * S;
      uint64_t e0 = eq[0], e1 = eq[1], e2 = eq[2];
      /* Carries by comparison: shorter here than the flag round trips of
       * eng__add_carry between the interleaved word operations. */
      uint64_t s0 = (e0 & vp0) + vp0;
      uint64_t c0 = s0 < vp0;
      uint64_t s1 = (e1 & vp1) + vp1;
      uint64_t c1 = s1 < vp1;
      s1 += c0;
      c1 |= s1 < c0;
      uint64_t s2 = (e2 & vp2) + vp2 + c1;
      /* The LEV_WORD_STEP form on ~HP, with the deltas shifted across words. */
      uint64_t d0 = (s0 ^ vp0) | e0 | vn0, d1 = (s1 ^ vp1) | e1 | vn1, d2 = (s2 ^ vp2) | e2 | vn2;
      uint64_t nh0 = (s0 | vp0 | e0) & ~vn0, hn0 = d0 & vp0;
      uint64_t nh1 = (s1 | vp1 | e1) & ~vn1, hn1 = d1 & vp1;
      uint64_t nh2 = (s2 | vp2 | e2) & ~vn2, hn2 = d2 & vp2;
      score += (size_t)((nh2 & ob) == 0) - (size_t)((hn2 & ob) != 0);
      nh2 = (nh2 << 1) | (nh1 >> 63);
      hn2 = (hn2 << 1) | (hn1 >> 63);
      nh1 = (nh1 << 1) | (nh0 >> 63);
      hn1 = (hn1 << 1) | (hn0 >> 63);
      nh0 <<= 1;
      hn0 <<= 1;
      vp0 = hn0 | (nh0 & ~d0);
      vn0 = d0 & ~nh0;
      vp1 = hn1 | (nh1 & ~d1);
      vn1 = d1 & ~nh1;
      vp2 = hn2 | (nh2 & ~d2);
      vn2 = d2 & ~nh2;
    }
    if (!move)
      break;
    /* Column jnext: the window slides down one word. */
    f++;
    jnext += 64;
    vp0 = vp1;
    vn0 = vn1;
    vp1 = vp2;
    vn1 = vn2;
    vp2 = ~(uint64_t)0;
    vn2 = 0;
    size_t nb = f + 3 == W ? m : 64 * (f + 3);
    score += nb - bottom;
    bottom = nb;
    obit = f + 3 == W ? (unsigned)((m - 1) % 64) : 63;
  }
  return score;
}

static size_t lev_band3_scalar(const eng__seq_prep *pr, size_t k)
{
  return lev_band3_body(pr, k);
}

#if ENG__SEQ_HAVE_AVX512
/* The same code built for the CPUs that run the 512-bit kernels: the compiler
 * may use BMI's and-not, which shortens every column's chain. */
ENG__SEQ_AVX512 static size_t lev_band3_bmi(const eng__seq_prep *pr, size_t k)
{
  return lev_band3_body(pr, k);
}
#endif

static size_t lev_band3(const eng__seq_prep *pr, size_t k, int simd)
{
#if ENG__SEQ_HAVE_AVX512
  if (simd == ENG_SEQ_SIMD_AVX512)
    return lev_band3_bmi(pr, k);
#endif
  (void)simd;
  return lev_band3_scalar(pr, k);
}

#if ENG__SEQ_HAVE_AVX512
/* lev_column over 512-row blocks [fb, lb] (eight words each): the same Hyyro
 * (2003) column step on one 512-bit integer per block. The addition carries with
 * eng__add512_carry; the horizontal deltas move up one row with a lane rotate
 * (valignq) and a double shift (vpshldq) that brings in bit 63 of the lane below,
 * so no word waits for its neighbour's shifted output. outm selects the row whose
 * horizontal delta is returned, in block lb. vp & vn == 0 always, which lets the
 * four-input formulas collapse to three-input vpternlogq operations. */
ENG__SEQ_AVX512 static inline int lev_column512(const uint64_t *eq, uint64_t *vp, uint64_t *vn,
                                                size_t fb, size_t lb, __m512i outm)
{
  enum { A = ENG__TL_A, B = ENG__TL_B, C = ENG__TL_C };
  /* Lane 7, bit 63 set: the +1 entering the top row of block fb. */
  __m512i hprev = _mm512_maskz_set1_epi64(0x80, (long long)((uint64_t)1 << 63));
  __m512i nprev = _mm512_setzero_si512();
  unsigned carry = 0;
  int delta = 0;
  for (size_t b = fb; b <= lb; b++) {
    __m512i e = _mm512_load_si512(eq + 8 * b), p = _mm512_load_si512(vp + 8 * b),
            mm = _mm512_load_si512(vn + 8 * b);
    __m512i sum = _mm512_add_epi64(_mm512_and_si512(e, p), p);
    /* carry out of each lane: p & (e | ~sum) */
    sum = eng__add512_carry(sum, p, &carry);
    /* d0 = (sum ^ p) | e | mm; hp = mm | ~(d0 | p); hn = d0 & p. */
    __m512i d0 = _mm512_ternarylogic_epi64(sum, p, _mm512_or_si512(e, mm), ((A ^ B) | C) & 0xFF);
    __m512i hp = _mm512_ternarylogic_epi64(mm, sum, _mm512_or_si512(e, p), (A | ~(B | C)) & 0xFF);
    __m512i hn = _mm512_ternarylogic_epi64(sum, p, e, (((A ^ B) | C) & B) & 0xFF);
    if (b == lb)
      delta = (_mm512_test_epi64_mask(hp, outm) != 0) - (_mm512_test_epi64_mask(hn, outm) != 0);
    __m512i hp2 = _mm512_shldi_epi64(hp, _mm512_alignr_epi64(hp, hprev, 7), 1);
    __m512i hn2 = _mm512_shldi_epi64(hn, _mm512_alignr_epi64(hn, nprev, 7), 1);
    hprev = hp;
    nprev = hn;
    /* vp' = hn2 | ~(d0 | hp2); vn' = hp2 & d0. */
    _mm512_store_si512(vp + 8 * b, _mm512_ternarylogic_epi64(hn2, d0, hp2, (A | ~(B | C)) & 0xFF));
    _mm512_store_si512(vn + 8 * b, _mm512_and_si512(hp2, d0));
  }
  return delta;
}

/* The full matrix for patterns of 1..4 blocks: a column's latency is the bound
 * there, so the column stays in registers (NB a compile-time constant), carries
 * stay in mask registers, and the distance comes from the last column (see
 * lev_word_final) instead of a per-column delta. */
ENG__SEQ_AVX512 static inline __attribute__((always_inline)) size_t
lev_fixed512(const eng__seq_prep *pr, uint64_t *vpo, uint64_t *vno, const size_t NB)
{
  enum { A = ENG__TL_A, B = ENG__TL_B, C = ENG__TL_C };
  size_t S = pr->stride, m = pr->m, n = pr->n;
  const uint64_t *peq = pr->peq;
  const uint32_t *tid = pr->tid;
  const __m512i top = _mm512_maskz_set1_epi64(0x80, (long long)((uint64_t)1 << 63));
  __m512i vp[4], vn[4];
  for (size_t b = 0; b < NB; b++) {
    vp[b] = _mm512_set1_epi64(-1);
    vn[b] = _mm512_setzero_si512();
  }
  for (size_t j = 0; j < n; j++) {
    const uint64_t *eq = peq + (size_t)tid[j] * S;
    __m512i hprev = top, nprev = _mm512_setzero_si512();
    __mmask16 carry = 0;
    for (size_t b = 0; b < NB; b++) {
      __m512i e = _mm512_load_si512(eq + 8 * b), p = vp[b], mm = vn[b];
      __m512i sum = eng__add512_kcarry(_mm512_add_epi64(_mm512_and_si512(e, p), p), p, &carry);
      __m512i d0 = _mm512_ternarylogic_epi64(sum, p, _mm512_or_si512(e, mm), ((A ^ B) | C) & 0xFF);
      __m512i hp = _mm512_ternarylogic_epi64(mm, sum, _mm512_or_si512(e, p), (A | ~(B | C)) & 0xFF);
      __m512i hn = _mm512_ternarylogic_epi64(sum, p, e, (((A ^ B) | C) & B) & 0xFF);
      __m512i hp2 = _mm512_shldi_epi64(hp, _mm512_alignr_epi64(hp, hprev, 7), 1);
      __m512i hn2 = _mm512_shldi_epi64(hn, _mm512_alignr_epi64(hn, nprev, 7), 1);
      hprev = hp;
      nprev = hn;
      vp[b] = _mm512_ternarylogic_epi64(hn2, d0, hp2, (A | ~(B | C)) & 0xFF);
      vn[b] = _mm512_and_si512(hp2, d0);
    }
  }
  for (size_t b = 0; b < NB; b++) {
    _mm512_store_si512(vpo + 8 * b, vp[b]);
    _mm512_store_si512(vno + 8 * b, vn[b]);
  }
  size_t W = pr->W, plus = 0, minus = 0;
  for (size_t w = 0; w + 1 < W; w++) {
    plus += (size_t)__builtin_popcountll(vpo[w]);
    minus += (size_t)__builtin_popcountll(vno[w]);
  }
  size_t r = m - 64 * (W - 1);
  uint64_t mask = r == 64 ? ~(uint64_t)0 : (((uint64_t)1 << r) - 1);
  plus += (size_t)__builtin_popcountll(vpo[W - 1] & mask);
  minus += (size_t)__builtin_popcountll(vno[W - 1] & mask);
  return n + plus - minus;
}

/* The single-bit mask of pattern row r (0-based) within its 512-row block. */
ENG__SEQ_AVX512 static inline __m512i row_mask512(size_t r)
{
  r %= 512;
  return _mm512_maskz_set1_epi64((__mmask8)(1u << (r / 64)), (long long)((uint64_t)1 << (r % 64)));
}

/* lev_band with 512-row blocks instead of words: the same band (Ukkonen 1985),
 * rounded out to whole blocks, which only adds over-estimated cells. */
ENG__SEQ_AVX512 static size_t lev_band512(const eng__seq_prep *pr, size_t k, uint64_t *vp,
                                          uint64_t *vn)
{
  size_t m = pr->m, n = pr->n, S = pr->stride, lastb = S / 8 - 1;
  const uint64_t *peq = pr->peq;
  const uint32_t *tid = pr->tid;
  __m512i outlast = row_mask512(m - 1), outmid = row_mask512(511);
  if (k >= n + m) {
    switch (lastb) {
    case 0:
      return lev_fixed512(pr, vp, vn, 1);
    case 1:
      return lev_fixed512(pr, vp, vn, 2);
    case 2:
      return lev_fixed512(pr, vp, vn, 3);
    case 3:
      return lev_fixed512(pr, vp, vn, 4);
    default:
      break;
    }
    for (size_t w = 0; w < S; w++) {
      vp[w] = ~(uint64_t)0;
      vn[w] = 0;
    }
    size_t score = m;
    for (size_t j = 0; j < n; j++)
      score += lev_column512(peq + (size_t)tid[j] * S, vp, vn, 0, lastb, outlast);
    return score;
  }
  ptrdiff_t dmin, dmax;
  band_limits(m, n, k, &dmin, &dmax);
  size_t fb = 0, lb;
  ptrdiff_t bot = band_bot(1, m, dmax);
  lb = (size_t)(bot - 1) / 512;
  for (size_t w = 0; w < 8 * (lb + 1); w++) {
    vp[w] = ~(uint64_t)0;
    vn[w] = 0;
  }
  size_t score = lb == lastb ? m : 512 * (lb + 1);
  for (size_t j = 1; j <= n; j++) {
    ptrdiff_t top = band_top(j, dmin);
    bot = band_bot(j, m, dmax);
    size_t nlb = (size_t)(bot - 1) / 512, nfb = (size_t)(top - 1) / 512;
    while (lb < nlb) {
      lb++;
      for (size_t w = 8 * lb; w < 8 * lb + 8; w++) {
        vp[w] = ~(uint64_t)0;
        vn[w] = 0;
      }
      score += (lb == lastb ? m : 512 * (lb + 1)) - 512 * lb;
    }
    if (nfb > fb)
      fb = nfb;
    const uint64_t *eq = peq + (size_t)tid[j - 1] * S;
    score += lev_column512(eq, vp, vn, fb, lb, lb == lastb ? outlast : outmid);
  }
  return score;
}
#endif

/* The banded pass at the instruction-set level chosen for this call. */
static size_t lev_pass(const eng__seq_prep *pr, size_t k, uint64_t *vp, uint64_t *vn, int wide)
{
#if ENG__SEQ_HAVE_AVX512
  if (wide)
    return lev_band512(pr, k, vp, vn);
#else
  (void)wide;
#endif
  return lev_band(pr, k, vp, vn);
}

static int lev_run_table(eng_seq_ws *ws, const eng_symbols *p, const eng_symbols *t, size_t k,
                         size_t *dist);

/* Distance of two non-empty sequences, pattern p no longer than text t. */
static int lev_run(eng_seq_ws *ws, const eng_symbols *p, const eng_symbols *t, size_t k,
                   size_t *dist)
{
  size_t m = p->n, n = t->n;
  if (n - m > k) {
    *dist = k + 1;
    return ENG_ECUTOFF;
  }
  if (m <= 128 && p->type == ENG_SYM_U8 && t->type == ENG_SYM_U8) {
    size_t r;
#if ENG__SEQ_HAVE_AVX512
    if (eng__seq_simd(ws) == ENG_SEQ_SIMD_AVX512) {
      if (k >= n + m && n >= 8) {
        /* No threshold: from both ends at once. */
        *dist = m <= 16  ? lev_bidir512_0(p->data, m, t->data, n)
                : m <= 64 ? lev_bidir512_1(p->data, m, t->data, n)
                          : lev_bidir512_2(p->data, m, t->data, n);
        return 0;
      }
      r = lev_short512(p->data, m, t->data, n, k);
    } else
#endif
      r = m <= 64 ? lev_word_u8(p->data, m, t->data, n, k)
                  : lev_word2_u8(p->data, m, t->data, n, k);
    *dist = r;
    return r > k ? ENG_ECUTOFF : 0;
  }
  return lev_run_table(ws, p, t, k, dist);
}

/* lev_run for symbols that need a pattern table: out of line, so that the short
 * byte strings above do not pay for its stack frame (a few ns at n = 16). */
static __attribute__((noinline)) int lev_run_table(eng_seq_ws *ws, const eng_symbols *p,
                                                   const eng_symbols *t, size_t k, size_t *dist)
{
  size_t m = p->n, n = t->n;
  eng__seq_prep pr;
  void *extra;
  size_t W = (m + 63) / 64, S = eng__seq_stride(W);
  int rc = eng__seq_prepare(ws, p, t, 2 * S * 8, &pr, &extra);
  if (rc)
    return rc;
  if (m <= 64) {
    size_t r = lev_word_ids(pr.peq, m, pr.tid, n, k);
    *dist = r;
    return r > k ? ENG_ECUTOFF : 0;
  }
  uint64_t *vp = extra, *vn = vp + S;
  size_t full = n + m;
  int simd = eng__seq_simd(ws);
  int wide = W > ENG__SEQ_AVX512_MIN_WORDS && simd == ENG_SEQ_SIMD_AVX512;
  if (k <= LEV_WIN_K && W >= 3) {
    /* A small threshold: the three-word window decides in one pass. */
    size_t r = lev_band3(&pr, k, simd);
    *dist = r > k ? k + 1 : r;
    return r > k ? ENG_ECUTOFF : 0;
  }
  if (k < full) {
    /* A threshold: one banded pass decides. */
    size_t r = lev_pass(&pr, k, vp, vn, wide);
    *dist = r > k ? k + 1 : r;
    return r > k ? ENG_ECUTOFF : 0;
  }
  /* No threshold: a narrow band first (similar strings finish there). A failed
   * pass still returns an upper bound r on the distance, so a second pass with
   * k = r is always exact; when r's band would cover half the pattern anyway, the
   * full matrix is cheaper. At most two passes beyond the narrow one. */
  size_t d = n - m;
  size_t r = full;
  if (d < LEV_WIN_K / 2 && W >= 6 && lev_probe(&pr) <= 24) {
    r = lev_band3(&pr, LEV_WIN_K, simd);
    if (r <= LEV_WIN_K) {
      *dist = r;
      return 0;
    }
  }
  if (r == full && !wide && 2 * 64 < m) {
    r = lev_pass(&pr, d + 64, vp, vn, wide);
    if (r <= d + 64) {
      *dist = r;
      return 0;
    }
  }
  if (2 * (r - d) < m) {
    *dist = lev_pass(&pr, r, vp, vn, wide);
    return 0;
  }
  *dist = lev_pass(&pr, full, vp, vn, wide);
  return 0;
}

/* lev_run with a temporary workspace, kept out of line so that the calls that
 * need none do not set up its 4 KiB stack frame. */
static __attribute__((noinline)) int lev_run_tmp(const eng_symbols *p, const eng_symbols *t,
                                                 size_t k, size_t *dist)
{
  ENG__SEQ_WS_STACK(tmp);
  int rc = lev_run(&tmp, p, t, k, dist);
  ENG__SEQ_WS_FREE(tmp);
  return rc;
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
  eng_symbols pc, tc;
  if (p->type == t->type && p->n &&
      (eng__seq_at(p, 0) == eng__seq_at(t, 0) ||
       eng__seq_at(p, p->n - 1) == eng__seq_at(t, t->n - 1))) {
    /* Equal ends cost nothing: run the kernels on the middle only (equal
     * strings finish here, similar ones lose a few columns). */
    size_t pre, suf, sz = p->type == ENG_SYM_U8 ? 1 : 4;
    eng__seq_affix(p, t, &pre, &suf);
    if (pre + suf) {
      pc.type = p->type;
      tc.type = t->type;
      pc.data = (const unsigned char *)p->data + pre * sz;
      tc.data = (const unsigned char *)t->data + pre * sz;
      pc.n = p->n - pre - suf;
      tc.n = t->n - pre - suf;
      p = &pc;
      t = &tc;
    }
  }
  if (p->n == 0) {
    *dist = t->n > k ? k + 1 : t->n;
    return t->n > k ? ENG_ECUTOFF : 0;
  }
  if (ws || (p->n <= 128 && p->type == ENG_SYM_U8 && t->type == ENG_SYM_U8))
    return lev_run(ws, p, t, k, dist);
  return lev_run_tmp(p, t, k, dist);
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
