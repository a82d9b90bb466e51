/* systems.c: reference systems (Lorenz, Rossler, Henon, logistic), RK4 generator and the seeded PRNG. */
#include <math.h>
#include <string.h>

#include "engine/dynamics.h"
#include "dyn_internal.h"

/* splitmix64 (Steele, Lea, Flood 2014) expands the seed into xoshiro state. */
static uint64_t splitmix(uint64_t *x)
{
  uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

void eng_rng_seed(eng_rng *r, uint64_t seed)
{
  if (!r) return;
  for (int i = 0; i < 4; i++) r->s[i] = splitmix(&seed);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

/* xoshiro256** (Blackman & Vigna 2018). */
uint64_t eng_rng_next(eng_rng *r)
{
  uint64_t *s = r->s;
  uint64_t res = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return res;
}

double eng_rng_uniform(eng_rng *r) { return (double)(eng_rng_next(r) >> 11) * 0x1.0p-53; }

double eng_rng_normal(eng_rng *r)
{
  double u, v, s;
  do {
    u = 2.0 * eng_rng_uniform(r) - 1.0;
    v = 2.0 * eng_rng_uniform(r) - 1.0;
    s = u * u + v * v;
  } while (s >= 1.0 || s == 0.0);
  /* Marsaglia & Bray (1964) polar method; the second deviate is dropped to keep the state small. */
  return u * sqrt(-2.0 * log(s) / s);
}

unsigned eng_system_dim(eng_system_kind kind)
{
  switch (kind) {
  case ENG_SYS_LORENZ: case ENG_SYS_ROSSLER: return 3;
  case ENG_SYS_HENON: return 2;
  case ENG_SYS_LOGISTIC: return 1;
  }
  return 0;
}

static const char *const names[] = {"lorenz", "rossler", "henon", "logistic"};

const char *eng_system_name(eng_system_kind kind)
{
  return (unsigned)kind < 4 ? names[kind] : NULL;
}

int eng_system_kind_from_name(const char *name, eng_system_kind *out)
{
  if (!name || !out) return ENG_EINVAL;
  for (int i = 0; i < 4; i++)
    if (strcmp(name, names[i]) == 0) {
      *out = (eng_system_kind)i;
      return 0;
    }
  return ENG_EINVAL;
}

int eng_system_init(eng_system *s, eng_system_kind kind)
{
  if (!s || eng_system_dim(kind) == 0) return ENG_EINVAL;
  memset(s, 0, sizeof *s);
  s->kind = kind;
  s->substeps = 1;
  switch (kind) {
  case ENG_SYS_LORENZ:
    s->p[0] = 10.0; s->p[1] = 28.0; s->p[2] = 8.0 / 3.0;
    s->x0[0] = s->x0[1] = s->x0[2] = 1.0;
    s->dt = 0.01; s->transient = 5000;
    break;
  case ENG_SYS_ROSSLER:
    s->p[0] = 0.2; s->p[1] = 0.2; s->p[2] = 5.7;
    s->x0[0] = 1.0; s->x0[1] = 1.0; s->x0[2] = 0.0;
    s->dt = 0.05; s->transient = 5000;
    break;
  case ENG_SYS_HENON:
    s->p[0] = 1.4; s->p[1] = 0.3;
    s->x0[0] = 0.1; s->x0[1] = 0.1;
    s->transient = 1000;
    break;
  case ENG_SYS_LOGISTIC:
    s->p[0] = 4.0;
    s->x0[0] = 0.1;
    s->transient = 1000;
    break;
  }
  return 0;
}

void eng__dyn_field(const eng_system *s, const double *x, double *f)
{
  const double *p = s->p;
  if (s->kind == ENG_SYS_LORENZ) {
    f[0] = p[0] * (x[1] - x[0]);
    f[1] = x[0] * (p[1] - x[2]) - x[1];
    f[2] = x[0] * x[1] - p[2] * x[2];
  } else {
    f[0] = -x[1] - x[2];
    f[1] = x[0] + p[0] * x[1];
    f[2] = p[1] + x[2] * (x[0] - p[2]);
  }
}

void eng__dyn_rk4(const eng_system *s, double *x, double h)
{
  double k1[3], k2[3], k3[3], k4[3], t[3];
  eng__dyn_field(s, x, k1);
  for (int i = 0; i < 3; i++) t[i] = x[i] + 0.5 * h * k1[i];
  eng__dyn_field(s, t, k2);
  for (int i = 0; i < 3; i++) t[i] = x[i] + 0.5 * h * k2[i];
  eng__dyn_field(s, t, k3);
  for (int i = 0; i < 3; i++) t[i] = x[i] + h * k3[i];
  eng__dyn_field(s, t, k4);
  for (int i = 0; i < 3; i++) x[i] += h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
}

void eng__dyn_map(const eng_system *s, double *x)
{
  if (s->kind == ENG_SYS_HENON) {
    double nx = 1.0 - s->p[0] * x[0] * x[0] + x[1];
    x[1] = s->p[1] * x[0];
    x[0] = nx;
  } else {
    x[0] = s->p[0] * x[0] * (1.0 - x[0]);
  }
}

/* One sample step: substeps RK4 steps for a flow, one iteration for a map. */
static void advance(const eng_system *s, double *x)
{
  if (s->kind == ENG_SYS_LORENZ || s->kind == ENG_SYS_ROSSLER) {
    double h = s->dt / s->substeps;
    for (unsigned k = 0; k < s->substeps; k++) eng__dyn_rk4(s, x, h);
  } else {
    eng__dyn_map(s, x);
  }
}

int eng__dyn_check(const eng_system *s)
{
  unsigned d = s ? eng_system_dim(s->kind) : 0;
  if (d == 0) return ENG_EINVAL;
  for (unsigned i = 0; i < d; i++)
    if (!isfinite(s->x0[i])) return ENG_ENAN;
  for (int i = 0; i < 3; i++)
    if (!isfinite(s->p[i])) return ENG_ENAN;
  if (d == 3 && (!(s->dt > 0.0) || !isfinite(s->dt) || s->substeps == 0)) return ENG_EINVAL;
  return 0;
}

int eng_system_generate(const eng_system *s, size_t n, unsigned coords, eng_rng *rng, double *out)
{
  int rc = eng__dyn_check(s);
  if (rc) return rc;
  unsigned d = eng_system_dim(s->kind);
  if (!out || n == 0 || coords == 0 || (coords >> d) != 0) return ENG_EINVAL;
  if (!(s->noise >= 0.0) || !isfinite(s->noise) || (s->noise > 0.0 && !rng)) return ENG_EINVAL;
  double x[3] = {s->x0[0], s->x0[1], s->x0[2]};
  for (size_t i = 0; i < s->transient; i++) {
    advance(s, x);
    if (!isfinite(x[0])) return ENG_ERANGE;
  }
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    if (i) advance(s, x);
    for (unsigned j = 0; j < d; j++) {
      if (!isfinite(x[j])) return ENG_ERANGE;
      if (coords & (1u << j)) out[k++] = x[j] + (s->noise > 0.0 ? s->noise * eng_rng_normal(rng) : 0.0);
    }
  }
  return 0;
}
