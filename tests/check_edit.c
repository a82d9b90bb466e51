/* check_edit.c: Levenshtein, threshold, alignment and OSA kernels against plain O(nm) dynamic programs. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/sequence.h"

/* ---- small local helpers (independent of the code under test) ---- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void)
{
  uint64_t x = rng_state;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return rng_state = x;
}

static int scale(void)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  int s = 4;
#else
  int s = 1;
#endif
  const char *e = getenv("ENGINE_TEST_SCALE");
  if (e && atoi(e) > 0)
    s = atoi(e);
  return s;
}

static size_t min3(size_t a, size_t b, size_t c)
{
  size_t m = a < b ? a : b;
  return m < c ? m : c;
}

/* Wagner-Fischer, full matrix: the textbook definition. */
static size_t ref_lev(const uint32_t *a, size_t na, const uint32_t *b, size_t nb)
{
  size_t *d = malloc((na + 1) * (nb + 1) * sizeof *d);
#define D(i, j) d[(i) * (nb + 1) + (j)]
  for (size_t i = 0; i <= na; i++)
    D(i, 0) = i;
  for (size_t j = 0; j <= nb; j++)
    D(0, j) = j;
  for (size_t i = 1; i <= na; i++)
    for (size_t j = 1; j <= nb; j++)
      D(i, j) = min3(D(i - 1, j) + 1, D(i, j - 1) + 1, D(i - 1, j - 1) + (a[i - 1] != b[j - 1]));
  size_t r = D(na, nb);
  free(d);
  return r;
}

/* Optimal string alignment: Wagner-Fischer plus adjacent transpositions. */
static size_t ref_osa(const uint32_t *a, size_t na, const uint32_t *b, size_t nb)
{
  size_t *d = malloc((na + 1) * (nb + 1) * sizeof *d);
  for (size_t i = 0; i <= na; i++)
    D(i, 0) = i;
  for (size_t j = 0; j <= nb; j++)
    D(0, j) = j;
  for (size_t i = 1; i <= na; i++)
    for (size_t j = 1; j <= nb; j++) {
      size_t v = min3(D(i - 1, j) + 1, D(i, j - 1) + 1, D(i - 1, j - 1) + (a[i - 1] != b[j - 1]));
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && D(i - 2, j - 2) + 1 < v)
        v = D(i - 2, j - 2) + 1;
      D(i, j) = v;
    }
  size_t r = D(na, nb);
  free(d);
  return r;
#undef D
}

static const size_t lens[] = {0, 1, 2, 63, 64, 65, 127, 128, 129, 200, 1000};
#define NLENS (sizeof lens / sizeof lens[0])

/* Random pair: b is either independent or a mutation of a (similar strings). */
static void make_pair(uint32_t *a, size_t na, uint32_t *b, size_t nb, unsigned sigma, int similar)
{
  for (size_t i = 0; i < na; i++)
    a[i] = (uint32_t)(rnd() % sigma);
  for (size_t j = 0; j < nb; j++) {
    if (similar && j < na && rnd() % 10)
      b[j] = a[j];
    else
      b[j] = (uint32_t)(rnd() % sigma);
  }
}

static void to_bytes(const uint32_t *x, size_t n, unsigned char *out)
{
  for (size_t i = 0; i < n; i++)
    out[i] = (unsigned char)x[i];
}

