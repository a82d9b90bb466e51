/* check_ltl_parse.c: the LTL parser, printer and simplifier: round trips, precedence, errors, nesting limits. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ltl.h"

static eng_ltl_formula *P(const char *s) {
  eng_ltl_formula *f = NULL;
  eng_ltl_diag d;
  int rc = eng_ltl_parse(s, strlen(s), &f, &d);
  ck_assert_msg(rc == 0, "parse '%s': %d:%d %s", s, d.line, d.col, d.msg);
  return f;
}

static char *str(const eng_ltl_formula *f) {
  size_t n = eng_ltl_print(f, NULL, 0);
  char *b = malloc(n + 1);
  ck_assert_uint_eq(eng_ltl_print(f, b, n + 1), n);
  return b;
}

START_TEST(round_trip) {
  static const char *cases[] = {
    "a", "true", "false", "!a", "a & b", "a | b", "a -> b", "a <-> b", "a xor b", "X a", "WX a", "F a", "G a",
    "a U b", "a R b", "a W b", "a M b", "F[2,5] a", "G[0,10] a", "a U[1,3] b", "Y a", "O a", "H a", "a S b",
    "\"temp > 80\"", "\"speed <= 3.5\"", "\"mode == 2\"", "\"x != -1e-3\"", "\"odd name\"", "\"q\\\"uote\"",
    "(a -> b) -> c", "a -> b -> c", "(a U b) U c", "a U b U c", "!(a & b)", "(a | b) & c", "F (a U b)",
    "G (req -> F[0,10] ack)", "G !(valve & \"pressure > 5\")", "X X X a", "(a xor b) xor c", "a xor (b xor c)",
    "a & (b | c) & d", "!G F a", "G (a -> O b) & H !c", "(a S b) U (c R d)", "a.b_c1 | _x", "(a <-> b) <-> c",
    "F[0,0] a", "a U[0,2147483647] b",
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    eng_ltl_formula *f = P(cases[i]);
    char *s1 = str(f);
    eng_ltl_formula *g = P(s1);
    ck_assert_msg(eng_ltl_equal(f, g), "'%s' printed as '%s' parses differently", cases[i], s1);
    char *s2 = str(g);
    ck_assert_str_eq(s1, s2);
    free(s1);
    free(s2);
    eng_ltl_formula_free(f);
    eng_ltl_formula_free(g);
  }
  /* printing uses the fewest parentheses */
  eng_ltl_formula *f = P("((a) & ((b) | (c)))");
  char *s = str(f);
  ck_assert_str_eq(s, "a & (b | c)");
  free(s);
  eng_ltl_formula_free(f);
}
END_TEST

START_TEST(precedence) {
  static const char *pairs[][2] = {
    {"a | b & c", "a | (b & c)"},         {"a & b | c", "(a & b) | c"},
    {"a -> b -> c", "a -> (b -> c)"},     {"a <-> b -> c", "a <-> (b -> c)"},
    {"a -> b <-> c", "a -> (b <-> c)"},   {"a | b -> c", "(a | b) -> c"},
    {"a xor b | c", "(a xor b) | c"},     {"a & b xor c", "(a & b) xor c"},
    {"a ^ b & c", "a ^ (b & c)"},         {"a U b U c", "a U (b U c)"},
    {"a U b & c", "(a U b) & c"},         {"!a U b", "(!a) U b"},
    {"F a U b", "(F a) U b"},             {"G F a", "G (F a)"},
    {"GFa", "G(F(a))"},                   {"[]<>a", "G F a"},
    {"a R b W c M d", "a R (b W (c M d))"}, {"a && b || c", "(a & b) | c"},
    {"1 & 0", "true & false"},            {"X[!] a", "X a"},
    {"F[1..3] a", "F[1,3] a"},            {"G[2:4] a", "G[2,4] a"},
    {"a S b U c", "a S (b U c)"},         {"a U[1,2] b U c", "a U[1,2] (b U c)"},
    {"!X a", "!(X a)"},                   {"a /\\ b \\/ c", "(a & b) | c"},
    {"a => b <=> c", "a -> (b <-> c)"},   {"~a", "!a"},
    {"a & b & c", "(a & b) & c"},         {"a | b | c", "(a | b) | c"},
    {"X a & b", "(X a) & b"},             {"a U X b", "a U (X b)"},
    {"\"t>1\" & \"t > 1\"", "\"t >1\" & \"t>1.0\""},
  };
  for (size_t i = 0; i < sizeof pairs / sizeof *pairs; i++) {
    eng_ltl_formula *f = P(pairs[i][0]), *g = P(pairs[i][1]);
    ck_assert_msg(eng_ltl_equal(f, g), "'%s' should read as '%s'", pairs[i][0], pairs[i][1]);
    eng_ltl_formula_free(f);
    eng_ltl_formula_free(g);
  }
  /* and the structures differ where they should */
  eng_ltl_formula *f = P("a & b | c"), *g = P("a & (b | c)");
  ck_assert(!eng_ltl_equal(f, g));
  eng_ltl_formula_free(f);
  eng_ltl_formula_free(g);
}
END_TEST

