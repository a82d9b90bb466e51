/* check_embed.c: delay embedding (copy and view) checked index by index. */
#include <check.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>

#include "engine/dynamics.h"

START_TEST(rows)
{
  ck_assert_uint_eq(eng_embed_rows(10, 3, 2), 6);
  ck_assert_uint_eq(eng_embed_rows(10, 1, 5), 10);
  ck_assert_uint_eq(eng_embed_rows(5, 3, 2), 1);
  ck_assert_uint_eq(eng_embed_rows(4, 3, 2), 0);
  ck_assert_uint_eq(eng_embed_rows(10, 0, 2), 0);
  ck_assert_uint_eq(eng_embed_rows(10, 2, 0), 0);
  ck_assert_uint_eq(eng_embed_rows(SIZE_MAX, UINT_MAX, UINT_MAX), SIZE_MAX - (size_t)(UINT_MAX - 1) * UINT_MAX);
  ck_assert_uint_eq(eng_embed_rows(100, UINT_MAX, UINT_MAX), 0);
}
END_TEST

START_TEST(copy_by_hand)
{
  double x[10], out[18];
  size_t rows = 0;
  for (int i = 0; i < 10; i++) x[i] = 100 + i;
  ck_assert_int_eq(eng_embed(x, 10, 3, 2, out, &rows), 0);
  ck_assert_uint_eq(rows, 6);
  /* Row i = (x[i], x[i+2], x[i+4]). */
  const double want[18] = {100, 102, 104, 101, 103, 105, 102, 104, 106,
                           103, 105, 107, 104, 106, 108, 105, 107, 109};
  for (int k = 0; k < 18; k++) ck_assert_double_eq(out[k], want[k]);
}
END_TEST

START_TEST(view_matches_copy)
{
  double x[50], out[50 * 4];
  size_t rows;
  for (int i = 0; i < 50; i++) x[i] = sin(0.3 * i) + i;
  eng_embedding v;
  ck_assert_int_eq(eng_embed_view(x, 50, 4, 3, &v), 0);
  ck_assert_uint_eq(v.rows, 41);
  ck_assert_uint_eq(v.stride, 3);
  ck_assert_uint_eq(v.m, 4);
  ck_assert_ptr_eq(v.base, x);
  ck_assert_int_eq(eng_embed(x, 50, 4, 3, out, &rows), 0);
  ck_assert_uint_eq(rows, v.rows);
  for (size_t i = 0; i < rows; i++)
    for (unsigned j = 0; j < 4; j++) {
      ck_assert_double_eq(eng_embedding_at(&v, i, j), out[i * 4 + j]);
      ck_assert_double_eq(out[i * 4 + j], x[i + 3 * j]);
    }
}
END_TEST

START_TEST(errors)
{
  double x[6] = {1, 2, 3, 4, 5, 6}, out[64];
  size_t rows = 99;
  eng_embedding v;
  ck_assert_int_eq(eng_embed(x, 6, 0, 1, out, &rows), ENG_EINVAL);
  ck_assert_int_eq(eng_embed(x, 6, 2, 0, out, &rows), ENG_EINVAL);
  ck_assert_int_eq(eng_embed(NULL, 6, 2, 1, out, &rows), ENG_EINVAL);
  ck_assert_int_eq(eng_embed(x, 6, 2, 1, NULL, &rows), ENG_EINVAL);
  ck_assert_int_eq(eng_embed(x, 6, 4, 2, out, &rows), ENG_ESHORT);
  ck_assert_int_eq(eng_embed(x, 0, 1, 1, out, &rows), ENG_ESHORT);
  ck_assert_int_eq(eng_embed_view(x, 6, 7, 1, &v), ENG_ESHORT);
  ck_assert_int_eq(eng_embed_view(x, 6, 0, 1, &v), ENG_EINVAL);
  x[5] = INFINITY;
  ck_assert_int_eq(eng_embed(x, 6, 2, 1, out, &rows), ENG_ENAN);
  x[5] = NAN;
  ck_assert_int_eq(eng_embed(x, 6, 2, 1, out, &rows), ENG_ENAN);
  ck_assert_uint_eq(rows, 99);
  /* Exactly one row fits. */
  x[5] = 6;
  ck_assert_int_eq(eng_embed(x, 6, 6, 1, out, &rows), 0);
  ck_assert_uint_eq(rows, 1);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("embed");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, rows);
  tcase_add_test(tc, copy_by_hand);
  tcase_add_test(tc, view_matches_copy);
  tcase_add_test(tc, errors);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
