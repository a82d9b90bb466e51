/* check_spectrum.c: Lyapunov spectra from the equations against published values, and Kaplan-Yorke. */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include "engine/dynamics.h"

/* Reference values (base e): Sprott, "Chaos and Time-Series Analysis" (2003),
 * Appendix A; Lorenz sum -(sigma + 1 + beta) and Henon sum ln b are exact
 * because the divergence of the Lorenz field and det J of the Henon map are
 * constant. */

static void spectrum_of(eng_system_kind k, double *ex, unsigned *d)
{
  eng_system s;
  ck_assert_int_eq(eng_system_init(&s, k), 0);
  ck_assert_int_eq(eng_spectrum(&s, NULL, ex, d), 0);
}

START_TEST(lorenz)
{
  double ex[3], ky;
  unsigned d;
  spectrum_of(ENG_SYS_LORENZ, ex, &d);
  ck_assert_uint_eq(d, 3);
  ck_assert_double_eq_tol(ex[0], 0.9056, 0.01);
  ck_assert_double_eq_tol(ex[1], 0.0, 0.01);
  ck_assert_double_eq_tol(ex[2], -14.5723, 0.01);
  ck_assert_double_eq_tol(ex[0] + ex[1] + ex[2], -(10.0 + 1.0 + 8.0 / 3.0), 1e-3);
  ck_assert_int_eq(eng_kaplan_yorke(ex, 3, &ky), 0);
  ck_assert_double_eq_tol(ky, 2.062, 0.002);
}
END_TEST

START_TEST(lorenz_other_parameters)
{
  /* The sum identity holds for any parameters: sigma=16, rho=45.92, beta=4. */
  eng_system s;
  double ex[3];
  eng_system_init(&s, ENG_SYS_LORENZ);
  s.p[0] = 16.0;
  s.p[1] = 45.92;
  s.p[2] = 4.0;
  s.dt = 0.005;
  eng_spectrum_opts o = {100000, 10};
  ck_assert_int_eq(eng_spectrum(&s, &o, ex, NULL), 0);
  ck_assert_double_eq_tol(ex[0] + ex[1] + ex[2], -21.0, 1e-3);
  /* Wolf et al. (1985) Table 1: 1.50 for these parameters. */
  ck_assert_double_eq_tol(ex[0], 1.50, 0.05);
}
END_TEST

START_TEST(henon)
{
  double ex[3], ky;
  unsigned d;
  spectrum_of(ENG_SYS_HENON, ex, &d);
  ck_assert_uint_eq(d, 2);
  ck_assert_double_eq_tol(ex[0], 0.41922, 0.01);
  ck_assert_double_eq_tol(ex[1], -1.62319, 0.01);
  ck_assert_double_eq_tol(ex[0] + ex[1], log(0.3), 1e-9);
  ck_assert_int_eq(eng_kaplan_yorke(ex, 2, &ky), 0);
  ck_assert_double_eq_tol(ky, 1.258, 0.002);
}
END_TEST

START_TEST(rossler)
{
  double ex[3];
  spectrum_of(ENG_SYS_ROSSLER, ex, NULL);
  ck_assert_double_eq_tol(ex[0], 0.0714, 0.005);
  ck_assert_double_eq_tol(ex[1], 0.0, 0.005);
  ck_assert_double_eq_tol(ex[2], -5.3943, 0.02);
}
END_TEST

START_TEST(logistic)
{
  eng_system s;
  double ex[1];
  eng_system_init(&s, ENG_SYS_LOGISTIC);
  /* r = 4: ln 2 exactly (Ulam & von Neumann 1947); several starts. */
  for (int i = 0; i < 4; i++) {
    s.x0[0] = 0.1 + 0.2 * i;
    ck_assert_int_eq(eng_spectrum(&s, NULL, ex, NULL), 0);
    ck_assert_double_eq_tol(ex[0], log(2.0), 1e-3);
  }
  /* r = 2.8: stable fixed point 1 - 1/r with multiplier 2 - r. */
  s.p[0] = 2.8;
  ck_assert_int_eq(eng_spectrum(&s, NULL, ex, NULL), 0);
  ck_assert_double_eq_tol(ex[0], log(0.8), 1e-3);
  /* r = 3.2: period 2 with multiplier 4 + 2r - r^2 = 0.16. */
  s.p[0] = 3.2;
  ck_assert_int_eq(eng_spectrum(&s, NULL, ex, NULL), 0);
  ck_assert_double_eq_tol(ex[0], 0.5 * log(0.16), 1e-3);
}
END_TEST

START_TEST(kaplan_yorke_by_hand)
{
  double d;
  double a[] = {1.0, 0.0, -2.0};
  ck_assert_int_eq(eng_kaplan_yorke(a, 3, &d), 0);
  ck_assert_double_eq_tol(d, 2.5, 1e-15);
  double b[] = {-0.5, -1.0};
  ck_assert_int_eq(eng_kaplan_yorke(b, 2, &d), 0);
  ck_assert_double_eq_tol(d, 0.0, 1e-15);
  double c[] = {0.5, 0.1};
  ck_assert_int_eq(eng_kaplan_yorke(c, 2, &d), 0);
  ck_assert_double_eq_tol(d, 2.0, 1e-15);
  double u[] = {0.1, 0.5};
  ck_assert_int_eq(eng_kaplan_yorke(u, 2, &d), ENG_EINVAL);
  double n[] = {NAN, -1};
  ck_assert_int_eq(eng_kaplan_yorke(n, 2, &d), ENG_ENAN);
  ck_assert_int_eq(eng_kaplan_yorke(a, 0, &d), ENG_EINVAL);
  ck_assert_int_eq(eng_kaplan_yorke(NULL, 3, &d), ENG_EINVAL);
}
END_TEST

START_TEST(errors)
{
  eng_system s;
  double ex[3];
  eng_spectrum_opts o = {0, 1};
  eng_system_init(&s, ENG_SYS_LORENZ);
  ck_assert_int_eq(eng_spectrum(&s, &o, ex, NULL), ENG_EINVAL);
  o.steps = 10;
  o.qr_every = 0;
  ck_assert_int_eq(eng_spectrum(&s, &o, ex, NULL), ENG_EINVAL);
  ck_assert_int_eq(eng_spectrum(NULL, NULL, ex, NULL), ENG_EINVAL);
  ck_assert_int_eq(eng_spectrum(&s, NULL, NULL, NULL), ENG_EINVAL);
  s.dt = 0.0;
  ck_assert_int_eq(eng_spectrum(&s, NULL, ex, NULL), ENG_EINVAL);
  eng_system_init(&s, ENG_SYS_LORENZ);
  s.x0[1] = NAN;
  ck_assert_int_eq(eng_spectrum(&s, NULL, ex, NULL), ENG_ENAN);
  /* Henon with a = 3 escapes to infinity. */
  eng_system_init(&s, ENG_SYS_HENON);
  s.p[0] = 3.0;
  s.x0[0] = 2.0;
  ck_assert_int_eq(eng_spectrum(&s, NULL, ex, NULL), ENG_ERANGE);
  s.kind = (eng_system_kind)42;
  ck_assert_int_eq(eng_spectrum(&s, NULL, ex, NULL), ENG_EINVAL);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("spectrum");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, lorenz);
  tcase_add_test(tc, lorenz_other_parameters);
  tcase_add_test(tc, henon);
  tcase_add_test(tc, rossler);
  tcase_add_test(tc, logistic);
  tcase_add_test(tc, kaplan_yorke_by_hand);
  tcase_add_test(tc, errors);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
