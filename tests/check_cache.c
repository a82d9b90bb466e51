/* check_cache.c: the sequence result cache: verified hits, counters, LRU order, byte bound, threads. */
#include <check.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/sequence.h"

#define U8(s) eng_symbols_u8((const unsigned char *)(s), strlen(s))

START_TEST(test_get_put)
{
  eng_seq_cache *c;
  ck_assert_int_eq(eng_seq_cache_create(&c, 16, 1 << 20), 0);
  eng_symbols a = U8("abcd"), b = U8("abce"), b2 = U8("abcf");
  int64_t r = -1;
  ck_assert_int_eq(eng_seq_cache_get(c, ENG_CACHE_EDIT, 0, &a, &b, &r), ENG_ENOENT);
  ck_assert_int_eq(eng_seq_cache_put(c, ENG_CACHE_EDIT, 0, &a, &b, 1), 0);
  ck_assert_int_eq(eng_seq_cache_get(c, ENG_CACHE_EDIT, 0, &a, &b, &r), 0);
  ck_assert_int_eq(r, 1);
  /* Same lengths, different content: never the stored result. */
  ck_assert_int_eq(eng_seq_cache_get(c, ENG_CACHE_EDIT, 0, &a, &b2, &r), ENG_ENOENT);
  /* Another algorithm or parameter is another key. */
  ck_assert_int_eq(eng_seq_cache_get(c, ENG_CACHE_LCS, 0, &a, &b, &r), ENG_ENOENT);
  ck_assert_int_eq(eng_seq_cache_get(c, ENG_CACHE_EDIT, 5, &a, &b, &r), ENG_ENOENT);
  /* The same bytes as u32 symbols are a different input. */
  uint32_t wa[1] = {0x64636261u};
  eng_symbols ua = eng_symbols_u32(wa, 1);
  ck_assert_int_eq(eng_seq_cache_get(c, ENG_CACHE_EDIT, 0, &ua, &b, &r), ENG_ENOENT);
  /* Replacing an equal key keeps one entry. */
  ck_assert_int_eq(eng_seq_cache_put(c, ENG_CACHE_EDIT, 0, &a, &b, 7), 0);
  ck_assert_int_eq(eng_seq_cache_get(c, ENG_CACHE_EDIT, 0, &a, &b, &r), 0);
  ck_assert_int_eq(r, 7);
  eng_seq_cache_stats st;
  eng_seq_cache_stats_get(c, &st);
  ck_assert_uint_eq(st.hits, 2);
  ck_assert_uint_eq(st.misses, 5);
  ck_assert_uint_eq(st.entries, 1);
  ck_assert_uint_eq(st.inserts, 1);
  eng_seq_cache_clear(c);
  ck_assert_int_eq(eng_seq_cache_get(c, ENG_CACHE_EDIT, 0, &a, &b, &r), ENG_ENOENT);
  eng_seq_cache_stats_get(c, &st);
  ck_assert_uint_eq(st.entries, 0);
  ck_assert_uint_eq(st.bytes, 0);
  eng_seq_cache_destroy(c);
  eng_seq_cache_destroy(NULL);
  ck_assert_int_eq(eng_seq_cache_create(&c, 0, 100), ENG_EINVAL);
  ck_assert_int_eq(eng_seq_cache_create(NULL, 1, 100), ENG_EINVAL);
}
END_TEST

START_TEST(test_cached_kernels)
{
  eng_seq_cache *c;
  ck_assert_int_eq(eng_seq_cache_create(&c, 64, 1 << 20), 0);
  eng_symbols x = U8("aaaa"), y = U8("aaab"), z = U8("abab");
  size_t d;
  ck_assert_int_eq(eng_edit_distance_cached(c, &x, &x, ENG_SEQ_NO_MAX, NULL, &d), 0);
  ck_assert_uint_eq(d, 0);
  ck_assert_int_eq(eng_edit_distance_cached(c, &x, &y, ENG_SEQ_NO_MAX, NULL, &d), 0);
  ck_assert_uint_eq(d, 1);
  ck_assert_int_eq(eng_edit_distance_cached(c, &x, &z, ENG_SEQ_NO_MAX, NULL, &d), 0);
  ck_assert_uint_eq(d, 2);
  ck_assert_int_eq(eng_edit_distance_cached(c, &x, &y, ENG_SEQ_NO_MAX, NULL, &d), 0);
  ck_assert_uint_eq(d, 1);
  /* A stored exact distance answers a threshold query too. */
  ck_assert_int_eq(eng_edit_distance_cached(c, &x, &z, 1, NULL, &d), ENG_ECUTOFF);
  ck_assert_uint_eq(d, 2);
  ck_assert_int_eq(eng_lcs_cached(c, &x, &z, NULL, &d), 0);
  ck_assert_uint_eq(d, 2);
  ck_assert_int_eq(eng_lcs_cached(c, &x, &z, NULL, &d), 0);
  ck_assert_uint_eq(d, 2);
  eng_symbols ab = U8("ab"), ba = U8("ba");
  ck_assert_int_eq(eng_osa_cached(c, &ab, &ba, ENG_SEQ_NO_MAX, NULL, &d), 0);
  ck_assert_uint_eq(d, 1);
  ck_assert_int_eq(eng_osa_cached(c, &ab, &ba, ENG_SEQ_NO_MAX, NULL, &d), 0);
  ck_assert_uint_eq(d, 1);
  eng_seq_cache_stats st;
  eng_seq_cache_stats_get(c, &st);
  ck_assert_uint_eq(st.hits, 4);
  ck_assert_uint_eq(st.misses, 5);
  ck_assert_uint_eq(st.entries, 5);
  /* NULL cache: plain computation. */
  ck_assert_int_eq(eng_edit_distance_cached(NULL, &x, &z, ENG_SEQ_NO_MAX, NULL, &d), 0);
  ck_assert_uint_eq(d, 2);
  eng_seq_cache_destroy(c);
}
END_TEST