START_TEST(test_known)
{
  size_t d = 99;
  ck_assert_int_eq(eng_levenshtein((const unsigned char *)"kitten", 6, (const unsigned char *)"sitting", 7, &d), 0);
  ck_assert_uint_eq(d, 3);
  eng_levenshtein((const unsigned char *)"flaw", 4, (const unsigned char *)"lawn", 4, &d);
  ck_assert_uint_eq(d, 2);
  eng_levenshtein((const unsigned char *)"intention", 9, (const unsigned char *)"execution", 9, &d);
  ck_assert_uint_eq(d, 5);
  eng_levenshtein((const unsigned char *)"", 0, (const unsigned char *)"abc", 3, &d);
  ck_assert_uint_eq(d, 3);
  eng_levenshtein(NULL, 0, NULL, 0, &d);
  ck_assert_uint_eq(d, 0);
  eng_levenshtein((const unsigned char *)"same", 4, (const unsigned char *)"same", 4, &d);
  ck_assert_uint_eq(d, 0);
  ck_assert_int_eq(eng_osa_distance((const unsigned char *)"ca", 2, (const unsigned char *)"abc", 3, &d), 0);
  ck_assert_uint_eq(d, 3); /* OSA cannot edit the transposed pair again (true Damerau: 2) */
  eng_osa_distance((const unsigned char *)"ab", 2, (const unsigned char *)"ba", 2, &d);
  ck_assert_uint_eq(d, 1);
  eng_osa_distance((const unsigned char *)"kitten", 6, (const unsigned char *)"sitting", 7, &d);
  ck_assert_uint_eq(d, 3);
}
END_TEST

START_TEST(test_bad_input)
{
  size_t d;
  ck_assert_int_eq(eng_levenshtein(NULL, 3, (const unsigned char *)"abc", 3, &d), ENG_EINVAL);
  ck_assert_int_eq(eng_levenshtein((const unsigned char *)"abc", 3, NULL, 1, &d), ENG_EINVAL);
  ck_assert_int_eq(eng_levenshtein((const unsigned char *)"abc", 3, (const unsigned char *)"a", 1, NULL), ENG_EINVAL);
  ck_assert_int_eq(eng_osa_distance(NULL, 1, NULL, 0, &d), ENG_EINVAL);
  ck_assert_int_eq(eng_edit_distance(NULL, NULL, 3, NULL, &d), ENG_EINVAL);
  eng_symbols s = eng_symbols_u8((const unsigned char *)"ab", 2);
  s.type = (eng_sym_type)7;
  ck_assert_int_eq(eng_edit_distance(&s, &s, 3, NULL, &d), ENG_EINVAL);
  char ops[4];
  size_t nops;
  ck_assert_int_eq(eng_edit_align(&s, &s, NULL, ops, &nops, &d), ENG_EINVAL);
  ck_assert_int_eq(eng_seq_ws_create(NULL), ENG_EINVAL);
  eng_seq_ws_destroy(NULL);
}
END_TEST

/* Every length pair, alphabets 2, 4 and 256, random and similar, bytes and u32
 * symbols (u32 symbols spread over the whole 32-bit range), with and without a
 * workspace. */
START_TEST(test_random_vs_dp)
{
  eng_seq_ws *ws;
  ck_assert_int_eq(eng_seq_ws_create(&ws), 0);
  uint32_t *a = malloc(1100 * 4), *b = malloc(1100 * 4), *a2 = malloc(1100 * 4), *b2 = malloc(1100 * 4);
  unsigned char *ab = malloc(1100), *bb = malloc(1100);
  static const unsigned sigmas[] = {2, 4, 256};
  int reps = 2;
  int sc = scale();
  size_t cases = 0;
  for (size_t x = 0; x < NLENS; x++)
    for (size_t y = 0; y < NLENS; y++)
      for (unsigned s = 0; s < 3; s++)
        for (int sim = 0; sim < 2; sim++)
          for (int r = 0; r < reps; r++) {
            size_t na = lens[x], nb = lens[y];
            if ((na == 1000 || nb == 1000) && (r > 0 || sc > 1) && !(na == 1000 && nb == 1000 && s == 0))
              continue;
            make_pair(a, na, b, nb, sigmas[s], sim);
            size_t want = ref_lev(a, na, b, nb), got = 12345;
            to_bytes(a, na, ab);
            to_bytes(b, nb, bb);
            ck_assert_int_eq(eng_levenshtein(ab, na, bb, nb, &got), 0);
            ck_assert_msg(got == want, "bytes na=%zu nb=%zu sigma=%u sim=%d: got %zu want %zu", na, nb,
                          sigmas[s], sim, got, want);
            eng_symbols sa = eng_symbols_u8(ab, na), sb = eng_symbols_u8(bb, nb);
            ck_assert_int_eq(eng_edit_distance(&sb, &sa, ENG_SEQ_NO_MAX, ws, &got), 0);
            ck_assert_uint_eq(got, want);
            for (size_t i = 0; i < na; i++)
              a2[i] = a[i] * 2654435761u + 0x80000001u;
            for (size_t j = 0; j < nb; j++)
              b2[j] = b[j] * 2654435761u + 0x80000001u;
            ck_assert_int_eq(eng_levenshtein_u32(a2, na, b2, nb, &got), 0);
            ck_assert_msg(got == want, "u32 na=%zu nb=%zu: got %zu want %zu", na, nb, got, want);
            size_t osa_want = ref_osa(a, na, b, nb);
            ck_assert_int_eq(eng_osa_distance(ab, na, bb, nb, &got), 0);
            ck_assert_msg(got == osa_want, "osa na=%zu nb=%zu sigma=%u: got %zu want %zu", na, nb,
                          sigmas[s], got, osa_want);
            eng_symbols ua = eng_symbols_u32(a2, na), ub = eng_symbols_u32(b2, nb);
            ck_assert_int_eq(eng_osa(&ua, &ub, ENG_SEQ_NO_MAX, ws, &got), 0);
            ck_assert_uint_eq(got, osa_want);
            cases++;
          }
  ck_assert_uint_gt(cases, 500);
  free(a);
  free(b);
  free(a2);
  free(b2);
  free(ab);
  free(bb);
  eng_seq_ws_destroy(ws);
}
END_TEST

