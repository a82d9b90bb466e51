/* check_lcs.c: LCS length and recovery against a plain O(nm) dynamic program. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/sequence.h"

static uint64_t rng_state = 0x2545F4914F6CDD1Dull;
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

/* Textbook LCS table, two rows. */
static size_t ref_lcs(const uint32_t *a, size_t na, const uint32_t *b, size_t nb)
{
  size_t *prev = calloc(nb + 1, sizeof *prev), *cur = calloc(nb + 1, sizeof *cur);
  for (size_t i = 1; i <= na; i++) {
    cur[0] = 0;
    for (size_t j = 1; j <= nb; j++) {
      if (a[i - 1] == b[j - 1])
        cur[j] = prev[j - 1] + 1;
      else
        cur[j] = prev[j] > cur[j - 1] ? prev[j] : cur[j - 1];
    }
    size_t *t = prev;
    prev = cur;
    cur = t;
  }
  size_t r = prev[nb];
  free(prev);
  free(cur);
  return r;
}

static const size_t lens[] = {0, 1, 2, 63, 64, 65, 127, 128, 129, 300, 1000};
#define NLENS (sizeof lens / sizeof lens[0])

static void make_pair(uint32_t *a, size_t na, uint32_t *b, size_t nb, unsigned sigma, int similar)
{
  for (size_t i = 0; i < na; i++)
    a[i] = (uint32_t)(rnd() % sigma);
  for (size_t j = 0; j < nb; j++)
    b[j] = (similar && j < na && rnd() % 10) ? a[j] : (uint32_t)(rnd() % sigma);
}

START_TEST(test_known)
{
  size_t len = 99;
  ck_assert_int_eq(eng_lcs_length((const unsigned char *)"ABCBDAB", 7, (const unsigned char *)"BDCABA", 6, &len), 0);
  ck_assert_uint_eq(len, 4); /* CLRS: "BCBA" */
  eng_lcs_length((const unsigned char *)"AGGTAB", 6, (const unsigned char *)"GXTXAYB", 7, &len);
  ck_assert_uint_eq(len, 4); /* "GTAB" */
  eng_lcs_length(NULL, 0, (const unsigned char *)"abc", 3, &len);
  ck_assert_uint_eq(len, 0);
  ck_assert_int_eq(eng_lcs_length(NULL, 2, (const unsigned char *)"abc", 3, &len), ENG_EINVAL);
  ck_assert_int_eq(eng_lcs_length((const unsigned char *)"a", 1, (const unsigned char *)"abc", 3, NULL), ENG_EINVAL);
  eng_symbols s = eng_symbols_u8((const unsigned char *)"x", 1);
  ck_assert_int_eq(eng_lcs_sequence(&s, NULL, NULL, NULL, NULL, &len), ENG_EINVAL);
}
END_TEST

START_TEST(test_random_vs_dp)
{
  eng_seq_ws *ws;
  ck_assert_int_eq(eng_seq_ws_create(&ws), 0);
  uint32_t *a = malloc(1100 * 4), *b = malloc(1100 * 4), *a2 = malloc(1100 * 4), *b2 = malloc(1100 * 4);
  unsigned char *ab = malloc(1100), *bb = malloc(1100);
  static const unsigned sigmas[] = {2, 4, 256};
  size_t cases = 0;
  for (size_t x = 0; x < NLENS; x++)
    for (size_t y = 0; y < NLENS; y++)
      for (unsigned s = 0; s < 3; s++)
        for (int sim = 0; sim < 2; sim++) {
          size_t na = lens[x], nb = lens[y];
          make_pair(a, na, b, nb, sigmas[s], sim);
          for (size_t i = 0; i < na; i++)
            ab[i] = (unsigned char)a[i], a2[i] = a[i] * 0x9E3779B1u + 7;
          for (size_t j = 0; j < nb; j++)
            bb[j] = (unsigned char)b[j], b2[j] = b[j] * 0x9E3779B1u + 7;
          size_t want = ref_lcs(a, na, b, nb), got = 4242;
          ck_assert_int_eq(eng_lcs_length(ab, na, bb, nb, &got), 0);
          ck_assert_msg(got == want, "na=%zu nb=%zu sigma=%u: got %zu want %zu", na, nb, sigmas[s], got, want);
          eng_symbols sa = eng_symbols_u8(ab, na), sb = eng_symbols_u8(bb, nb);
          ck_assert_int_eq(eng_lcs(&sb, &sa, ws, &got), 0);
          ck_assert_uint_eq(got, want);
          ck_assert_int_eq(eng_lcs_length_u32(a2, na, b2, nb, &got), 0);
          ck_assert_uint_eq(got, want);
          cases++;
        }
  ck_assert_uint_gt(cases, 700);
  free(a);
  free(b);
  free(a2);
  free(b2);
  free(ab);
  free(bb);
  eng_seq_ws_destroy(ws);
}
END_TEST

