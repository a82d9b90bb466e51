/* ldynamics.c: Lua bindings for the dynamics kernels: generators, embed, delay, dimension, spectrum. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/dynamics.h"
#include "laux.h"

/* Largest series a generator makes (8 GB of doubles): beyond that a typo, not a request. */
#define MAX_SAMPLES ((lua_Integer)1 << 30)

enum { OP_GENERATE, OP_EMBED, OP_DELAY, OP_DIMENSION, OP_SPECTRUM };

typedef struct dyn_job {
  leng_job base;
  int op;
  eng_engine *e;
  /* inputs */
  double *x; /* owned copy of the series */
  size_t n;
  eng_system sys;
  unsigned coords;
  uint64_t seed;
  unsigned m, tau, max_lag, bins;
  int method; /* delay: 0 ami, 1 acf; dimension: 0 fnn, 1 cao */
  eng_acf_rule rule;
  eng_dim_opts dopts;
  eng_spectrum_opts sopts;
  /* outputs */
  double *out[3]; /* generator: one series per coordinate (owned until pushed) */
  unsigned nout;
  double *curve, *curve2;
  size_t rows;
  unsigned result;
  int found;
  double exps[3], ky;
  unsigned dim;
} dyn_job;

static void job_destroy(leng_job *base)
{
  dyn_job *j = (dyn_job *)base;
  free(j->x);
  for (unsigned k = 0; k < 3; k++) free(j->out[k]);
  free(j->curve);
  free(j->curve2);
  free(j);
}

static int job_run(leng_job *base)
{
  dyn_job *j = (dyn_job *)base;
  int rc = 0;
  switch (j->op) {
  case OP_GENERATE: {
    eng_rng rng;
    eng_rng_seed(&rng, j->seed);
    double *tmp = malloc(j->n * j->nout * sizeof *tmp);
    if (!tmp) return ENG_ENOMEM;
    rc = eng_system_generate(&j->sys, j->n, j->coords, &rng, tmp);
    for (unsigned k = 0; k < j->nout && rc == 0; k++) {
      if (!(j->out[k] = malloc(j->n * sizeof(double)))) rc = ENG_ENOMEM;
      else
        for (size_t i = 0; i < j->n; i++) j->out[k][i] = tmp[i * j->nout + k];
    }
    free(tmp);
    return rc;
  }
  case OP_EMBED: {
    size_t rows = eng_embed_rows(j->n, j->m, j->tau);
    if (rows == 0) return ENG_ESHORT;
    if (!(j->out[0] = malloc(rows * j->m * sizeof(double)))) return ENG_ENOMEM;
    return eng_embed(j->x, j->n, j->m, j->tau, j->out[0], &j->rows);
  }
  case OP_DELAY:
    if (!(j->curve = malloc((j->max_lag + 1) * sizeof(double)))) return ENG_ENOMEM;
    rc = j->method == 1 ? eng_delay_acf(j->x, j->n, j->max_lag, j->rule, j->curve, &j->result)
                        : eng_delay_ami(j->x, j->n, j->max_lag, j->bins, j->curve, &j->result, NULL);
    j->found = rc == 0;
    return rc == ENG_ERANGE ? 0 : rc;
  case OP_DIMENSION:
    j->curve = malloc(j->dopts.m_max * sizeof(double));
    j->curve2 = malloc(j->dopts.m_max * sizeof(double));
    if (!j->curve || !j->curve2) return ENG_ENOMEM;
    rc = j->method == 1 ? eng_dim_cao_par(j->e, j->x, j->n, &j->dopts, j->curve, j->curve2, &j->result)
                        : eng_dim_fnn_par(j->e, j->x, j->n, &j->dopts, j->curve, &j->result);
    j->found = rc == 0;
    return rc == ENG_ERANGE ? 0 : rc;
  case OP_SPECTRUM:
    rc = eng_spectrum(&j->sys, &j->sopts, j->exps, &j->dim);
    if (rc == 0) rc = eng_kaplan_yorke(j->exps, j->dim, &j->ky);
    return rc;
  }
  return ENG_EINVAL;
}