/* Thousands of short random pairs (all lengths 0..140) for the single- and two-word paths. */
START_TEST(test_many_short)
{
  uint32_t a[160], b[160];
  unsigned char ab[160], bb[160];
  int n = 4000 / scale();
  for (int it = 0; it < n; it++) {
    size_t na = rnd() % 141, nb = rnd() % 141;
    unsigned sigma = it % 3 == 0 ? 2 : it % 3 == 1 ? 5 : 256;
    make_pair(a, na, b, nb, sigma, it & 1);
    to_bytes(a, na, ab);
    to_bytes(b, nb, bb);
    size_t got, want = ref_lev(a, na, b, nb);
    ck_assert_int_eq(eng_levenshtein(ab, na, bb, nb, &got), 0);
    ck_assert_msg(got == want, "na=%zu nb=%zu got %zu want %zu", na, nb, got, want);
    ck_assert_int_eq(eng_osa_distance(ab, na, bb, nb, &got), 0);
    ck_assert_uint_eq(got, ref_osa(a, na, b, nb));
  }
}
END_TEST

/* Thresholds just below, at and above the true distance, and far below. */
START_TEST(test_threshold)
{
  eng_seq_ws *ws;
  ck_assert_int_eq(eng_seq_ws_create(&ws), 0);
  uint32_t *a = malloc(1100 * 4), *b = malloc(1100 * 4);
  unsigned char *ab = malloc(1100), *bb = malloc(1100);
  int n = 600 / scale();
  for (int it = 0; it < n; it++) {
    size_t na = lens[rnd() % NLENS], nb = it % 4 ? lens[rnd() % NLENS] : na + rnd() % 5;
    if (na > 300 && nb > 300 && it % 8)
      nb = na = 130;
    unsigned sigma = it % 2 ? 4 : 256;
    make_pair(a, na, b, nb, sigma, it % 3 != 0);
    to_bytes(a, na, ab);
    to_bytes(b, nb, bb);
    size_t want = ref_lev(a, na, b, nb), osaw = ref_osa(a, na, b, nb);
    eng_symbols sa = eng_symbols_u8(ab, na), sb = eng_symbols_u8(bb, nb);
    size_t ks[5] = {want ? want - 1 : 0, want, want + 1, want / 2, 0};
    for (int q = 0; q < 5; q++) {
      size_t k = ks[q], got = 777;
      int rc = eng_edit_distance(&sa, &sb, k, ws, &got);
      if (want <= k) {
        ck_assert_msg(rc == 0 && got == want, "na=%zu nb=%zu k=%zu rc=%d got=%zu want=%zu", na, nb, k,
                      rc, got, want);
      } else {
        ck_assert_msg(rc == ENG_ECUTOFF && got == k + 1, "na=%zu nb=%zu k=%zu rc=%d got=%zu want=%zu",
                      na, nb, k, rc, got, want);
      }
      rc = eng_osa(&sa, &sb, k, NULL, &got);
      if (osaw <= k)
        ck_assert(rc == 0 && got == osaw);
      else
        ck_assert(rc == ENG_ECUTOFF && got == k + 1);
    }
  }
  free(a);
  free(b);
  free(ab);
  free(bb);
  eng_seq_ws_destroy(ws);
}
END_TEST

