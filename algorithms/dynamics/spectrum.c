/* spectrum.c: Lyapunov spectrum from the equations (Benettin et al. 1980) and the Kaplan-Yorke dimension. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "engine/dynamics.h"
#include "dyn_internal.h"

void eng_spectrum_opts_init(eng_spectrum_opts *o, eng_system_kind kind)
{
  if (!o) return;
  switch (kind) {
  case ENG_SYS_LORENZ: o->steps = 300000; o->qr_every = 10; break;
  case ENG_SYS_ROSSLER: o->steps = 200000; o->qr_every = 10; break;
  case ENG_SYS_HENON: o->steps = 1000000; o->qr_every = 4; break;
  default: o->steps = 1000000; o->qr_every = 1; break;
  }
}

/* Jacobian of a flow at x, row-major 3x3. */
static void jacobian(const eng_system *s, const double *x, double J[9])
{
  const double *p = s->p;
  if (s->kind == ENG_SYS_LORENZ) {
    J[0] = -p[0];       J[1] = p[0]; J[2] = 0.0;
    J[3] = p[1] - x[2]; J[4] = -1.0; J[5] = -x[0];
    J[6] = x[1];        J[7] = x[0]; J[8] = -p[2];
  } else {
    J[0] = 0.0;  J[1] = -1.0; J[2] = -1.0;
    J[3] = 1.0;  J[4] = p[0]; J[5] = 0.0;
    J[6] = x[2]; J[7] = 0.0;  J[8] = x[0] - p[2];
  }
}

/* Right-hand side of orbit + tangent: y = (x[3], V[9] with column j at V[3j..3j+2]). */
static void tangent_field(const eng_system *s, const double *y, double *f)
{
  double J[9];
  eng__dyn_field(s, y, f);
  jacobian(s, y, J);
  for (int j = 0; j < 3; j++) {
    const double *v = y + 3 + 3 * j;
    double *fv = f + 3 + 3 * j;
    for (int i = 0; i < 3; i++) fv[i] = J[3 * i] * v[0] + J[3 * i + 1] * v[1] + J[3 * i + 2] * v[2];
  }
}

/* RK4 on the 12-dimensional orbit + tangent system. */
static void tangent_rk4(const eng_system *s, double *y, double h)
{
  double k1[12], k2[12], k3[12], k4[12], t[12];
  tangent_field(s, y, k1);
  for (int i = 0; i < 12; i++) t[i] = y[i] + 0.5 * h * k1[i];
  tangent_field(s, t, k2);
  for (int i = 0; i < 12; i++) t[i] = y[i] + 0.5 * h * k2[i];
  tangent_field(s, t, k3);
  for (int i = 0; i < 12; i++) t[i] = y[i] + h * k3[i];
  tangent_field(s, t, k4);
  for (int i = 0; i < 12; i++) y[i] += h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
}

/* Modified Gram-Schmidt on the d columns of V (column j at V + d*j); adds
 * log R_jj to acc[j] when acc is non-NULL. */
static void mgs(double *V, unsigned d, double *acc)
{
  for (unsigned j = 0; j < d; j++) {
    double *v = V + d * j;
    for (unsigned k = 0; k < j; k++) {
      const double *q = V + d * k;
      double dot = 0.0;
      for (unsigned i = 0; i < d; i++) dot += q[i] * v[i];
      for (unsigned i = 0; i < d; i++) v[i] -= dot * q[i];
    }
    double nrm = 0.0;
    for (unsigned i = 0; i < d; i++) nrm += v[i] * v[i];
    nrm = sqrt(nrm);
    if (acc) acc[j] += log(nrm);
    for (unsigned i = 0; i < d; i++) v[i] /= nrm;
  }
}

static int spectrum_flow(const eng_system *s, const eng_spectrum_opts *o, double *exps)
{
  double h = s->dt / s->substeps;
  double y[12] = {s->x0[0], s->x0[1], s->x0[2]};
  for (size_t i = 0; i < s->transient * s->substeps; i++) {
    eng__dyn_rk4(s, y, h);
    if (!isfinite(y[0])) return ENG_ERANGE;
  }
  for (int j = 0; j < 3; j++) y[3 + 3 * j + j] = 1.0;
  /* Let the tangent basis align with the Oseledets directions before averaging:
   * the start-up bias decays like 1/T otherwise (Benettin et al. 1980). */
  size_t warm = o->steps / 20;
  for (size_t i = 1; i <= warm; i++) {
    tangent_rk4(s, y, h);
    if (i % o->qr_every == 0) mgs(y + 3, 3, NULL);
  }
  mgs(y + 3, 3, NULL);
  double acc[3] = {0, 0, 0};
  for (size_t i = 1; i <= o->steps; i++) {
    tangent_rk4(s, y, h);
    if (i % o->qr_every == 0 || i == o->steps) {
      if (!isfinite(y[0]) || !isfinite(y[1]) || !isfinite(y[2])) return ENG_ERANGE;
      mgs(y + 3, 3, acc);
    }
  }
  double T = (double)o->steps * h;
  for (int j = 0; j < 3; j++) exps[j] = acc[j] / T;
  return 0;
}