START_TEST(atoms) {
  eng_ltl_formula *f = P("G (\"temp > 80\" -> F[0,5] cool) & \"temp > 80\" & \"speed <= 3.5\"");
  ck_assert_uint_eq(eng_ltl_atom_count(f), 3);
  eng_ltl_atom a;
  ck_assert_int_eq(eng_ltl_atom_get(f, 0, &a), 0);
  ck_assert_str_eq(a.name, "temp");
  ck_assert_int_eq(a.cmp, ENG_LTL_CMP_GT);
  ck_assert(a.value == 80.0);
  ck_assert_int_eq(eng_ltl_atom_get(f, 1, &a), 0);
  ck_assert_str_eq(a.name, "cool");
  ck_assert_int_eq(a.cmp, ENG_LTL_CMP_NONE);
  ck_assert_int_eq(eng_ltl_atom_get(f, 2, &a), 0);
  ck_assert_int_eq(a.cmp, ENG_LTL_CMP_LE);
  ck_assert(a.value == 3.5);
  ck_assert_int_eq(eng_ltl_atom_get(f, 3, &a), ENG_EINVAL);
  ck_assert_uint_eq(eng_ltl_size(f), 8); /* the repeated comparison is one node */
  eng_ltl_formula_free(f);
}
END_TEST