START_TEST(test_many_short)
{
  uint32_t a[200], b[200];
  unsigned char ab[200], bb[200];
  int n = 4000 / scale();
  for (int it = 0; it < n; it++) {
    size_t na = rnd() % 200, nb = rnd() % 200;
    make_pair(a, na, b, nb, it % 2 ? 3 : 256, it % 3 == 0);
    for (size_t i = 0; i < na; i++)
      ab[i] = (unsigned char)a[i];
    for (size_t j = 0; j < nb; j++)
      bb[j] = (unsigned char)b[j];
    size_t got;
    ck_assert_int_eq(eng_lcs_length(ab, na, bb, nb, &got), 0);
    ck_assert_uint_eq(got, ref_lcs(a, na, b, nb));
  }
}
END_TEST

/* The recovered LCS is a common subsequence of the right length. */
START_TEST(test_sequence)
{
  uint32_t a[500], b[500];
  size_t ia[500], ib[500];
  int n = 300 / scale();
  for (int it = 0; it < n; it++) {
    size_t na = rnd() % 400, nb = rnd() % 400;
    make_pair(a, na, b, nb, it % 2 ? 2 : 300, it % 3 == 0);
    eng_symbols sa = eng_symbols_u32(a, na), sb = eng_symbols_u32(b, nb);
    size_t len = 0, want = ref_lcs(a, na, b, nb);
    ck_assert_int_eq(eng_lcs_sequence(&sa, &sb, NULL, ia, ib, &len), 0);
    ck_assert_uint_eq(len, want);
    for (size_t t = 0; t < len; t++) {
      ck_assert(ia[t] < na && ib[t] < nb);
      ck_assert_uint_eq(a[ia[t]], b[ib[t]]);
      if (t) {
        ck_assert(ia[t] > ia[t - 1]);
        ck_assert(ib[t] > ib[t - 1]);
      }
    }
  }
}
END_TEST

START_TEST(test_long)
{
  size_t n = 5000;
  uint32_t *a = malloc(n * 4), *b = malloc(n * 4);
  unsigned char *ab = malloc(n), *bb = malloc(n);
  make_pair(a, n, b, n - 37, 4, 1);
  for (size_t i = 0; i < n; i++)
    ab[i] = (unsigned char)a[i], bb[i] = (unsigned char)b[i];
  size_t got;
  ck_assert_int_eq(eng_lcs_length(ab, n, bb, n - 37, &got), 0);
  ck_assert_uint_eq(got, ref_lcs(a, n, b, n - 37));
  free(a);
  free(b);
  free(ab);
  free(bb);
}
END_TEST

/* Every instruction-set level this CPU offers (the scalar one always), forced
 * through the workspace, on lengths around the 64-bit word and the 512-bit block
 * edges, alphabets 2, 4 and 256, bytes and u32 symbols. */
START_TEST(test_simd_levels)
{
  enum { CAP = 2200 };
  static const size_t slens[] = {1,   63,  64,  65,  255, 256,  257,  300,  511,  512,
                                 513, 700, 1000, 1023, 1024, 1025, 1100, 1537, 2100};
  static const int levels[] = {ENG_SEQ_SIMD_SCALAR, ENG_SEQ_SIMD_AVX512};
  size_t nsl = sizeof slens / sizeof slens[0];
  eng_seq_ws *ws;
  ck_assert_int_eq(eng_seq_ws_create(&ws), 0);
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
    for (int it = 0; it < 300 / sc; it++) {
      size_t na = slens[rnd() % nsl], nb = slens[rnd() % nsl];
      if (na > 1100 && nb > 1100 && it % 4)
        nb = 300;
      unsigned sigma = it % 3 == 0 ? 2 : it % 3 == 1 ? 4 : 256;
      make_pair(a, na, b, nb, sigma, it % 2);
      for (size_t i = 0; i < na; i++)
        ab[i] = (unsigned char)a[i];
      for (size_t j = 0; j < nb; j++)
        bb[j] = (unsigned char)b[j];
      size_t want = ref_lcs(a, na, b, nb), got = 4242;
      eng_symbols sa = eng_symbols_u8(ab, na), sb = eng_symbols_u8(bb, nb);
      eng_symbols ua = eng_symbols_u32(a, na), ub = eng_symbols_u32(b, nb);
      ck_assert_int_eq(eng_lcs(&sa, &sb, ws, &got), 0);
      ck_assert_msg(got == want, "level %d na=%zu nb=%zu sigma=%u: got %zu want %zu", levels[lv],
                    na, nb, sigma, got, want);
      ck_assert_int_eq(eng_lcs(&ub, &ua, ws, &got), 0);
      ck_assert_msg(got == want, "u32 level %d na=%zu nb=%zu: got %zu want %zu", levels[lv], na,
                    nb, got, want);
    }
  }
  ck_assert_int_ge(tested, 1);
  free(a);
  free(b);
  free(ab);
  free(bb);
  eng_seq_ws_destroy(ws);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("lcs");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_known);
  tcase_add_test(tc, test_random_vs_dp);
  tcase_add_test(tc, test_many_short);
  tcase_add_test(tc, test_sequence);
  tcase_add_test(tc, test_long);
  tcase_add_test(tc, test_simd_levels);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