static int spectrum_henon(const eng_system *s, const eng_spectrum_opts *o, double *exps)
{
  double x[2] = {s->x0[0], s->x0[1]};
  for (size_t i = 0; i < s->transient; i++) {
    eng__dyn_map(s, x);
    if (!isfinite(x[0])) return ENG_ERANGE;
  }
  double V[4] = {1, 0, 0, 1}, acc[2] = {0, 0};
  double a = s->p[0], b = s->p[1];
  size_t warm = o->steps / 100;
  for (size_t i = 1; i <= warm + o->steps; i++) {
    /* Tangent map J = [[-2 a x, 1], [b, 0]] at the current point, then the orbit. */
    double jx = -2.0 * a * x[0];
    for (int j = 0; j < 2; j++) {
      double v0 = V[2 * j], v1 = V[2 * j + 1];
      V[2 * j] = jx * v0 + v1;
      V[2 * j + 1] = b * v0;
    }
    eng__dyn_map(s, x);
    if (i % o->qr_every == 0 || i == warm + o->steps) {
      if (!isfinite(x[0])) return ENG_ERANGE;
      mgs(V, 2, i > warm ? acc : NULL);
    }
    if (i == warm) mgs(V, 2, NULL);
  }
  exps[0] = acc[0] / (double)o->steps;
  exps[1] = acc[1] / (double)o->steps;
  return 0;
}

/* Logistic map at r = 4 through its conjugacy x = sin^2(pi theta) with the
 * doubling map theta -> 2 theta mod 1 (Ulam & von Neumann 1947). theta is kept
 * as 64 binary digits of an infinite seeded random expansion: each step shifts
 * one digit out and one fresh digit in, so every theta_n is (to 2^-64) a point
 * of one true orbit, which floating-point iteration of 4x(1-x) is not. The
 * exponent is the average of ln |f'(x)| = ln |4 cos(2 pi theta)|. */
static double logistic4(size_t steps, uint64_t seed)
{
  eng_rng r;
  eng_rng_seed(&r, seed);
  uint64_t u = eng_rng_next(&r), bits = 0;
  double acc = 0.0;
  for (size_t i = 0; i < steps; i++) {
    if ((i & 63) == 0) bits = eng_rng_next(&r);
    double th = (double)(u >> 11) * 0x1.0p-53;
    acc += log(fabs(4.0 * cos(2.0 * M_PI * th)));
    u = (u << 1) | (bits & 1u);
    bits >>= 1;
  }
  return acc / (double)steps;
}

static int spectrum_logistic(const eng_system *s, const eng_spectrum_opts *o, double *exps)
{
  double r = s->p[0];
  if (r == 4.0) {
    /* The seed comes from the initial condition so that runs are reproducible. */
    uint64_t seed;
    memcpy(&seed, &s->x0[0], sizeof seed);
    exps[0] = logistic4(o->steps, seed);
    return 0;
  }
  double x = s->x0[0], acc = 0.0;
  for (size_t i = 0; i < s->transient; i++) x = r * x * (1.0 - x);
  if (!isfinite(x)) return ENG_ERANGE;
  for (size_t i = 0; i < o->steps; i++) {
    acc += log(fabs(r * (1.0 - 2.0 * x)));
    x = r * x * (1.0 - x);
  }
  if (!isfinite(x)) return ENG_ERANGE;
  exps[0] = acc / (double)o->steps;
  return 0;
}

int eng_spectrum(const eng_system *s, const eng_spectrum_opts *o, double *exps, unsigned *dim)
{
  int rc = eng__dyn_check(s);
  if (rc) return rc;
  if (!exps) return ENG_EINVAL;
  eng_spectrum_opts def;
  if (!o) {
    eng_spectrum_opts_init(&def, s->kind);
    o = &def;
  }
  if (o->steps == 0 || o->qr_every == 0) return ENG_EINVAL;
  unsigned d = eng_system_dim(s->kind);
  switch (s->kind) {
  case ENG_SYS_LORENZ: case ENG_SYS_ROSSLER: rc = spectrum_flow(s, o, exps); break;
  case ENG_SYS_HENON: rc = spectrum_henon(s, o, exps); break;
  default: rc = spectrum_logistic(s, o, exps); break;
  }
  if (rc) return rc;
  /* Gram-Schmidt keeps the exponents ordered except for finite-time noise
   * between near-equal ones; sort so that callers always get decreasing order. */
  for (unsigned i = 1; i < d; i++)
    for (unsigned j = i; j > 0 && exps[j] > exps[j - 1]; j--) {
      double t = exps[j];
      exps[j] = exps[j - 1];
      exps[j - 1] = t;
    }
  if (dim) *dim = d;
  return 0;
}

int eng_kaplan_yorke(const double *exps, unsigned k, double *dim)
{
  if (!exps || k == 0 || !dim) return ENG_EINVAL;
  for (unsigned i = 0; i < k; i++) {
    if (!isfinite(exps[i])) return ENG_ENAN;
    if (i && exps[i] > exps[i - 1]) return ENG_EINVAL;
  }
  /* Kaplan & Yorke (1979): D = j + S_j / |l_{j+1}|, S_j the largest non-negative partial sum. */
  double sum = 0.0;
  unsigned j = 0;
  while (j < k && sum + exps[j] >= 0.0) sum += exps[j++];
  *dim = (j == k) ? (double)k : (double)j + sum / fabs(exps[j]);
  return 0;
}
