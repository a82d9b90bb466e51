/* check_ltl_trace.c: column traces and the CSV loader: types, layout, and errors that name row and column. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/ltl.h"

static int holds(const char *formula, const eng_ltl_trace *t, int64_t *index) {
  eng_ltl_formula *f;
  eng_ltl_diag d;
  ck_assert_msg(eng_ltl_parse(formula, strlen(formula), &f, &d) == 0, "%s", d.msg);
  eng_ltl_result r;
  int rc = eng_ltl_check(f, t, NULL, &r, &d);
  ck_assert_msg(rc == 0, "%s: %s", formula, d.msg);
  eng_ltl_formula_free(f);
  if (index) *index = r.index;
  return r.holds;
}

START_TEST(csv_good) {
  const char *csv = "valve, pressure ,mode,alarm\r\n"
                    "0, 1.5, 1, false\r\n"
                    "1, 4.0, 2, FALSE\r\n"
                    "\n"
                    "0, 6.25, 2, true\r\n"
                    "1, 2, 1, false"; /* no final newline */
  eng_ltl_trace *t;
  eng_ltl_diag d;
  ck_assert_int_eq(eng_ltl_trace_parse_csv(csv, strlen(csv), &t, &d), 0);
  ck_assert_uint_eq(eng_ltl_trace_length(t), 4);
  ck_assert_uint_eq(eng_ltl_trace_column_count(t), 4);
  ck_assert_str_eq(eng_ltl_trace_column_name(t, 1), "pressure");
  ck_assert_int_eq(eng_ltl_trace_column_kind(t, "valve"), 1);
  ck_assert_int_eq(eng_ltl_trace_column_kind(t, "pressure"), 2);
  ck_assert_int_eq(eng_ltl_trace_column_kind(t, "mode"), 2);
  ck_assert_int_eq(eng_ltl_trace_column_kind(t, "alarm"), 1);
  ck_assert_int_eq(eng_ltl_trace_column_kind(t, "nope"), 0);
  int64_t ix;
  /* the valve opens at steps 1 and 3; pressure is high (> 5) only at step 2 */
  ck_assert_int_eq(holds("G !(valve & \"pressure > 5\")", t, NULL), 1);
  ck_assert_int_eq(holds("G (\"pressure > 5\" -> alarm)", t, &ix), 1);
  ck_assert_int_eq(holds("G \"pressure < 5\"", t, &ix), 0);
  ck_assert_int_eq(ix, 2);
  ck_assert_int_eq(holds("F \"mode == 2\" & G \"mode >= 1\"", t, NULL), 1);
  ck_assert_int_eq(holds("X X \"mode != 2\"", t, NULL), 0);
  eng_ltl_trace_free(t);
  /* a header alone is an empty trace */
  ck_assert_int_eq(eng_ltl_trace_parse_csv("a,b\n", 4, &t, &d), 0);
  ck_assert_uint_eq(eng_ltl_trace_length(t), 0);
  ck_assert_int_eq(holds("G a", t, &ix), 1);
  ck_assert_int_eq(ix, -1);
  eng_ltl_trace_free(t);
}
END_TEST

