/* lattractor.c: Lua bindings for the attractor kernels: lyapunov, corrdim, classify, analyze. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/attractor.h"
#include "laux.h"

enum { OP_LYAP, OP_CORRDIM, OP_CLASSIFY, OP_ANALYZE };

typedef struct attr_job {
  leng_job base;
  int op;
  eng_engine *e;
  double *x; /* owned copy of the series */
  size_t n;
  eng_lyap_opts lo;
  eng_corrdim_opts co;
  eng_classify_opts clo;
  eng_analyze_opts ao;
  /* outputs */
  double *curve;      /* Lyapunov divergence curve */
  double *radii, *logc, *slopes;
  eng_lyap_result lr;
  eng_corrdim_result cr;
  eng_classify_result clr;
  eng_analyze_result ar;
} attr_job;

static void job_destroy(leng_job *base)
{
  attr_job *j = (attr_job *)base;
  free(j->x);
  free(j->curve);
  free(j->radii);
  free(j->logc);
  free(j->slopes);
  free(j);
}

static int job_run(leng_job *base)
{
  attr_job *j = (attr_job *)base;
  switch (j->op) {
  case OP_LYAP: {
    size_t cap = 1001;
    if (j->lo.kmax)
      cap = j->lo.kmax + 1;
    j->curve = malloc(cap * sizeof *j->curve);
    if (!j->curve)
      return ENG_ENOMEM;
    return eng_lyapunov_par(j->e, j->x, j->n, &j->lo, j->curve, cap, &j->lr);
  }
  case OP_CORRDIM: {
    size_t nr = eng_corrdim_nradii(&j->co), nm = j->co.m_max - j->co.m_min + 1;
    j->radii = malloc(nr * sizeof *j->radii);
    j->logc = malloc(nr * nm * sizeof *j->logc);
    j->slopes = malloc(nm * sizeof *j->slopes);
    if (!j->radii || !j->logc || !j->slopes)
      return ENG_ENOMEM;
    return eng_corrdim_par(j->e, j->x, j->n, &j->co, j->radii, j->logc, j->slopes, &j->cr);
  }
  case OP_CLASSIFY:
    return eng_classify_par(j->e, j->x, j->n, &j->clo, &j->clr);
  case OP_ANALYZE:
    return eng_analyze_par(j->e, j->x, j->n, &j->ao, &j->ar);
  }
  return ENG_EINVAL;
}

static void set_num(lua_State *L, const char *k, double v)
{
  lua_pushnumber(L, v);
  lua_setfield(L, -2, k);
}

static void set_int(lua_State *L, const char *k, lua_Integer v)
{
  lua_pushinteger(L, v);
  lua_setfield(L, -2, k);
}

static void set_pair(lua_State *L, const char *k, double a, double b, int integer)
{
  lua_createtable(L, 2, 0);
  if (integer) {
    lua_pushinteger(L, (lua_Integer)a);
    lua_rawseti(L, -2, 1);
    lua_pushinteger(L, (lua_Integer)b);
    lua_rawseti(L, -2, 2);
  } else {
    lua_pushnumber(L, a);
    lua_rawseti(L, -2, 1);
    lua_pushnumber(L, b);
    lua_rawseti(L, -2, 2);
  }
  lua_setfield(L, -2, k);
}

/* The Lyapunov result table; with_curve adds the divergence curve. */
static void push_lyap(lua_State *L, const eng_lyap_result *r, const double *curve)
{
  lua_createtable(L, 0, 12);
  set_num(L, "lambda", r->lambda);
  set_num(L, "lambda_time", r->lambda_time);
  set_pair(L, "ci", r->ci_lo, r->ci_hi, 0);
  set_pair(L, "fit", (double)r->fit_lo, (double)r->fit_hi, 1);
  set_num(L, "r2", r->r2);
  set_num(L, "intercept", r->intercept);
  set_int(L, "kmax", (lua_Integer)r->kmax);
  set_int(L, "theiler", (lua_Integer)r->theiler);
  set_num(L, "eps", r->eps);
  set_int(L, "nref", (lua_Integer)r->nref);
  set_num(L, "rise", r->rise);
  if (curve) {
    lua_createtable(L, (int)(r->kmax + 1), 0);
    for (size_t k = 0; k <= r->kmax; k++) {
      lua_pushnumber(L, curve[k]);
      lua_rawseti(L, -2, (lua_Integer)k + 1);
    }
    lua_setfield(L, -2, "curve");
  }
}

