/* check_systems.c: generators against independent step-by-step integration, noise, coordinates, errors. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/dynamics.h"

/* Independent reference: classical RK4 on the Lorenz equations, written out. */
static void lorenz_ref(double *x, double h, double s, double r, double b)
{
#define F(o, v) do { o[0] = s * (v[1] - v[0]); o[1] = v[0] * (r - v[2]) - v[1]; o[2] = v[0] * v[1] - b * v[2]; } while (0)
  double k1[3], k2[3], k3[3], k4[3], t[3];
  F(k1, x);
  for (int i = 0; i < 3; i++) t[i] = x[i] + h / 2 * k1[i];
  F(k2, t);
  for (int i = 0; i < 3; i++) t[i] = x[i] + h / 2 * k2[i];
  F(k3, t);
  for (int i = 0; i < 3; i++) t[i] = x[i] + h * k3[i];
  F(k4, t);
  for (int i = 0; i < 3; i++) x[i] += h * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]) / 6;
#undef F
}

START_TEST(lorenz_matches_reference)
{
  eng_system s;
  ck_assert_int_eq(eng_system_init(&s, ENG_SYS_LORENZ), 0);
  s.transient = 7;
  s.substeps = 2;
  double out[3 * 50];
  ck_assert_int_eq(eng_system_generate(&s, 50, 7, NULL, out), 0);
  double x[3] = {1, 1, 1};
  for (int i = 0; i < 7 * 2; i++) lorenz_ref(x, 0.005, 10, 28, 8.0 / 3.0);
  for (int i = 0; i < 50; i++) {
    if (i) {
      lorenz_ref(x, 0.005, 10, 28, 8.0 / 3.0);
      lorenz_ref(x, 0.005, 10, 28, 8.0 / 3.0);
    }
    for (int j = 0; j < 3; j++) ck_assert_double_eq_tol(out[3 * i + j], x[j], 1e-12 * (1 + fabs(x[j])));
  }
  /* Only z: the third column of the full output. */
  double z[50];
  ck_assert_int_eq(eng_system_generate(&s, 50, 4, NULL, z), 0);
  for (int i = 0; i < 50; i++) ck_assert_double_eq(z[i], out[3 * i + 2]);
  /* x and z: columns 0 and 2. */
  double xz[100];
  ck_assert_int_eq(eng_system_generate(&s, 50, 5, NULL, xz), 0);
  for (int i = 0; i < 50; i++) {
    ck_assert_double_eq(xz[2 * i], out[3 * i]);
    ck_assert_double_eq(xz[2 * i + 1], out[3 * i + 2]);
  }
}
END_TEST

START_TEST(maps_by_hand)
{
  eng_system s;
  double out[2 * 20];
  eng_system_init(&s, ENG_SYS_HENON);
  s.transient = 3;
  ck_assert_int_eq(eng_system_generate(&s, 20, 3, NULL, out), 0);
  double x = 0.1, y = 0.1;
  for (int i = 0; i < 3 + 20; i++) {
    if (i >= 3) {
      ck_assert_double_eq(out[2 * (i - 3)], x);
      ck_assert_double_eq(out[2 * (i - 3) + 1], y);
    }
    double nx = 1 - 1.4 * x * x + y;
    y = 0.3 * x;
    x = nx;
  }
  double l[10];
  eng_system_init(&s, ENG_SYS_LOGISTIC);
  s.p[0] = 3.7;
  s.transient = 0;
  s.x0[0] = 0.25;
  ck_assert_int_eq(eng_system_generate(&s, 10, 1, NULL, l), 0);
  double v = 0.25;
  for (int i = 0; i < 10; i++) {
    ck_assert_double_eq(l[i], v);
    v = 3.7 * v * (1 - v);
  }
}
END_TEST

START_TEST(rossler_bounded)
{
  eng_system s;
  eng_system_init(&s, ENG_SYS_ROSSLER);
  size_t n = 20000;
  double *o = malloc(3 * n * sizeof *o);
  ck_assert_int_eq(eng_system_generate(&s, n, 7, NULL, o), 0);
  double zmax = 0, xmin = 0, xmax = 0;
  for (size_t i = 0; i < n; i++) {
    if (o[3 * i + 2] > zmax) zmax = o[3 * i + 2];
    if (o[3 * i] < xmin) xmin = o[3 * i];
    if (o[3 * i] > xmax) xmax = o[3 * i];
  }
  /* The attractor spans roughly x in [-9, 11], z up to ~23. */
  ck_assert(xmin < -6 && xmin > -12);
  ck_assert(xmax > 8 && xmax < 14);
  ck_assert(zmax > 10 && zmax < 30);
  free(o);
}
END_TEST