START_TEST(test_lru_order)
{
  eng_seq_cache *c;
  ck_assert_int_eq(eng_seq_cache_create(&c, 3, 1 << 20), 0);
  eng_symbols k[4] = {U8("k1"), U8("k2"), U8("k3"), U8("k4")}, e = U8("");
  int64_t r;
  for (int i = 0; i < 3; i++)
    ck_assert_int_eq(eng_seq_cache_put(c, 1, 0, &k[i], &e, i), 0);
  ck_assert_int_eq(eng_seq_cache_get(c, 1, 0, &k[0], &e, &r), 0); /* k1 becomes most recent */
  ck_assert_int_eq(eng_seq_cache_put(c, 1, 0, &k[3], &e, 3), 0);  /* evicts k2, the LRU */
  ck_assert_int_eq(eng_seq_cache_get(c, 1, 0, &k[1], &e, &r), ENG_ENOENT);
  ck_assert_int_eq(eng_seq_cache_get(c, 1, 0, &k[0], &e, &r), 0);
  ck_assert_int_eq(r, 0);
  ck_assert_int_eq(eng_seq_cache_get(c, 1, 0, &k[2], &e, &r), 0);
  ck_assert_int_eq(eng_seq_cache_get(c, 1, 0, &k[3], &e, &r), 0);
  ck_assert_int_eq(r, 3);
  /* Now k1 is the LRU (k3, k4 touched after it). */
  ck_assert_int_eq(eng_seq_cache_put(c, 1, 0, &k[1], &e, 1), 0);
  ck_assert_int_eq(eng_seq_cache_get(c, 1, 0, &k[0], &e, &r), ENG_ENOENT);
  eng_seq_cache_stats st;
  eng_seq_cache_stats_get(c, &st);
  ck_assert_uint_eq(st.evictions, 2);
  ck_assert_uint_eq(st.entries, 3);
  eng_seq_cache_destroy(c);
}
END_TEST

START_TEST(test_byte_bound)
{
  eng_seq_cache *c;
  static unsigned char big[4096];
  memset(big, 'x', sizeof big);
  ck_assert_int_eq(eng_seq_cache_create(&c, 1000, 3000), 0);
  eng_symbols e = U8(""), huge = eng_symbols_u8(big, sizeof big);
  ck_assert_int_eq(eng_seq_cache_put(c, 1, 0, &huge, &e, 1), ENG_ERANGE);
  eng_symbols k = eng_symbols_u8(big, 1000);
  for (int i = 0; i < 10; i++) {
    big[0] = (unsigned char)i;
    ck_assert_int_eq(eng_seq_cache_put(c, 1, 0, &k, &e, i), 0);
    eng_seq_cache_stats st;
    eng_seq_cache_stats_get(c, &st);
    ck_assert_uint_le(st.bytes, 3000);
  }
  eng_seq_cache_stats st;
  eng_seq_cache_stats_get(c, &st);
  ck_assert_uint_eq(st.entries, 2);
  ck_assert_uint_eq(st.evictions, 8);
  int64_t r;
  big[0] = 9;
  ck_assert_int_eq(eng_seq_cache_get(c, 1, 0, &k, &e, &r), 0);
  ck_assert_int_eq(r, 9);
  big[0] = 0;
  ck_assert_int_eq(eng_seq_cache_get(c, 1, 0, &k, &e, &r), ENG_ENOENT);
  eng_seq_cache_destroy(c);
}
END_TEST

typedef struct targ {
  eng_seq_cache *c;
  int id, bad;
} targ;

static void *worker(void *p)
{
  targ *t = p;
  unsigned char a[8], b[8];
  unsigned s = 12345u + (unsigned)t->id;
  for (int it = 0; it < 20000; it++) {
    for (int i = 0; i < 8; i++) {
      s = s * 1103515245u + 12345u;
      a[i] = (unsigned char)('a' + (s >> 16) % 2);
      b[i] = (unsigned char)('a' + (s >> 20) % 2);
    }
    eng_symbols sa = eng_symbols_u8(a, 8), sb = eng_symbols_u8(b, 8);
    size_t d1, d2;
    eng_edit_distance_cached(t->c, &sa, &sb, ENG_SEQ_NO_MAX, NULL, &d1);
    eng_levenshtein(a, 8, b, 8, &d2);
    if (d1 != d2)
      t->bad++;
  }
  return NULL;
}

START_TEST(test_threads)
{
  eng_seq_cache *c;
  ck_assert_int_eq(eng_seq_cache_create(&c, 500, 1 << 20), 0);
  pthread_t th[2];
  targ ta[2] = {{c, 0, 0}, {c, 1, 0}};
  for (int i = 0; i < 2; i++)
    pthread_create(&th[i], NULL, worker, &ta[i]);
  for (int i = 0; i < 2; i++)
    pthread_join(th[i], NULL);
  ck_assert_int_eq(ta[0].bad + ta[1].bad, 0);
  eng_seq_cache_stats st;
  eng_seq_cache_stats_get(c, &st);
  ck_assert_uint_eq(st.hits + st.misses, 40000);
  ck_assert_uint_gt(st.hits, 0);
  ck_assert_uint_le(st.entries, 500);
  eng_seq_cache_destroy(c);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("cache");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_get_put);
  tcase_add_test(tc, test_cached_kernels);
  tcase_add_test(tc, test_lru_order);
  tcase_add_test(tc, test_byte_bound);
  tcase_add_test(tc, test_threads);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