static void push_corr(lua_State *L, const eng_corrdim_result *r)
{
  set_num(L, "d2", r->d2);
  set_num(L, "d2_sd", r->d2_sd);
  set_pair(L, "region", r->r_lo, r->r_hi, 0);
  set_int(L, "theiler", (lua_Integer)r->theiler);
}

static void push_evidence(lua_State *L, const eng_classify_result *r)
{
  lua_createtable(L, 0, 20);
  set_int(L, "m", r->m);
  set_int(L, "tau", r->tau);
  set_int(L, "theiler", (lua_Integer)r->theiler);
  set_num(L, "period", r->period);
  set_num(L, "decay", r->decay);
  set_num(L, "lambda", r->lambda);
  set_pair(L, "lambda_ci", r->lambda_lo, r->lambda_hi, 0);
  set_num(L, "lambda_time", r->lambda_time);
  set_num(L, "lambda_period", r->lambda_period);
  set_num(L, "rise", r->rise);
  if (r->d2_ok)
    set_num(L, "d2", r->d2);
  set_num(L, "pred_err", r->pred_err);
  set_num(L, "surr_err_min", r->surr_err_min);
  set_num(L, "surr_err_median", r->surr_err_median);
  lua_pushboolean(L, r->surr_reject);
  lua_setfield(L, -2, "surrogate_reject");
}

static int job_push(lua_State *L, leng_job *base)
{
  attr_job *j = (attr_job *)base;
  switch (j->op) {
  case OP_LYAP:
    push_lyap(L, &j->lr, j->curve);
    return 1;
  case OP_CORRDIM: {
    size_t nr = eng_corrdim_nradii(&j->co);
    unsigned nm = j->co.m_max - j->co.m_min + 1;
    lua_createtable(L, 0, 8);
    push_corr(L, &j->cr);
    lua_createtable(L, (int)nr, 0);
    for (size_t k = 0; k < nr; k++) {
      lua_pushnumber(L, j->radii[k]);
      lua_rawseti(L, -2, (lua_Integer)k + 1);
    }
    lua_setfield(L, -2, "radii");
    /* logc[m] and slopes[m] are indexed by the embedding dimension itself */
    lua_createtable(L, 0, (int)nm);
    for (unsigned a = 0; a < nm; a++) {
      lua_createtable(L, (int)nr, 0);
      for (size_t k = 0; k < nr; k++) {
        lua_pushnumber(L, j->logc[a * nr + k]);
        lua_rawseti(L, -2, (lua_Integer)k + 1);
      }
      lua_rawseti(L, -2, (lua_Integer)(j->co.m_min + a));
    }
    lua_setfield(L, -2, "logc");
    lua_createtable(L, 0, (int)nm);
    for (unsigned a = 0; a < nm; a++) {
      lua_pushnumber(L, j->slopes[a]);
      lua_rawseti(L, -2, (lua_Integer)(j->co.m_min + a));
    }
    lua_setfield(L, -2, "slopes");
    set_pair(L, "region_index", (double)j->cr.i_lo + 1, (double)j->cr.i_hi + 1, 1);
    return 1;
  }
  case OP_CLASSIFY:
    lua_pushstring(L, eng_attractor_class_name(j->clr.cls));
    push_evidence(L, &j->clr);
    return 2;
  case OP_ANALYZE: {
    const eng_analyze_result *r = &j->ar;
    lua_createtable(L, 0, 16);
    set_int(L, "tau", r->tau);
    set_int(L, "m", r->m);
    lua_pushboolean(L, r->tau_auto);
    lua_setfield(L, -2, "tau_auto");
    lua_pushboolean(L, r->m_auto);
    lua_setfield(L, -2, "m_auto");
    lua_pushstring(L, r->tau_rule ? r->tau_rule : "given");
    lua_setfield(L, -2, "tau_rule");
    if (r->m_auto)
      set_num(L, "fnn_frac", r->fnn_frac);
    set_int(L, "theiler", (lua_Integer)r->theiler);
    set_num(L, "lambda", r->lyap.lambda);
    set_num(L, "lambda_time", r->lyap.lambda_time);
    push_lyap(L, &r->lyap, NULL);
    lua_setfield(L, -2, "lyapunov");
    lua_createtable(L, 0, 4);
    push_corr(L, &r->corr);
    lua_setfield(L, -2, "corrdim");
    set_num(L, "d2", r->corr.d2);
    lua_pushstring(L, eng_attractor_class_name(r->cls.cls));
    lua_setfield(L, -2, "class");
    push_evidence(L, &r->cls);
    lua_setfield(L, -2, "evidence");
    return 1;
  }
  }
  return 0;
}