static void push_array(lua_State *L, const double *v, size_t n)
{
  lua_createtable(L, (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    lua_pushnumber(L, v[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
}

static void set_num(lua_State *L, const char *k, double v)
{
  lua_pushnumber(L, v);
  lua_setfield(L, -2, k);
}

static int job_push(lua_State *L, leng_job *base)
{
  dyn_job *j = (dyn_job *)base;
  switch (j->op) {
  case OP_GENERATE:
    for (unsigned k = 0; k < j->nout; k++) {
      leng_push_series_owned(L, j->out[k], j->n);
      j->out[k] = NULL;
    }
    return (int)j->nout;
  case OP_EMBED:
    leng_push_series_owned(L, j->out[0], j->rows * j->m);
    j->out[0] = NULL;
    lua_pushinteger(L, (lua_Integer)j->rows);
    lua_pushinteger(L, j->m);
    return 3;
  case OP_DELAY:
    lua_pushinteger(L, j->result);
    push_array(L, j->curve, (size_t)j->max_lag + 1);
    lua_pushboolean(L, j->found);
    return 3;
  case OP_DIMENSION:
    lua_pushinteger(L, j->result);
    lua_createtable(L, 0, 8);
    lua_pushstring(L, j->method == 1 ? "cao" : "fnn");
    lua_setfield(L, -2, "method");
    lua_pushboolean(L, j->found);
    lua_setfield(L, -2, "found");
    lua_pushinteger(L, j->dopts.tau);
    lua_setfield(L, -2, "tau");
    lua_pushinteger(L, j->dopts.theiler);
    lua_setfield(L, -2, "theiler");
    if (j->method == 1) {
      push_array(L, j->curve, j->dopts.m_max);
      lua_setfield(L, -2, "e1");
      push_array(L, j->curve2, j->dopts.m_max);
      lua_setfield(L, -2, "e2");
      set_num(L, "cao_tol", j->dopts.cao_tol);
    } else {
      push_array(L, j->curve, j->dopts.m_max);
      lua_setfield(L, -2, "fnn");
      set_num(L, "rtol", j->dopts.rtol);
      set_num(L, "atol", j->dopts.atol);
      set_num(L, "fnn_max", j->dopts.fnn_max);
    }
    return 2;
  case OP_SPECTRUM:
    push_array(L, j->exps, j->dim);
    lua_pushnumber(L, j->ky);
    return 2;
  }
  return 0;
}

/* Allocates a job; raises nothing (every option was read before). */
static dyn_job *job_new(int op, eng_priority prio)
{
  dyn_job *j = calloc(1, sizeof *j);
  if (!j) return NULL;
  j->base.run = job_run;
  j->base.push = job_push;
  j->base.destroy = job_destroy;
  j->base.priority = prio;
  j->op = op;
  return j;
}

static int finish(lua_State *L, dyn_job *j, int async)
{
  if (!j) return leng_push_error(L, ENG_ENOMEM, NULL);
  return async ? leng_job_async(L, &j->base) : leng_job_call(L, &j->base);
}

/* Makes a job owning a copy of the series at arg. Call it after every option
 * has been read: leng_check_series raises before it allocates, and nothing
 * after it raises, so no memory is ever left behind by a Lua error. */
static dyn_job *job_with_series(lua_State *L, int arg, int op, eng_priority prio)
{
  leng_series_view v;
  leng_check_series(L, arg, &v);
  dyn_job *j = job_new(op, prio);
  if (j) {
    j->n = v.n;
    j->x = malloc((v.n ? v.n : 1) * sizeof(double));
    if (!j->x) {
      free(j);
      j = NULL;
    } else if (v.n) {
      memcpy(j->x, v.data, v.n * sizeof(double));
    }
  }
  leng_series_view_free(&v);
  return j;
}

/* ------------------------------------------------------------- systems */

static const char *const param_names[4][3] = {
  {"sigma", "rho", "beta"}, {"a", "b", "c"}, {"a", "b", NULL}, {"r", NULL, NULL}};

/* Reads the system fields of the options table at arg: parameters by name,
 * dt, substeps, transient, x0 (table), noise. Raises on a wrong type/range. */
static void read_system(lua_State *L, int arg, eng_system_kind kind, eng_system *s)
{
  eng_system_init(s, kind);
  unsigned d = eng_system_dim(kind);
  for (unsigned k = 0; k < 3 && param_names[kind][k]; k++) {
    s->p[k] = leng_opt_number(L, arg, param_names[kind][k], s->p[k]);
    if (!isfinite(s->p[k])) luaL_argerror(L, arg, lua_pushfstring(L, "field '%s' must be finite", param_names[kind][k]));
  }
  if (d == 3) {
    s->dt = leng_opt_number(L, arg, "dt", s->dt);
    if (!(s->dt > 0.0) || !isfinite(s->dt)) luaL_argerror(L, arg, "field 'dt' must be a positive number");
    s->substeps = (unsigned)leng_opt_integer_range(L, arg, "substeps", s->substeps, 1, 1000000);
  }
  s->transient = (size_t)leng_opt_integer_range(L, arg, "transient", (lua_Integer)s->transient, 0,
                                                MAX_SAMPLES);
  s->noise = leng_opt_number(L, arg, "noise", 0.0);
  if (!(s->noise >= 0.0) || !isfinite(s->noise)) luaL_argerror(L, arg, "field 'noise' must be a non-negative number");
  if (lua_istable(L, arg)) {
    int t = lua_getfield(L, arg, "x0");
    if (t == LUA_TTABLE) {
      for (unsigned k = 0; k < d; k++) {
        lua_rawgeti(L, -1, (lua_Integer)k + 1);
        if (!lua_isnil(L, -1)) {
          int ok;
          s->x0[k] = lua_tonumberx(L, -1, &ok);
          if (!ok || !isfinite(s->x0[k])) luaL_argerror(L, arg, "field 'x0' must hold finite numbers");
        }
        lua_pop(L, 1);
      }
    } else if (t != LUA_TNIL) {
      luaL_argerror(L, arg, "field 'x0' must be a table of numbers");
    }
    lua_pop(L, 1);
  }
}

static int generate(lua_State *L, eng_system_kind kind, int async)
{
  lua_Integer n = luaL_checkinteger(L, 1);
  if (n < 1 || n > MAX_SAMPLES) luaL_argerror(L, 1, "length must be in [1, 2^30]");
  eng_system s;
  read_system(L, 2, kind, &s);
  unsigned d = eng_system_dim(kind), coords = 0;
  const char *c = leng_opt_string(L, 2, "coordinate", "x");
  for (const char *p = c; *p; p++) {
    unsigned bit = *p == 'x' ? 1u : *p == 'y' ? 2u : *p == 'z' ? 4u : 8u;
    if (bit == 8u || (bit >> d) != 0 || (coords & bit))
      luaL_argerror(L, 2, lua_pushfstring(L, "field 'coordinate': '%s' is not a set of this system's coordinates", c));
    coords |= bit;
  }
  if (!coords) luaL_argerror(L, 2, "field 'coordinate' is empty");
  lua_Integer seed = leng_opt_integer(L, 2, "seed", 1);
  dyn_job *j = job_new(OP_GENERATE, leng_opt_priority(L, 2));
  if (j) {
    j->sys = s;
    j->n = (size_t)n;
    j->coords = coords;
    j->seed = (uint64_t)seed;
    j->nout = (unsigned)__builtin_popcount(coords);
  }
  return finish(L, j, async);
}

static int l_lorenz(lua_State *L) { return generate(L, ENG_SYS_LORENZ, 0); }
static int l_rossler(lua_State *L) { return generate(L, ENG_SYS_ROSSLER, 0); }
static int l_henon(lua_State *L) { return generate(L, ENG_SYS_HENON, 0); }
static int l_logistic(lua_State *L) { return generate(L, ENG_SYS_LOGISTIC, 0); }
static int l_lorenz_async(lua_State *L) { return generate(L, ENG_SYS_LORENZ, 1); }
static int l_rossler_async(lua_State *L) { return generate(L, ENG_SYS_ROSSLER, 1); }
static int l_henon_async(lua_State *L) { return generate(L, ENG_SYS_HENON, 1); }
static int l_logistic_async(lua_State *L) { return generate(L, ENG_SYS_LOGISTIC, 1); }

/* ------------------------------------------------------------ embed */

static int embed(lua_State *L, int async)
{
  lua_Integer m = luaL_checkinteger(L, 2), tau = luaL_checkinteger(L, 3);
  if (m < 1 || m > 1000) luaL_argerror(L, 2, "m must be an integer in [1, 1000]");
  if (tau < 1 || tau > (lua_Integer)1 << 30) luaL_argerror(L, 3, "tau must be a positive integer");
  dyn_job *j = job_with_series(L, 1, OP_EMBED, leng_opt_priority(L, 4));
  if (j) {
    j->m = (unsigned)m;
    j->tau = (unsigned)tau;
  }
  return finish(L, j, async);
}

static int l_embed(lua_State *L) { return embed(L, 0); }
static int l_embed_async(lua_State *L) { return embed(L, 1); }

/* ------------------------------------------------------------ delay */

static const char *const delay_methods[] = {"ami", "acf", NULL};
static const char *const acf_rules[] = {"zero", "1/e", NULL};

static int delay(lua_State *L, int async)
{
  luaL_checkany(L, 1);
  int method = leng_opt_enum(L, 2, "method", delay_methods, 0);
  int rule = leng_opt_enum(L, 2, "rule", acf_rules, 0);
  /* 0: min(100, n/4) once the length is known. */
  lua_Integer max_lag = leng_opt_integer_range(L, 2, "max_lag", 0, 0, 1 << 20);
  lua_Integer bins = leng_opt_integer_range(L, 2, "bins", 0, 0, 4096);
  if (leng_opt_string(L, 2, "rule", NULL) && method != 1)
    luaL_argerror(L, 2, "field 'rule' applies to method \"acf\" only");
  dyn_job *j = job_with_series(L, 1, OP_DELAY, leng_opt_priority(L, 2));
  if (j) {
    j->method = method;
    j->rule = rule == 1 ? ENG_ACF_1E : ENG_ACF_ZERO;
    j->max_lag = (unsigned)max_lag;
    if (max_lag == 0) j->max_lag = j->n / 4 > 100 ? 100 : j->n / 4 ? (unsigned)(j->n / 4) : 1;
    j->bins = (unsigned)bins;
  }
  return finish(L, j, async);
}

static int l_delay(lua_State *L) { return delay(L, 0); }
static int l_delay_async(lua_State *L) { return delay(L, 1); }

/* ---------------------------------------------------------- dimension */

static const char *const dim_methods[] = {"fnn", "cao", NULL};

static int dimension(lua_State *L, int async)
{
  luaL_checkany(L, 1);
  eng_dim_opts o;
  eng_dim_opts_init(&o);
  int method = leng_opt_enum(L, 2, "method", dim_methods, 0);
  o.tau = (unsigned)leng_opt_integer_range(L, 2, "tau", 1, 1, 1 << 30);
  o.m_max = (unsigned)leng_opt_integer_range(L, 2, "m_max", 10, 1, 200);
  o.theiler = (unsigned)leng_opt_integer_range(L, 2, "theiler", 0, 0, 1 << 30);
  o.rtol = leng_opt_number(L, 2, "rtol", o.rtol);
  o.atol = leng_opt_number(L, 2, "atol", o.atol);
  o.fnn_max = leng_opt_number(L, 2, "fnn_max", o.fnn_max);
  o.cao_tol = leng_opt_number(L, 2, "cao_tol", o.cao_tol);
  if (!(o.rtol > 0.0) || !isfinite(o.rtol)) luaL_argerror(L, 2, "field 'rtol' must be a positive number");
  if (!(o.atol > 0.0) || !isfinite(o.atol)) luaL_argerror(L, 2, "field 'atol' must be a positive number");
  if (!(o.fnn_max >= 0.0 && o.fnn_max <= 1.0)) luaL_argerror(L, 2, "field 'fnn_max' must be in [0, 1]");
  if (!(o.cao_tol > 0.0 && o.cao_tol < 0.5)) luaL_argerror(L, 2, "field 'cao_tol' must be in (0, 0.5)");
  eng_engine *e = leng_engine(L);
  dyn_job *j = job_with_series(L, 1, OP_DIMENSION, leng_opt_priority(L, 2));
  if (j) {
    j->method = method;
    j->dopts = o;
    j->e = e;
  }
  return finish(L, j, async);
}

static int l_dimension(lua_State *L) { return dimension(L, 0); }
static int l_dimension_async(lua_State *L) { return dimension(L, 1); }

/* ----------------------------------------------------------- spectrum */

static int spectrum(lua_State *L, int async)
{
  const char *name = luaL_checkstring(L, 1);
  eng_system_kind kind;
  if (eng_system_kind_from_name(name, &kind) != 0)
    luaL_argerror(L, 1, "system must be \"lorenz\", \"rossler\", \"henon\" or \"logistic\"");
  eng_system s;
  read_system(L, 2, kind, &s);
  eng_spectrum_opts so;
  eng_spectrum_opts_init(&so, kind);
  so.steps = (size_t)leng_opt_integer_range(L, 2, "steps", (lua_Integer)so.steps, 1, (lua_Integer)1 << 40);
  so.qr_every = (unsigned)leng_opt_integer_range(L, 2, "qr_every", so.qr_every, 1, 1000000);
  dyn_job *j = job_new(OP_SPECTRUM, leng_opt_priority(L, 2));
  if (j) {
    j->sys = s;
    j->sopts = so;
  }
  return finish(L, j, async);
}

static int l_spectrum(lua_State *L) { return spectrum(L, 0); }
static int l_spectrum_async(lua_State *L) { return spectrum(L, 1); }

void leng_open_dynamics(lua_State *L)
{
  static const luaL_Reg fns[] = {
    {"lorenz", l_lorenz},       {"lorenz_async", l_lorenz_async},
    {"rossler", l_rossler},     {"rossler_async", l_rossler_async},
    {"henon", l_henon},         {"henon_async", l_henon_async},
    {"logistic", l_logistic},   {"logistic_async", l_logistic_async},
    {"embed", l_embed},         {"embed_async", l_embed_async},
    {"delay", l_delay},         {"delay_async", l_delay_async},
    {"dimension", l_dimension}, {"dimension_async", l_dimension_async},
    {"spectrum", l_spectrum},   {"spectrum_async", l_spectrum_async},
    {NULL, NULL}};
  luaL_setfuncs(L, fns, 0);
}