/* Alignment ops replayed over a give b, with cost equal to the distance. */
START_TEST(test_align)
{
  uint32_t a[400], b[400];
  unsigned char ab[400], bb[400], out[800];
  char ops[800];
  int n = 400 / scale();
  for (int it = 0; it < n; it++) {
    size_t na = rnd() % 300, nb = rnd() % 300;
    if (it % 5 == 0)
      na = 0;
    make_pair(a, na, b, nb, it % 2 ? 3 : 256, it % 3 != 0);
    to_bytes(a, na, ab);
    to_bytes(b, nb, bb);
    eng_symbols sa = eng_symbols_u8(ab, na), sb = eng_symbols_u8(bb, nb);
    size_t nops = 0, dist = 0, want = ref_lev(a, na, b, nb);
    ck_assert_int_eq(eng_edit_align(&sa, &sb, NULL, ops, &nops, &dist), 0);
    ck_assert_uint_eq(dist, want);
    ck_assert_uint_le(nops, na + nb);
    size_t i = 0, j = 0, o = 0, cost = 0;
    for (size_t q = 0; q < nops; q++) {
      switch (ops[q]) {
      case '=':
        ck_assert(i < na && j < nb && ab[i] == bb[j]);
        out[o++] = ab[i++];
        j++;
        break;
      case 'X':
        ck_assert(i < na && j < nb && ab[i] != bb[j]);
        out[o++] = bb[j++];
        i++;
        cost++;
        break;
      case 'I':
        ck_assert(j < nb);
        out[o++] = bb[j++];
        cost++;
        break;
      case 'D':
        ck_assert(i < na);
        i++;
        cost++;
        break;
      default:
        ck_abort_msg("bad op %c", ops[q]);
      }
    }
    ck_assert_uint_eq(i, na);
    ck_assert_uint_eq(o, nb);
    ck_assert(nb == 0 || memcmp(out, bb, nb) == 0);
    ck_assert_uint_eq(cost, want);
  }
}
END_TEST

START_TEST(test_cigar)
{
  char buf[64];
  size_t len;
  ck_assert_int_eq(eng_edit_cigar("===XIIDDD=", 10, buf, sizeof buf, &len), 0);
  ck_assert_str_eq(buf, "3=1X2I3D1=");
  ck_assert_uint_eq(len, 10);
  char many[1200];
  memset(many, '=', sizeof many);
  ck_assert_int_eq(eng_edit_cigar(many, sizeof many, buf, sizeof buf, &len), 0);
  ck_assert_str_eq(buf, "1200=");
  ck_assert_int_eq(eng_edit_cigar("=X", 2, buf, 4, &len), ENG_ERANGE);
  ck_assert_uint_eq(len, 4);
  ck_assert_int_eq(eng_edit_cigar("=Q", 2, buf, sizeof buf, &len), ENG_EINVAL);
  ck_assert_int_eq(eng_edit_cigar("", 0, buf, sizeof buf, &len), 0);
  ck_assert_str_eq(buf, "");
}
END_TEST

/* A byte sequence against u32 symbols compares by value; a workspace that grew
 * for a long pair still serves short ones. */