/* Copies the series at arg into a new job. Called after every option has
 * been read: leng_check_series raises before anything is allocated, and
 * nothing raises after it, so a Lua error never leaks the job. */
static attr_job *job_with_series(lua_State *L, int arg, int op, eng_priority prio)
{
  eng_engine *e = leng_engine(L);
  leng_series_view v;
  leng_check_series(L, arg, &v);
  attr_job *j = calloc(1, sizeof *j);
  if (j) {
    j->base.run = job_run;
    j->base.push = job_push;
    j->base.destroy = job_destroy;
    j->base.priority = prio;
    j->op = op;
    j->e = e;
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

static int finish(lua_State *L, attr_job *j, int async)
{
  if (!j)
    return leng_push_error(L, ENG_ENOMEM, NULL);
  return async ? leng_job_async(L, &j->base) : leng_job_call(L, &j->base);
}

static const char *const lyap_methods[] = {"rosenstein", "kantz", NULL};

/* theiler: a non-negative integer, or absent for the automatic window. */
static size_t opt_theiler(lua_State *L, int arg)
{
  lua_Integer w = leng_opt_integer_range(L, arg, "theiler", -1, -1, (lua_Integer)1 << 40);
  return w < 0 ? ENG_LYAP_AUTO : (size_t)w;
}

static double opt_positive(lua_State *L, int arg, const char *field, double def)
{
  double v = leng_opt_number(L, arg, field, def);
  if (!(v > 0.0) || !isfinite(v)) {
    lua_pushfstring(L, "field '%s' must be a positive number", field);
    luaL_argerror(L, arg, lua_tostring(L, -1));
  }
  return v;
}

static int lyapunov(lua_State *L, int async)
{
  eng_lyap_opts o;
  eng_lyap_opts_init(&o);
  o.method = (eng_lyap_method)leng_opt_enum(L, 2, "method", lyap_methods, 0);
  o.m = (unsigned)leng_opt_integer_range(L, 2, "m", 2, 1, 64);
  o.tau = (unsigned)leng_opt_integer_range(L, 2, "tau", 1, 1, 1 << 30);
  o.theiler = opt_theiler(L, 2);
  o.dt = opt_positive(L, 2, "dt", 1.0);
  o.kmax = (size_t)leng_opt_integer_range(L, 2, "kmax", 0, 0, 100000);
  o.fit_lo = (size_t)leng_opt_integer_range(L, 2, "fit_lo", 0, 0, 100000);
  o.fit_hi = (size_t)leng_opt_integer_range(L, 2, "fit_hi", 0, 0, 100000);
  if (o.fit_hi && o.fit_lo >= o.fit_hi)
    luaL_argerror(L, 2, "field 'fit_lo' must be below 'fit_hi'");
  o.eps = leng_opt_number(L, 2, "eps", 0.0);
  if (!(o.eps >= 0.0) || !isfinite(o.eps))
    luaL_argerror(L, 2, "field 'eps' must be a non-negative number");
  o.nref = (size_t)leng_opt_integer_range(L, 2, "nref", 0, 0, LUA_MAXINTEGER);
  o.kantz_k = (size_t)leng_opt_integer_range(L, 2, "kantz_k", 4, 1, 64);
  attr_job *j = job_with_series(L, 1, OP_LYAP, leng_opt_priority(L, 2));
  if (j)
    j->lo = o;
  return finish(L, j, async);
}

static int corrdim(lua_State *L, int async)
{
  eng_corrdim_opts o;
  eng_corrdim_opts_init(&o);
  o.m_min = (unsigned)leng_opt_integer_range(L, 2, "m_min", 1, 1, 64);
  o.m_max = (unsigned)leng_opt_integer_range(L, 2, "m_max", 10, 1, 64);
  if (o.m_max < o.m_min)
    luaL_argerror(L, 2, "field 'm_max' must be >= 'm_min'");
  o.tau = (unsigned)leng_opt_integer_range(L, 2, "tau", 1, 1, 1 << 30);
  o.theiler = opt_theiler(L, 2);
  o.r_max = opt_positive(L, 2, "r_max", 1.0);
  o.octaves = (unsigned)leng_opt_integer_range(L, 2, "octaves", 12, 1, 60);
  o.min_pairs = opt_positive(L, 2, "min_pairs", 200);
  attr_job *j = job_with_series(L, 1, OP_CORRDIM, leng_opt_priority(L, 2));
  if (j)
    j->co = o;
  return finish(L, j, async);
}

static int classify(lua_State *L, int async)
{
  eng_classify_opts o;
  eng_classify_opts_init(&o);
  o.m = (unsigned)leng_opt_integer_range(L, 2, "m", 0, 0, 32);
  o.tau = (unsigned)leng_opt_integer_range(L, 2, "tau", 0, 0, 1 << 30);
  o.theiler = opt_theiler(L, 2);
  o.surrogates = (unsigned)leng_opt_integer_range(L, 2, "surrogates", 19, 0, 999);
  o.seed = (uint64_t)leng_opt_integer(L, 2, "seed", 1);
  o.dt = opt_positive(L, 2, "dt", 1.0);
  attr_job *j = job_with_series(L, 1, OP_CLASSIFY, leng_opt_priority(L, 2));
  if (j)
    j->clo = o;
  return finish(L, j, async);
}

static int analyze(lua_State *L, int async)
{
  eng_analyze_opts o;
  eng_analyze_opts_init(&o);
  o.tau = (unsigned)leng_opt_integer_range(L, 2, "tau", 0, 0, 1 << 30);
  o.m = (unsigned)leng_opt_integer_range(L, 2, "m", 0, 0, 32);
  o.m_max = (unsigned)leng_opt_integer_range(L, 2, "m_max", 10, 1, 32);
  o.dt = opt_positive(L, 2, "dt", 1.0);
  o.method = (eng_lyap_method)leng_opt_enum(L, 2, "method", lyap_methods, 0);
  o.surrogates = (unsigned)leng_opt_integer_range(L, 2, "surrogates", 19, 0, 999);
  o.seed = (uint64_t)leng_opt_integer(L, 2, "seed", 1);
  attr_job *j = job_with_series(L, 1, OP_ANALYZE, leng_opt_priority(L, 2));
  if (j)
    j->ao = o;
  return finish(L, j, async);
}

static int l_lyapunov(lua_State *L) { return lyapunov(L, 0); }
static int l_lyapunov_async(lua_State *L) { return lyapunov(L, 1); }
static int l_corrdim(lua_State *L) { return corrdim(L, 0); }
static int l_corrdim_async(lua_State *L) { return corrdim(L, 1); }
static int l_classify(lua_State *L) { return classify(L, 0); }
static int l_classify_async(lua_State *L) { return classify(L, 1); }
static int l_analyze(lua_State *L) { return analyze(L, 0); }
static int l_analyze_async(lua_State *L) { return analyze(L, 1); }

void leng_open_attractor(lua_State *L)
{
  static const luaL_Reg fns[] = {
      {"lyapunov", l_lyapunov}, {"lyapunov_async", l_lyapunov_async},
      {"corrdim", l_corrdim},   {"corrdim_async", l_corrdim_async},
      {"classify", l_classify}, {"classify_async", l_classify_async},
      {"analyze", l_analyze},   {"analyze_async", l_analyze_async},
      {NULL, NULL}};
  luaL_setfuncs(L, fns, 0);
}