START_TEST(simplify) {
  static const char *cases[][2] = {
    {"true & a", "a"},        {"a & true", "a"},        {"a | true", "true"},   {"false | a", "a"},
    {"G G a", "G a"},         {"F F a", "F a"},         {"!!a", "a"},           {"a & a", "a"},
    {"a & !a", "false"},      {"a | !a", "true"},       {"a U false", "false"}, {"a R true", "true"},
    {"G true", "true"},       {"F false", "false"},     {"true -> a", "a"},     {"a -> false", "!a"},
    {"a <-> true", "a"},      {"a xor true", "!a"},     {"X false", "false"},   {"WX true", "true"},
    {"G[1,4] true", "true"},  {"F[1,4] false", "false"}, {"F true", "F true"},  {"G false", "G false"},
    {"b & a & b", "b & a"},   {"O O a", "O a"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    eng_ltl_formula *f = P(cases[i][0]), *g, *want = P(cases[i][1]);
    ck_assert_int_eq(eng_ltl_simplify(f, &g), 0);
    char *s = str(g);
    ck_assert_msg(eng_ltl_equal(g, want), "simplify '%s' gave '%s', want '%s'", cases[i][0], s, cases[i][1]);
    free(s);
    eng_ltl_formula_free(f);
    eng_ltl_formula_free(g);
    eng_ltl_formula_free(want);
  }
}
END_TEST

START_TEST(errors) {
  static const struct {
    const char *in;
    size_t off;
    const char *msg;
  } cases[] = {
    {"", 0, "expected formula"},
    {"a U", 3, "expected formula after 'U'"},
    {"G", 1, "expected formula after 'G'"},
    {"a &", 3, "expected formula after '&'"},
    {"(a", 0, "missing ')'"},
    {"a)", 1, "unmatched ')'"},
    {"a b", 2, "expected operator, ')' or end of input before 'b'"},
    {"()", 1, "expected formula after '('"},
    {"a & & b", 4, "expected formula after '&'"},
    {"F[3,1] a", 1, "empty interval"},
    {"F[a", 2, "expected lower bound after 'F['"},
    {"F[1 2] a", 4, "expected ',' or '..'"},
    {"F[1,] a", 4, "expected upper bound"},
    {"F[1,2 a", 6, "expected ']'"},
    {"X[1] a", 1, "expected '[!]' after 'X'"},
    {"a R[1,2] b", 3, "operator 'R' takes no interval"},
    {"\"abc", 0, "unterminated quoted atom"},
    {"\"\"", 0, "empty quoted atom"},
    {"a # b", 2, "unexpected character '#'"},
    {"Q a", 0, "unknown operator 'Q'"},
    {"a -> ", 5, "expected formula after '->'"},
    {"2 & a", 0, "unexpected number"},
    {"a <-> <-> b", 6, "expected formula after '<->'"},
    {"!", 1, "expected formula after '!'"},
    {"a U b U", 7, "expected formula after 'U'"},
    {"G (a | )", 7, "expected formula after '|'"},
    {"(a & b))", 7, "unmatched ')'"},
    {"F[99999999999,1] a", 2, "bound too large"},
    {"a\n& U b", 4, "expected formula after '&'"},
    {"X a b", 4, "expected operator"},
    {"a xor", 5, "expected formula after 'xor'"},
    {"F[1..2", 6, "expected ']'"},
    {"true false", 5, "expected operator"},
    {"a -", 2, "unexpected character '-'"},
    {"WX", 2, "expected formula after 'WX'"},
    {"a U[1,2]", 8, "expected formula after 'U[1,2]'"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    eng_ltl_formula *f = (eng_ltl_formula *)1;
    eng_ltl_diag d;
    int rc = eng_ltl_parse(cases[i].in, strlen(cases[i].in), &f, &d);
    ck_assert_msg(rc == ENG_EPARSE, "'%s' parsed (rc %d)", cases[i].in, rc);
    ck_assert_ptr_null(f);
    ck_assert_int_eq(d.code, ENG_EPARSE);
    ck_assert_msg(d.offset == cases[i].off, "'%s': offset %zu, want %zu (%s)", cases[i].in, d.offset, cases[i].off,
                  d.msg);
    ck_assert_msg(strstr(d.msg, cases[i].msg) != NULL, "'%s': message '%s' lacks '%s'", cases[i].in, d.msg,
                  cases[i].msg);
  }
  /* line and column, and the caret line */
  eng_ltl_formula *f;
  eng_ltl_diag d;
  const char *src = "a\n& U b";
  ck_assert_int_eq(eng_ltl_parse(src, strlen(src), &f, &d), ENG_EPARSE);
  ck_assert_uint_eq(d.line, 2);
  ck_assert_uint_eq(d.col, 3);
  char buf[256];
  eng_ltl_diag_format(&d, src, strlen(src), buf, sizeof buf);
  ck_assert_str_eq(buf, "2:3: expected formula after '&'\n& U b\n  ^");
  src = "a U b U";
  ck_assert_int_eq(eng_ltl_parse(src, strlen(src), &f, &d), ENG_EPARSE);
  eng_ltl_diag_format(&d, src, strlen(src), buf, sizeof buf);
  ck_assert_str_eq(buf, "1:8: expected formula after 'U'\na U b U\n       ^");
  ck_assert_int_eq(eng_ltl_parse(NULL, 3, &f, &d), ENG_EINVAL);
  ck_assert_int_eq(eng_ltl_parse("a", 1, NULL, &d), ENG_EINVAL);
}
END_TEST

static void deep(const char *pre, const char *mid, const char *post, size_t k, const char *msg) {
  size_t lp = strlen(pre), lm = strlen(mid), lq = strlen(post);
  char *s = malloc(k * (lp + lq) + lm + 1), *p = s;
  for (size_t i = 0; i < k; i++, p += lp) memcpy(p, pre, lp);
  memcpy(p, mid, lm);
  p += lm;
  for (size_t i = 0; i < k; i++, p += lq) memcpy(p, post, lq);
  *p = 0;
  eng_ltl_formula *f;
  eng_ltl_diag d;
  ck_assert_int_eq(eng_ltl_parse(s, strlen(s), &f, &d), ENG_EPARSE);
  ck_assert_msg(strstr(d.msg, msg) != NULL, "deep %s: %s", pre, d.msg);
  free(s);
}

START_TEST(nesting) {
  deep("(", "a", ")", 100000, "nested too deeply");
  deep("!", "a", "", 100000, "nested too deeply");
  deep("G ", "a", "", 100000, "nested too deeply");
  deep("a U ", "b", "", 100000, "nested too deeply");
  deep("", "a", " & b", 100000, "nested too deeply");
  deep("(", "a", "", 100000, "nested too deeply");
  /* within the limit it parses and prints */
  size_t k = 900;
  char *s = malloc(4 * k + 2), *p = s;
  for (size_t i = 0; i < k; i++) *p++ = '(', *p++ = '!';
  *p++ = 'a';
  for (size_t i = 0; i < k; i++) *p++ = ')';
  *p = 0;
  eng_ltl_formula *f = P(s), *g;
  char *t = str(f);
  g = P(t);
  ck_assert(eng_ltl_equal(f, g));
  free(t);
  free(s);
  eng_ltl_formula_free(f);
  eng_ltl_formula_free(g);
  /* a large flat input: 10^6 bytes of a long disjunction inside the depth limit */
  size_t n = 1000000;
  s = malloc(n + 1);
  p = s;
  while ((size_t)(p - s) + 8 < n) {
    memcpy(p, "(a | b) ", 8);
    p += 8;
  }
  *p = 0;
  eng_ltl_diag d;
  ck_assert_int_eq(eng_ltl_parse(s, strlen(s), &f, &d), ENG_EPARSE); /* juxtaposition is an error */
  ck_assert_uint_eq(d.offset, 8);
  free(s);
}
END_TEST

int main(void) {
  Suite *s = suite_create("ltl_parse");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, round_trip);
  tcase_add_test(tc, precedence);
  tcase_add_test(tc, atoms);
  tcase_add_test(tc, simplify);
  tcase_add_test(tc, errors);
  tcase_add_test(tc, nesting);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