START_TEST(test_mixed_and_ws_reuse)
{
  eng_seq_ws *ws;
  ck_assert_int_eq(eng_seq_ws_create(&ws), 0);
  uint32_t a[300], b[300];
  unsigned char ab[300];
  for (int it = 0; it < 200; it++) {
    size_t na = (size_t)(it % 2 ? 300 - it : it), nb = (size_t)(rnd() % 300);
    make_pair(a, na, b, nb, 6, it % 3 == 0);
    to_bytes(a, na, ab);
    eng_symbols sa = eng_symbols_u8(ab, na), sb = eng_symbols_u32(b, nb);
    size_t got;
    ck_assert_int_eq(eng_edit_distance(&sa, &sb, ENG_SEQ_NO_MAX, ws, &got), 0);
    ck_assert_uint_eq(got, ref_lev(a, na, b, nb));
    ck_assert_int_eq(eng_osa(&sb, &sa, ENG_SEQ_NO_MAX, ws, &got), 0);
    ck_assert_uint_eq(got, ref_osa(b, nb, a, na));
  }
  ck_assert_uint_gt(eng_seq_ws_bytes(ws), 0);
  eng_seq_ws_destroy(ws);
}
END_TEST

/* b = a with substitutions, insertions and deletions at about one position in
 * `rate` (so alignments wander off the main diagonal, which the bands must follow). */
static size_t make_indel(const uint32_t *a, size_t na, uint32_t *b, size_t cap, unsigned sigma,
                         unsigned rate)
{
  size_t nb = 0;
  for (size_t i = 0; i < na && nb + 2 <= cap; i++) {
    uint64_t r = rnd() % (3 * (uint64_t)rate);
    if (r == 0) {
      b[nb++] = (uint32_t)(rnd() % sigma);
    } else if (r == 1) {
      b[nb++] = (uint32_t)(rnd() % sigma);
      b[nb++] = a[i];
    } else if (r != 2) {
      b[nb++] = a[i];
    }
  }
  return nb;
}

/* Every instruction-set level this CPU offers (the scalar one always), forced
 * through the workspace, on lengths around the 64-bit word and the 512-bit block
 * edges, with no threshold (the narrow-band, widened-band and full passes) and
 * with thresholds just below, at and above the distance and far below it. */