START_TEST(csv_errors) {
  static const struct {
    const char *csv;
    int code;
    size_t row;
    const char *column;
    const char *msg;
  } cases[] = {
    {"a,b\n1,0\n1\n", ENG_EPARSE, 2, "b", "row 2 has 1 cells, the header has 2"},
    {"a,b\n1,0\n1,0,1\n", ENG_EPARSE, 2, "", "row 2 has 3 cells"},
    {"a,b\n1,\n", ENG_EPARSE, 1, "b", "empty cell in column 'b'"},
    {"a,b\n1,x\n", ENG_EPARSE, 1, "b", "expected true, false or a number"},
    {"a,b\n1,0\n0,nan\n", ENG_ENAN, 2, "b", "NaN or infinity"},
    {"a,b\n1,inf\n", ENG_ENAN, 1, "b", "NaN or infinity"},
    {"a,b\ntrue,0\n2.5,0\n", ENG_ETYPE, 2, "a", "mixes true/false with numbers"},
    {"a,a\n1,0\n", ENG_EPARSE, 0, "a", "duplicate column 'a'"},
    {"a,,b\n1,0,1\n", ENG_EPARSE, 0, "", "empty column name"},
    {"", ENG_EPARSE, 0, "", "no header row"},
    {"\n\n", ENG_EPARSE, 0, "", "no header row"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    eng_ltl_trace *t = (eng_ltl_trace *)1;
    eng_ltl_diag d;
    int rc = eng_ltl_trace_parse_csv(cases[i].csv, strlen(cases[i].csv), &t, &d);
    ck_assert_msg(rc == cases[i].code, "case %zu: rc %d want %d (%s)", i, rc, cases[i].code, d.msg);
    ck_assert_ptr_null(t);
    ck_assert_msg(d.row == cases[i].row, "case %zu: row %zu want %zu", i, d.row, cases[i].row);
    ck_assert_str_eq(d.column, cases[i].column);
    ck_assert_msg(strstr(d.msg, cases[i].msg) != NULL, "case %zu: '%s' lacks '%s'", i, d.msg, cases[i].msg);
  }
  /* the file line of a ragged row */
  eng_ltl_trace *t;
  eng_ltl_diag d;
  const char *csv = "a,b\n1,0\n\n1\n";
  ck_assert_int_eq(eng_ltl_trace_parse_csv(csv, strlen(csv), &t, &d), ENG_EPARSE);
  ck_assert_uint_eq(d.line, 4);
  ck_assert_uint_eq(d.row, 2);
}
END_TEST

START_TEST(csv_file) {
  char path[] = "/tmp/check_ltl_traceXXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  const char *csv = "req,ack\n1,0\n0,0\n0,1\n1,1\n";
  ck_assert_int_eq(write(fd, csv, strlen(csv)), (ssize_t)strlen(csv));
  close(fd);
  eng_ltl_trace *t;
  eng_ltl_diag d;
  ck_assert_int_eq(eng_ltl_trace_load_csv(path, &t, &d), 0);
  unlink(path);
  ck_assert_int_eq(holds("G (req -> F[0,2] ack)", t, NULL), 1);
  ck_assert_int_eq(holds("G (req -> F[0,1] ack)", t, NULL), 0);
  eng_ltl_trace_free(t);
  ck_assert_int_eq(eng_ltl_trace_load_csv("/nonexistent/x.csv", &t, &d), ENG_ENOENT);
  ck_assert(strstr(d.msg, "/nonexistent/x.csv") != NULL);
  ck_assert_int_eq(eng_ltl_trace_load_csv(NULL, &t, &d), ENG_EINVAL);
}
END_TEST

START_TEST(columns) {
  eng_ltl_trace *t;
  ck_assert_int_eq(eng_ltl_trace_create(&t, 130, 0), 0);
  uint64_t w[3] = {~0ull, ~0ull, ~0ull}; /* bits past step 129 must be ignored */
  ck_assert_int_eq(eng_ltl_trace_add_bits(t, "a", w), 0);
  ck_assert_int_eq(eng_ltl_trace_add_bits(t, "", w), ENG_EINVAL);
  ck_assert_int_eq(eng_ltl_trace_add_bits(t, "a", w), ENG_EINVAL);
  ck_assert_int_eq(eng_ltl_trace_add_bits(NULL, "b", w), ENG_EINVAL);
  int64_t ix;
  ck_assert_int_eq(holds("G a", t, &ix), 1);
  ck_assert_int_eq(ix, 129);
  ck_assert_int_eq(holds("F !a", t, NULL), 0);
  ck_assert_int_eq(holds("F (a & !X a)", t, &ix), 1); /* the last step */
  ck_assert_int_eq(ix, 129);
  eng_ltl_trace_free(t);
  eng_ltl_trace_free(NULL);
  ck_assert_int_eq(eng_ltl_trace_create(NULL, 1, 0), ENG_EINVAL);
}
END_TEST

int main(void) {
  Suite *s = suite_create("ltl_trace");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, csv_good);
  tcase_add_test(tc, csv_errors);
  tcase_add_test(tc, csv_file);
  tcase_add_test(tc, columns);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