START_TEST(noise)
{
  eng_system s;
  size_t n = 20000;
  double *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b), *c = malloc(n * sizeof *c);
  eng_rng r;
  eng_system_init(&s, ENG_SYS_HENON);
  ck_assert_int_eq(eng_system_generate(&s, n, 1, NULL, a), 0);
  s.noise = 0.05;
  eng_rng_seed(&r, 7);
  ck_assert_int_eq(eng_system_generate(&s, n, 1, &r, b), 0);
  eng_rng_seed(&r, 7);
  ck_assert_int_eq(eng_system_generate(&s, n, 1, &r, c), 0);
  double mean = 0, var = 0;
  for (size_t i = 0; i < n; i++) {
    ck_assert_double_eq(b[i], c[i]); /* same seed, same series */
    mean += b[i] - a[i];
  }
  mean /= n;
  for (size_t i = 0; i < n; i++) var += (b[i] - a[i] - mean) * (b[i] - a[i] - mean);
  var /= n - 1;
  /* 5 standard errors. */
  ck_assert_double_eq_tol(mean, 0.0, 5 * 0.05 / sqrt(n));
  ck_assert_double_eq_tol(sqrt(var), 0.05, 5 * 0.05 / sqrt(2.0 * n));
  ck_assert_int_eq(eng_system_generate(&s, n, 1, NULL, c), ENG_EINVAL);
  free(a);
  free(b);
  free(c);
}
END_TEST

START_TEST(rng)
{
  eng_rng r, q;
  eng_rng_seed(&r, 0);
  eng_rng_seed(&q, 0);
  ck_assert(eng_rng_next(&r) == eng_rng_next(&q));
  double s = 0, s2 = 0;
  int n = 100000;
  for (int i = 0; i < n; i++) {
    double u = eng_rng_uniform(&r);
    ck_assert(u >= 0.0 && u < 1.0);
    double g = eng_rng_normal(&q);
    s += g;
    s2 += g * g;
  }
  ck_assert_double_eq_tol(s / n, 0.0, 5 / sqrt(n));
  ck_assert_double_eq_tol(s2 / n, 1.0, 5 * sqrt(2.0 / n));
}
END_TEST

START_TEST(names_and_errors)
{
  eng_system s;
  eng_system_kind k;
  double out[8];
  ck_assert_int_eq(eng_system_kind_from_name("rossler", &k), 0);
  ck_assert_int_eq(k, ENG_SYS_ROSSLER);
  ck_assert_int_eq(eng_system_kind_from_name("duffing", &k), ENG_EINVAL);
  ck_assert_str_eq(eng_system_name(ENG_SYS_HENON), "henon");
  ck_assert_ptr_null(eng_system_name((eng_system_kind)9));
  ck_assert_uint_eq(eng_system_dim(ENG_SYS_LOGISTIC), 1);
  ck_assert_int_eq(eng_system_init(&s, (eng_system_kind)9), ENG_EINVAL);
  ck_assert_int_eq(eng_system_init(NULL, ENG_SYS_LORENZ), ENG_EINVAL);
  eng_system_init(&s, ENG_SYS_HENON);
  ck_assert_int_eq(eng_system_generate(&s, 4, 4, NULL, out), ENG_EINVAL); /* no z */
  ck_assert_int_eq(eng_system_generate(&s, 4, 0, NULL, out), ENG_EINVAL);
  ck_assert_int_eq(eng_system_generate(&s, 0, 1, NULL, out), ENG_EINVAL);
  s.noise = -1;
  ck_assert_int_eq(eng_system_generate(&s, 4, 1, NULL, out), ENG_EINVAL);
  eng_system_init(&s, ENG_SYS_LORENZ);
  s.substeps = 0;
  ck_assert_int_eq(eng_system_generate(&s, 2, 1, NULL, out), ENG_EINVAL);
  eng_system_init(&s, ENG_SYS_LOGISTIC);
  s.p[0] = 5.0; /* escapes [0, 1] and diverges */
  s.x0[0] = 0.5;
  ck_assert_int_eq(eng_system_generate(&s, 4, 1, NULL, out), ENG_ERANGE);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("systems");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, lorenz_matches_reference);
  tcase_add_test(tc, maps_by_hand);
  tcase_add_test(tc, rossler_bounded);
  tcase_add_test(tc, noise);
  tcase_add_test(tc, rng);
  tcase_add_test(tc, names_and_errors);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