START_TEST(test_simd_levels)
{
  enum { CAP = 2600 };
  static const size_t slens[] = {0,   1,   15,  16,  17,  31,   32,   33,   63,   64,  65,
                                 127, 128, 129, 255, 256, 257,  300,  511,  512,  513, 700,
                                 1000, 1023, 1024, 1025, 1100};
  static const int levels[] = {ENG_SEQ_SIMD_SCALAR, ENG_SEQ_SIMD_AVX512};
  size_t nsl = sizeof slens / sizeof slens[0];
  eng_seq_ws *ws;
  ck_assert_int_eq(eng_seq_ws_create(&ws), 0);
  ck_assert_int_eq(eng_seq_ws_set_simd(ws, 7), ENG_EINVAL);
  ck_assert_int_eq(eng_seq_ws_set_simd(NULL, ENG_SEQ_SIMD_SCALAR), ENG_EINVAL);
  uint32_t *a = malloc(CAP * 4), *b = malloc(CAP * 4);
  unsigned char *ab = malloc(CAP), *bb = malloc(CAP);
  int sc = scale(), tested = 0;
  for (size_t lv = 0; lv < 2; lv++) {
    int rc = eng_seq_ws_set_simd(ws, levels[lv]);
    if (rc == ENG_ENOSYS)
      continue; /* this CPU lacks the level: the scalar one still runs */
    ck_assert_int_eq(rc, 0);
    ck_assert_int_eq(eng_seq_ws_simd(ws), levels[lv]);
    tested++;
    size_t cases = 0;
    for (int it = 0; it < 700 / sc; it++) {
      size_t na = slens[rnd() % nsl], nb;
      unsigned sigma = it % 3 == 0 ? 2 : it % 3 == 1 ? 4 : 256;
      int kind = it % 4;
      for (size_t i = 0; i < na; i++)
        a[i] = (uint32_t)(rnd() % sigma);
      if (kind == 0) {
        nb = slens[rnd() % nsl];
        for (size_t j = 0; j < nb; j++)
          b[j] = (uint32_t)(rnd() % sigma);
      } else {
        nb = make_indel(a, na, b, CAP, sigma, kind == 1 ? 8 : kind == 2 ? 30 : 200);
      }
      /* A few long similar pairs: several 512-row blocks and a band that moves. */
      if (it % 50 == 7 && sc == 1) {
        na = 1800 + rnd() % 400;
        for (size_t i = 0; i < na; i++)
          a[i] = (uint32_t)(rnd() % sigma);
        nb = make_indel(a, na, b, CAP, sigma, it % 100 == 7 ? 15 : 60);
      }
      to_bytes(a, na, ab);
      to_bytes(b, nb, bb);
      size_t want = ref_lev(a, na, b, nb), got = 777;
      eng_symbols sa = eng_symbols_u8(ab, na), sb = eng_symbols_u8(bb, nb);
      eng_symbols ua = eng_symbols_u32(a, na), ub = eng_symbols_u32(b, nb);
      ck_assert_int_eq(eng_edit_distance(&sa, &sb, ENG_SEQ_NO_MAX, ws, &got), 0);
      ck_assert_msg(got == want, "level %d na=%zu nb=%zu sigma=%u: got %zu want %zu", levels[lv],
                    na, nb, sigma, got, want);
      ck_assert_int_eq(eng_edit_distance(&ub, &ua, ENG_SEQ_NO_MAX, ws, &got), 0);
      ck_assert_msg(got == want, "u32 level %d na=%zu nb=%zu: got %zu want %zu", levels[lv], na,
                    nb, got, want);
      size_t ks[4] = {want ? want - 1 : 0, want, want + 1, want / 2};
      for (int q = 0; q < 4; q++) {
        size_t k = ks[q];
        got = 777;
        rc = eng_edit_distance(q % 2 ? &ua : &sa, q % 2 ? &ub : &sb, k, ws, &got);
        if (want <= k)
          ck_assert_msg(rc == 0 && got == want, "level %d na=%zu nb=%zu k=%zu: rc %d got %zu want %zu",
                        levels[lv], na, nb, k, rc, got, want);
        else
          ck_assert_msg(rc == ENG_ECUTOFF && got == k + 1,
                        "level %d na=%zu nb=%zu k=%zu: rc %d got %zu want %zu", levels[lv], na, nb,
                        k, rc, got, want);
      }
      cases++;
    }
    ck_assert_uint_gt(cases, 100 / (size_t)sc);
    /* A block deleted at one place and as many random symbols inserted further
     * on: alignments leave the main diagonal by `shift` and come back, so narrow
     * bands fail with an over-estimate and the wider passes must finish. */
    static const size_t shifts[] = {20, 60, 63, 64, 65, 100, 130, 200};
    for (size_t q = 0; q < sizeof shifts / sizeof shifts[0]; q++)
      for (unsigned sg = 0; sg < 2; sg++) {
        size_t na = 700 + 37 * q, sh = shifts[q], cut = 150, ins = 500, nb = 0;
        unsigned sigma = sg ? 256 : 4;
        for (size_t i = 0; i < na; i++)
          a[i] = (uint32_t)(rnd() % sigma);
        for (size_t i = 0; i < na; i++) {
          if (i == ins)
            for (size_t r = 0; r < sh; r++)
              b[nb++] = (uint32_t)(rnd() % sigma);
          if (i < cut || i >= cut + sh)
            b[nb++] = a[i];
        }
        to_bytes(a, na, ab);
        to_bytes(b, nb, bb);
        size_t want = ref_lev(a, na, b, nb), got = 777;
        eng_symbols sa = eng_symbols_u8(ab, na), sb = eng_symbols_u8(bb, nb);
        ck_assert_int_eq(eng_edit_distance(&sa, &sb, ENG_SEQ_NO_MAX, ws, &got), 0);
        ck_assert_msg(got == want, "shift level %d na=%zu nb=%zu sh=%zu: got %zu want %zu",
                      levels[lv], na, nb, sh, got, want);
        for (size_t k = want > 2 ? want - 2 : 0; k <= want + 2; k++) {
          rc = eng_edit_distance(&sb, &sa, k, ws, &got);
          ck_assert_msg(want <= k ? (rc == 0 && got == want) : (rc == ENG_ECUTOFF && got == k + 1),
                        "shift level %d sh=%zu k=%zu: rc %d got %zu want %zu", levels[lv], sh, k,
                        rc, got, want);
        }
      }
  }
  ck_assert_int_ge(tested, 1);
  ck_assert_int_eq(eng_seq_ws_set_simd(ws, ENG_SEQ_SIMD_AUTO), 0);
  free(a);
  free(b);
  free(ab);
  free(bb);
  eng_seq_ws_destroy(ws);
}
END_TEST

