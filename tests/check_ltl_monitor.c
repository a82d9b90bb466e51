/* check_ltl_monitor.c: the online monitor against the whole-trace checker on prefixes and random extensions. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ltl.h"

static unsigned long long rng = 0x9E3779B97F4A7C15ull;
static unsigned rnd(unsigned n) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (unsigned)(rng % n);
}

static void app(char *b, size_t n, const char *s) {
  size_t k = strlen(b);
  snprintf(b + k, n - k, "%s", s);
}

/* A random formula as text; past operators only over past/boolean formulas. */
static void gen(char *b, size_t n, int depth, int past_only) {
  static const char *atoms[] = {"p", "q", "r"};
  static const char *un_f[] = {"!", "X ", "WX ", "F ", "G ", "F[0,2] ", "G[1,3] ", "F[2,40] ", "Y ", "O ", "H "};
  static const char *bin_f[] = {" & ", " | ", " -> ", " <-> ", " xor ", " U ", " R ", " W ", " M ", " U[1,3] ",
                                " S "};
  if (depth == 0 || rnd(4) == 0) {
    unsigned k = rnd(8);
    app(b, n, k < 6 ? atoms[k % 3] : k == 6 ? "true" : "false");
    return;
  }
  app(b, n, "(");
  if (rnd(2)) {
    unsigned k;
    do k = rnd(sizeof un_f / sizeof *un_f);
    while (past_only && k >= 1 && k <= 7);
    app(b, n, un_f[k]);
    gen(b, n, depth - 1, past_only || k >= 8);
  } else {
    unsigned k;
    do k = rnd(sizeof bin_f / sizeof *bin_f);
    while (past_only && k >= 5 && k <= 9);
    int p = past_only || k == 10;
    gen(b, n, depth - 1, p);
    app(b, n, bin_f[k]);
    gen(b, n, depth - 1, p);
  }
  app(b, n, ")");
}

static int check_prefix(const eng_ltl_formula *f, const unsigned char (*rows)[3], size_t n) {
  static const char *names[] = {"p", "q", "r"};
  eng_ltl_trace *t;
  ck_assert_int_eq(eng_ltl_trace_create(&t, n, 1), 0);
  unsigned char v[128];
  for (int a = 0; a < 3; a++) {
    for (size_t i = 0; i < n; i++) v[i] = rows[i][a];
    ck_assert_int_eq(eng_ltl_trace_add_bool(t, names[a], v), 0);
  }
  eng_ltl_result r;
  ck_assert_int_eq(eng_ltl_check(f, t, NULL, &r, NULL), 0);
  eng_ltl_trace_free(t);
  return r.holds;
}

/* atom values of a row in the formula's atom order */
static void atoms_of(const eng_ltl_formula *f, const unsigned char row[3], unsigned char *out) {
  for (size_t i = 0; i < eng_ltl_atom_count(f); i++) {
    eng_ltl_atom a;
    eng_ltl_atom_get(f, i, &a);
    out[i] = row[a.name[0] - 'p'];
  }
}

static int scale(void) {
  const char *s = getenv("ENGINE_TEST_SCALE");
  int k = s ? atoi(s) : 1;
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  k = s ? k : 4;
#endif
  return k > 0 ? k : 1;
}

START_TEST(random_vs_checker) {
  const int nform = 3000 / scale() + 1;
  char text[8192];
  unsigned char rows[128][3], av[3];
  long finals = 0, steps = 0;
  for (int fi = 0; fi < nform; fi++) {
    text[0] = 0;
    gen(text, sizeof text, 1 + (int)rnd(5), 0);
    eng_ltl_formula *f;
    eng_ltl_diag d;
    ck_assert_msg(eng_ltl_parse(text, strlen(text), &f, &d) == 0, "%s: %s", text, d.msg);
    eng_ltl_monitor *m;
    ck_assert_msg(eng_ltl_monitor_create(f, &m, &d) == 0, "%s: %s", text, d.msg);
    size_t len = rnd(40);
    for (size_t i = 0; i < len; i++)
      for (int a = 0; a < 3; a++) rows[i][a] = (unsigned char)rnd(2);
    eng_ltl_verdict v;
    eng_ltl_monitor_verdict(m, &v);
    ck_assert_msg(v.holds == check_prefix(f, rows, 0), "%s: empty trace", text);
    int was_final = v.final, final_value = v.holds;
    for (size_t t = 0; t <= len; t++) {
      if (t > 0) {
        atoms_of(f, rows[t - 1], av);
        ck_assert_int_eq(eng_ltl_monitor_step(m, av, &v), 0);
        steps++;
        /* the verdict if the trace ended now is the checker's on the prefix */
        ck_assert_msg(v.holds == check_prefix(f, rows, t), "%s: step %zu: monitor %d", text, t, v.holds);
        /* a final verdict is never revised */
        if (was_final) ck_assert_msg(v.final && v.holds == final_value, "%s: final verdict revised at %zu", text, t);
      }
      if (v.final && !was_final) {
        was_final = 1;
        final_value = v.holds;
        finals++;
        /* every random extension keeps the verdict */
        unsigned char ext[128][3];
        for (int e = 0; e < 4; e++) {
          memcpy(ext, rows, t * sizeof *rows);
          size_t el = t + rnd(12);
          for (size_t i = t; i < el; i++)
            for (int a = 0; a < 3; a++) ext[i][a] = (unsigned char)rnd(2);
          ck_assert_msg(check_prefix(f, ext, el) == final_value, "%s: final %d at %zu, extension of %zu disagrees",
                        text, final_value, t, el);
        }
      }
    }
    eng_ltl_monitor_free(m);
    eng_ltl_formula_free(f);
  }
  ck_assert_int_gt(finals, nform / 10); /* the property is not vacuous */
  ck_assert_int_gt(steps, nform);
}
END_TEST