/* Short pairs at every instruction-set level: all lengths 0..20 and the word
 * edges, odd and even text lengths (the two halves of the text differ by one
 * column when the length is odd), with shared prefixes and suffixes that the
 * kernels strip, and u32 symbols that agree in some bytes but not all. */
START_TEST(test_short_edges)
{
  static const size_t el[] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12,  13,  14,  15,
                              16, 17, 18, 19, 20, 31, 32, 33, 47, 63, 64, 65, 100, 127, 128, 129};
  static const int levels[] = {ENG_SEQ_SIMD_SCALAR, ENG_SEQ_SIMD_AVX512};
  size_t nel = sizeof el / sizeof el[0];
  eng_seq_ws *ws;
  ck_assert_int_eq(eng_seq_ws_create(&ws), 0);
  uint32_t a[200], b[200], a2[200], b2[200];
  unsigned char ab[200], bb[200];
  int sc = scale();
  for (size_t lv = 0; lv < 2; lv++) {
    if (eng_seq_ws_set_simd(ws, levels[lv]) == ENG_ENOSYS)
      continue;
    for (size_t x = 0; x < nel; x++)
      for (size_t y = 0; y < nel; y++)
        for (int kind = 0; kind < 4; kind += sc > 1 ? 2 : 1) {
          size_t na = el[x], nb = el[y];
          unsigned sigma = kind == 0 ? 2 : kind == 1 ? 4 : 256;
          make_pair(a, na, b, nb, sigma, kind & 1);
          if (kind == 3 && na > 4 && nb > 4) {
            /* a shared head and tail around unrelated middles */
            for (size_t i = 0; i < 3; i++) {
              b[i] = a[i];
              b[nb - 1 - i] = a[na - 1 - i];
            }
          }
          to_bytes(a, na, ab);
          to_bytes(b, nb, bb);
          size_t want = ref_lev(a, na, b, nb), got = 777;
          eng_symbols sa = eng_symbols_u8(ab, na), sb = eng_symbols_u8(bb, nb);
          ck_assert_int_eq(eng_edit_distance(&sa, &sb, ENG_SEQ_NO_MAX, ws, &got), 0);
          ck_assert_msg(got == want, "level %d na=%zu nb=%zu kind=%d: got %zu want %zu",
                        levels[lv], na, nb, kind, got, want);
          ck_assert_int_eq(eng_edit_distance(&sb, &sa, ENG_SEQ_NO_MAX, ws, &got), 0);
          ck_assert_uint_eq(got, want);
          size_t ks[3] = {want ? want - 1 : 0, want, want + 1};
          for (int q = 0; q < 3; q++) {
            int rc = eng_edit_distance(&sa, &sb, ks[q], ws, &got);
            if (want <= ks[q])
              ck_assert(rc == 0 && got == want);
            else
              ck_assert(rc == ENG_ECUTOFF && got == ks[q] + 1);
          }
          /* u32: equal low bytes, symbols told apart by the high byte only */
          for (size_t i = 0; i < na; i++)
            a2[i] = 0x41u | (a[i] << 24);
          for (size_t j = 0; j < nb; j++)
            b2[j] = 0x41u | (b[j] << 24);
          eng_symbols ua = eng_symbols_u32(a2, na), ub = eng_symbols_u32(b2, nb);
          ck_assert_int_eq(eng_edit_distance(&ua, &ub, ENG_SEQ_NO_MAX, ws, &got), 0);
          ck_assert_msg(got == want, "u32 level %d na=%zu nb=%zu: got %zu want %zu", levels[lv], na,
                        nb, got, want);
        }
  }
  /* Equal strings, and strings equal but for one end. */
  unsigned char s1[300], s2[300];
  for (size_t i = 0; i < sizeof s1; i++)
    s1[i] = s2[i] = (unsigned char)(rnd() % 3);
  size_t d = 99;
  ck_assert_int_eq(eng_levenshtein(s1, 300, s2, 300, &d), 0);
  ck_assert_uint_eq(d, 0);
  ck_assert_int_eq(eng_levenshtein(s1, 300, s2, 299, &d), 0);
  ck_assert_uint_eq(d, 1);
  ck_assert_int_eq(eng_levenshtein(s1 + 1, 299, s2, 300, &d), 0);
  ck_assert_uint_eq(d, 1);
  s2[150] = (unsigned char)(s2[150] + 1);
  ck_assert_int_eq(eng_levenshtein(s1, 300, s2, 300, &d), 0);
  ck_assert_uint_eq(d, 1);
  eng_seq_ws_destroy(ws);
}
END_TEST

/* Long strings take the banded path with several widening passes. */
START_TEST(test_long)
{
  size_t n = 3000;
  uint32_t *a = malloc(n * 4), *b = malloc(n * 4);
  unsigned char *ab = malloc(n), *bb = malloc(n);
  for (int it = 0; it < 3; it++) {
    size_t na = n - (size_t)it * 700, nb = n;
    make_pair(a, na, b, nb, it == 1 ? 2 : 256, it != 2);
    to_bytes(a, na, ab);
    to_bytes(b, nb, bb);
    size_t got, want = ref_lev(a, na, b, nb);
    ck_assert_int_eq(eng_levenshtein(ab, na, bb, nb, &got), 0);
    ck_assert_uint_eq(got, want);
  }
  free(a);
  free(b);
  free(ab);
  free(bb);
}
END_TEST

/* A short pattern against a text far longer than 2^16: distances past what a
 * 16-bit lane holds, at every instruction set. */
START_TEST(test_short_pattern_long_text)
{
  static const size_t ms[] = {1, 5, 16, 17, 64, 65};
  static const int levels[] = {ENG_SEQ_SIMD_SCALAR, ENG_SEQ_SIMD_AVX512};
  size_t n = 70001;
  uint32_t a[65], *b = malloc(n * 4);
  unsigned char ab[65], *bb = malloc(n);
  eng_seq_ws *ws;
  ck_assert_int_eq(eng_seq_ws_create(&ws), 0);
  for (size_t x = 0; x < sizeof ms / sizeof ms[0]; x++) {
    size_t m = ms[x];
    make_pair(a, m, b, n, 4, 0);
    to_bytes(a, m, ab);
    to_bytes(b, n, bb);
    size_t want = ref_lev(a, m, b, n);
    ck_assert_uint_ge(want, n - m);
    for (size_t lv = 0; lv < 2; lv++) {
      if (eng_seq_ws_set_simd(ws, levels[lv]) == ENG_ENOSYS)
        continue;
      eng_symbols sa = eng_symbols_u8(ab, m), sb = eng_symbols_u8(bb, n);
      size_t got = 0;
      ck_assert_int_eq(eng_edit_distance(&sa, &sb, ENG_SEQ_NO_MAX, ws, &got), 0);
      ck_assert_msg(got == want, "level %d m=%zu: got %zu want %zu", levels[lv], m, got, want);
    }
  }
  eng_seq_ws_destroy(ws);
  free(b);
  free(bb);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("edit");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_known);
  tcase_add_test(tc, test_bad_input);
  tcase_add_test(tc, test_random_vs_dp);
  tcase_add_test(tc, test_many_short);
  tcase_add_test(tc, test_threshold);
  tcase_add_test(tc, test_align);
  tcase_add_test(tc, test_cigar);
  tcase_add_test(tc, test_long);
  tcase_add_test(tc, test_mixed_and_ws_reuse);
  tcase_add_test(tc, test_simd_levels);
  tcase_add_test(tc, test_short_edges);
  tcase_add_test(tc, test_short_pattern_long_text);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