static void run(const char *formula, const char *rows, const char *want) {
  /* rows: one char per step: bit0 = a, bit1 = b ('0'..'3'); want: per step
   * 'T'/'F' final, 't'/'f' not final; want[0] is the empty trace */
  eng_ltl_formula *f;
  ck_assert_int_eq(eng_ltl_parse(formula, strlen(formula), &f, NULL), 0);
  eng_ltl_monitor *m;
  ck_assert_int_eq(eng_ltl_monitor_create(f, &m, NULL), 0);
  eng_ltl_verdict v;
  eng_ltl_monitor_verdict(m, &v);
  for (size_t i = 0;; i++) {
    char got = v.final ? (v.holds ? 'T' : 'F') : (v.holds ? 't' : 'f');
    ck_assert_msg(got == want[i], "%s after %zu steps: %c, want %c", formula, i, got, want[i]);
    if (!rows[i]) break;
    unsigned char av[2];
    for (size_t k = 0; k < eng_ltl_atom_count(f); k++) {
      eng_ltl_atom a;
      eng_ltl_atom_get(f, k, &a);
      av[k] = ((rows[i] - '0') >> (a.name[0] - 'a')) & 1;
    }
    ck_assert_int_eq(eng_ltl_monitor_step(m, av, &v), 0);
  }
  eng_ltl_monitor_free(m);
  eng_ltl_formula_free(f);
}

START_TEST(hand_cases) {
  run("G a", "1101", "tttF" "F");
  run("F a", "001", "fffT");
  run("X a", "01", "ffT");
  run("X a", "00", "ffF");
  run("WX a", "1", "tt");
  run("a U b", "1112", "ffffT");
  run("a U b", "10", "ffF");
  run("G (a -> F[0,2] b)", "1000", "tffFF");
  run("G (a -> F[0,2] b)", "1020", "tfftt");
  run("F[1,2] a", "011", "ffTT");
  run("G[1,2] a", "1000", "ttFFF");
  run("Y a", "11", "fFF");
  run("G (b -> Y a)", "1230", "tttFF");
  run("G (b -> O a)", "0", "tt");
  run("G (b -> O a)", "2", "tF");
  run("true", "0", "TT");
  run("F true", "0", "fT");
  run("G false", "0", "tF");
}
END_TEST

START_TEST(errors) {
  eng_ltl_formula *f;
  eng_ltl_monitor *m;
  eng_ltl_diag d;
  ck_assert_int_eq(eng_ltl_parse("O F a", 5, &f, NULL), 0);
  ck_assert_int_eq(eng_ltl_monitor_create(f, &m, &d), ENG_EINVAL);
  ck_assert(strstr(d.msg, "past") != NULL);
  eng_ltl_formula_free(f);
  ck_assert_int_eq(eng_ltl_monitor_create(NULL, &m, NULL), ENG_EINVAL);
  eng_ltl_verdict v;
  ck_assert_int_eq(eng_ltl_monitor_step(NULL, NULL, &v), ENG_EINVAL);
  eng_ltl_monitor_free(NULL);
}
END_TEST

/* A bounded response property keeps a bounded state set: a long run stays fast and finite. */
START_TEST(long_run) {
  eng_ltl_formula *f;
  const char *s = "G (a -> F[0,20] b) & G (b -> O a)";
  ck_assert_int_eq(eng_ltl_parse(s, strlen(s), &f, NULL), 0);
  eng_ltl_monitor *m;
  ck_assert_int_eq(eng_ltl_monitor_create(f, &m, NULL), 0);
  eng_ltl_verdict v = {0, 0};
  const long steps = 7L * (100000 / scale()) + 4; /* ends on a b: nothing pending */
  for (long i = 0; i < steps; i++) {
    unsigned char av[2] = {(unsigned char)(i % 7 == 0), (unsigned char)(i % 7 == 3)};
    ck_assert_int_eq(eng_ltl_monitor_step(m, av, &v), 0);
  }
  ck_assert_int_eq(v.final, 0);
  ck_assert_int_eq(v.holds, 1);
  eng_ltl_monitor_reset(m);
  eng_ltl_monitor_verdict(m, &v);
  ck_assert_int_eq(v.holds, 1);
  eng_ltl_monitor_free(m);
  eng_ltl_formula_free(f);
}
END_TEST

int main(void) {
  Suite *s = suite_create("ltl_monitor");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, hand_cases);
  tcase_add_test(tc, errors);
  tcase_add_test(tc, long_run);
  tcase_add_test(tc, random_vs_checker);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
