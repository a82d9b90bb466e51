/* ltemporal.c: Lua bindings for DTW, lower bounds, subsequence search and distance matrices. */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/temporal.h"
#include "laux.h"

/* ------------------------------------------------------------ arguments */

/* Raises unless arg is an engine.series or a table of numbers; allocates
 * nothing, so every argument can be checked before the first allocation. */
static size_t validate_item(lua_State *L, int idx, int arg, lua_Integer item)
{
  if (luaL_testudata(L, idx, LENG_SERIES) != NULL)
    return leng_toseries(L, idx)->n;
  if (lua_type(L, idx) != LUA_TTABLE) {
    if (item == 0)
      luaL_typeerror(L, arg, "table of numbers or " LENG_SERIES);
    lua_pushfstring(L, "item %I: table of numbers or " LENG_SERIES " expected, got %s",
                    (LUAI_UACINT)item, luaL_typename(L, idx));
    luaL_argerror(L, arg, lua_tostring(L, -1));
    return 0;
  }
  lua_Integer n = (lua_Integer)lua_rawlen(L, idx);
  for (lua_Integer i = 1; i <= n; i++) {
    int t = lua_rawgeti(L, idx, i);
    lua_pop(L, 1);
    if (t != LUA_TNUMBER) {
      if (item)
        lua_pushfstring(L, "item %I: number expected at index %I, got %s", (LUAI_UACINT)item,
                        (LUAI_UACINT)i, lua_typename(L, t));
      else
        lua_pushfstring(L, "number expected at index %I, got %s", (LUAI_UACINT)i,
                        lua_typename(L, t));
      luaL_argerror(L, arg, lua_tostring(L, -1));
    }
  }
  return (size_t)n;
}

static size_t validate_series(lua_State *L, int arg) { return validate_item(L, arg, arg, 0); }

/* Copies a validated series (value at stack index idx) into dst[0..n). */
static void copy_series(lua_State *L, int idx, double *dst, size_t n)
{
  if (luaL_testudata(L, idx, LENG_SERIES) != NULL) {
    if (n)
      memcpy(dst, leng_toseries(L, idx)->data, n * sizeof *dst);
    return;
  }
  for (size_t i = 0; i < n; i++) {
    lua_rawgeti(L, idx, (lua_Integer)i + 1);
    dst[i] = (double)lua_tonumber(L, -1);
    lua_pop(L, 1);
  }
}

static const char *const cost_names[] = {"squared", "absolute", NULL};

/* Reads the DTW fields of the options table at arg: cost, window, cutoff,
 * normalize. A negative window raises. */
static void dtw_opts(lua_State *L, int arg, eng_dtw_opts *o)
{
  eng_dtw_opts_init(o);
  o->cost = leng_opt_enum(L, arg, "cost", cost_names, 0) ? ENG_DTW_ABSOLUTE : ENG_DTW_SQUARED;
  lua_Integer w = leng_opt_integer(L, arg, "window", -1);
  if (lua_istable(L, arg)) {
    lua_getfield(L, arg, "window");
    int present = !lua_isnil(L, -1);
    lua_pop(L, 1);
    if (present && w < 0)
      luaL_argerror(L, arg, "field 'window' must be a non-negative integer");
  }
  o->window = w < 0 ? ENG_DTW_NOWINDOW : (w > PTRDIFF_MAX ? ENG_DTW_NOWINDOW : (ptrdiff_t)w);
  o->cutoff = leng_opt_number(L, arg, "cutoff", INFINITY);
  if (isnan(o->cutoff))
    luaL_argerror(L, arg, "field 'cutoff' must not be NaN");
  o->normalize = leng_opt_boolean(L, arg, "normalize", 0);
}

static void check_opts_table(lua_State *L, int arg)
{
  if (!lua_isnoneornil(L, arg))
    luaL_checktype(L, arg, LUA_TTABLE);
}

/* ------------------------------------------------------------ jobs */

enum { OP_DTW, OP_SEARCH, OP_MATRIX };

typedef struct tjob {
  leng_job base;
  int op;
  double *a, *b; /* dtw: the two series; search: query and series */
  size_t na, nb, dims;
  eng_dtw_opts o;
  int want_path;
  size_t *path, plen;
  double dist;
  /* search */
  eng_dtw_search_opts so;
  eng_dtw_match *m;
  size_t nm;
  eng_dtw_search_stats st;
  /* matrix */
  eng_engine *e;
  eng_matrix_opts mo;
  eng_seq *items;
  size_t k;
  void *store;   /* every item's data, one block */
  eng_seq query;
  int has_query;
  double *out;
  int bar;       /* draw a progress bar on stderr */
  /* Cancelling a running matrix from its future (matrix_cancel):
   * mu guards mj (the running job, NULL outside eng_matrix_start..wait) and
   * stop (a cancel that came before the job started). */
  pthread_mutex_t mu;
  int mu_init;
  eng_matrix_job *mj;
  int stop;
  int drawn;
  uint64_t t0_ns;
  eng_matrix_report rep;
} tjob;

static void tjob_destroy(leng_job *j)
{
  tjob *t = (tjob *)j;
  free(t->a);
  free(t->b);
  free(t->path);
  free(t->m);
  free(t->items);
  free(t->store);
  free(t->out);
  if (t->mu_init)
    pthread_mutex_destroy(&t->mu);
  free(t);
}

/* Progress bar: only on a terminal and only once the job has run for half a
 * second, so short jobs and redirected output stay silent. Runs on a worker,
 * serialised by the matrix job. */
static void bar_progress(size_t done, size_t total, void *ud)
{
  tjob *t = ud;
  if (!t->drawn && eng_now_ns() - t->t0_ns < 500000000ull)
    return;
  int width = 40, fill = (int)((double)done / (double)total * width);
  char line[64];
  memset(line, '#', (size_t)fill);
  memset(line + fill, '.', (size_t)(width - fill));
  line[width] = '\0';
  fprintf(stderr, "\rdistance_matrix [%s] %3d%%", line, (int)(100.0 * done / total));
  fflush(stderr);
  t->drawn = 1;
}

static int tjob_run(leng_job *j)
{
  tjob *t = (tjob *)j;
  int rc;
  switch (t->op) {
  case OP_DTW:
    if (t->want_path) {
      size_t cap = t->na + t->nb - 1;
      t->path = malloc(2 * cap * sizeof *t->path);
      if (t->path == NULL)
        return ENG_ENOMEM;
      return eng_dtw_path(t->a, t->na, t->b, t->nb, &t->o, t->path, cap, &t->plen, &t->dist);
    }
    if (t->dims > 1) {
      size_t nws = eng_dtw_workspace(t->na, t->nb);
      double *ws = malloc(nws * sizeof *ws);
      if (ws == NULL)
        return ENG_ENOMEM;
      rc = eng_dtw_distance_md(t->a, t->na, t->dims, t->b, t->nb, t->dims, &t->o, ws, nws,
                               &t->dist);
      free(ws);
      return rc;
    }
    return eng_dtw_distance(t->a, t->na, t->b, t->nb, &t->o, &t->dist);
  case OP_SEARCH:
    t->m = malloc(t->so.k * sizeof *t->m);
    if (t->m == NULL)
      return ENG_ENOMEM;
    return eng_dtw_search(t->a, t->na, t->b, t->nb, &t->so, t->m, &t->nm, &t->st);
  default:
    t->t0_ns = eng_now_ns();
    {
      eng_matrix_job *mj;
      rc = eng_matrix_start(t->e, t->items, t->k, t->has_query ? &t->query : NULL, &t->mo,
                            t->out, &mj);
      if (rc)
        return rc;
      pthread_mutex_lock(&t->mu);
      t->mj = mj;
      if (t->stop)
        eng_matrix_cancel(mj);
      pthread_mutex_unlock(&t->mu);
      rc = eng_matrix_wait(mj, &t->rep);
      pthread_mutex_lock(&t->mu);
      t->mj = NULL;
      pthread_mutex_unlock(&t->mu);
      eng_matrix_destroy(mj);
    }
    if (t->drawn)
      fputc('\n', stderr);
    return rc;
  }
}

static void set_num(lua_State *L, const char *k, double v)
{
  lua_pushnumber(L, v);
  lua_setfield(L, -2, k);
}

static int tjob_push(lua_State *L, leng_job *j)
{
  tjob *t = (tjob *)j;
  switch (t->op) {
  case OP_DTW:
    lua_pushnumber(L, t->dist);
    if (!t->want_path)
      return 1;
    lua_createtable(L, (int)t->plen, 0);
    for (size_t k = 0; k < t->plen; k++) {
      lua_createtable(L, 2, 0);
      lua_pushinteger(L, (lua_Integer)t->path[2 * k] + 1);
      lua_rawseti(L, -2, 1);
      lua_pushinteger(L, (lua_Integer)t->path[2 * k + 1] + 1);
      lua_rawseti(L, -2, 2);
      lua_rawseti(L, -2, (lua_Integer)k + 1);
    }
    return 2;
  case OP_SEARCH:
    lua_createtable(L, (int)t->nm, 0);
    for (size_t k = 0; k < t->nm; k++) {
      lua_createtable(L, 0, 2);
      lua_pushinteger(L, (lua_Integer)t->m[k].pos + 1);
      lua_setfield(L, -2, "pos");
      set_num(L, "dist", t->m[k].dist);
      lua_rawseti(L, -2, (lua_Integer)k + 1);
    }
    lua_createtable(L, 0, 5);
    set_num(L, "windows", (double)t->st.windows);
    set_num(L, "kim", (double)t->st.kim);
    set_num(L, "keogh_eq", (double)t->st.keogh_eq);
    set_num(L, "keogh_ec", (double)t->st.keogh_ec);
    set_num(L, "dtw", (double)t->st.dtw);
    return 2;
  default:
    if (t->has_query) {
      lua_createtable(L, (int)t->k, 0);
      for (size_t i = 0; i < t->k; i++) {
        lua_pushnumber(L, t->out[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
      }
      return 1;
    }
    lua_createtable(L, (int)t->k, 0);
    for (size_t i = 0; i < t->k; i++) {
      lua_createtable(L, (int)t->k, 0);
      for (size_t c = 0; c < t->k; c++) {
        lua_pushnumber(L, t->out[i * t->k + c]);
        lua_rawseti(L, -2, (lua_Integer)c + 1);
      }
      lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
  }
}

static tjob *new_job(lua_State *L, int op)
{
  tjob *t = calloc(1, sizeof *t);
  if (t == NULL)
    luaL_error(L, "not enough memory");
  t->base.run = tjob_run;
  t->base.push = tjob_push;
  t->base.destroy = tjob_destroy;
  t->op = op;
  return t;
}

/* Copies the series at args ia and ib (validated) into a new job. */
static tjob *pair_job(lua_State *L, int op, int ia, size_t na, int ib, size_t nb)
{
  tjob *t = new_job(L, op);
  t->a = malloc((na ? na : 1) * sizeof *t->a);
  t->b = malloc((nb ? nb : 1) * sizeof *t->b);
  if (t->a == NULL || t->b == NULL) {
    tjob_destroy(&t->base);
    luaL_error(L, "not enough memory");
  }
  copy_series(L, ia, t->a, na);
  copy_series(L, ib, t->b, nb);
  t->na = na;
  t->nb = nb;
  return t;
}

/* engine.dtw(a, b [, opts]) -> distance [, path] */
static int dtw_common(lua_State *L, int async)
{
  check_opts_table(L, 3);
  eng_dtw_opts o;
  dtw_opts(L, 3, &o);
  int want_path = leng_opt_boolean(L, 3, "path", 0);
  lua_Integer dims = leng_opt_integer_range(L, 3, "dims", 1, 1, 1 << 20);
  eng_priority prio = leng_opt_priority(L, 3);
  size_t na = validate_series(L, 1), nb = validate_series(L, 2);
  if (na == 0)
    luaL_argerror(L, 1, "empty series");
  if (nb == 0)
    luaL_argerror(L, 2, "empty series");
  if (na % (size_t)dims)
    luaL_argerror(L, 1, "length is not a multiple of field 'dims'");
  if (nb % (size_t)dims)
    luaL_argerror(L, 2, "length is not a multiple of field 'dims'");
  if (want_path && dims > 1)
    luaL_argerror(L, 3, "field 'path' needs dims = 1");
  tjob *t = pair_job(L, OP_DTW, 1, na, 2, nb);
  t->na = na / (size_t)dims;
  t->nb = nb / (size_t)dims;
  t->dims = (size_t)dims;
  t->o = o;
  t->want_path = want_path;
  t->base.priority = prio;
  return async ? leng_job_async(L, &t->base) : leng_job_call(L, &t->base);
}

/* engine.dtw_search(query, series [, opts]) -> matches, stats */
static int search_common(lua_State *L, int async)
{
  check_opts_table(L, 3);
  eng_dtw_search_opts so;
  eng_dtw_search_opts_init(&so);
  so.cost = leng_opt_enum(L, 3, "cost", cost_names, 0) ? ENG_DTW_ABSOLUTE : ENG_DTW_SQUARED;
  lua_Integer w = leng_opt_integer(L, 3, "window", -1);
  if (lua_istable(L, 3)) {
    lua_getfield(L, 3, "window");
    int present = !lua_isnil(L, -1);
    lua_pop(L, 1);
    if (present && w < 0)
      luaL_argerror(L, 3, "field 'window' must be a non-negative integer");
  }
  so.window = w < 0 ? ENG_DTW_NOWINDOW : (ptrdiff_t)w;
  so.k = (size_t)leng_opt_integer_range(L, 3, "k", 1, 1, 1 << 20);
  so.exclusion = (size_t)leng_opt_integer_range(L, 3, "exclusion", 0, 0, LUA_MAXINTEGER);
  so.znorm = leng_opt_boolean(L, 3, "znorm", 1);
  eng_priority prio = leng_opt_priority(L, 3);
  size_t nq = validate_series(L, 1), nx = validate_series(L, 2);
  if (nq == 0)
    luaL_argerror(L, 1, "empty query");
  tjob *t = pair_job(L, OP_SEARCH, 1, nq, 2, nx);
  t->so = so;
  t->base.priority = prio;
  return async ? leng_job_async(L, &t->base) : leng_job_call(L, &t->base);
}

static const char *const metric_names[] = {"dtw", "edit", "lcs", NULL};

/* f:cancel() on a running distance_matrix_async: the scheduler can only
 * unqueue a task that has not started, so ask the matrix itself to skip its
 * remaining tiles; :wait() then returns nil, message, "ECANCELED". mu guards
 * mj against run() starting or finishing the matrix at the same time. */
static void matrix_cancel(leng_job *job)
{
  tjob *t = (tjob *)job;
  pthread_mutex_lock(&t->mu);
  t->stop = 1;
  if (t->mj)
    eng_matrix_cancel(t->mj);
  pthread_mutex_unlock(&t->mu);
}

/* engine.distance_matrix(list [, opts]) -> k x k table, or k distances with opts.query */
static int matrix_common(lua_State *L, int async)
{
  luaL_checktype(L, 1, LUA_TTABLE);
  check_opts_table(L, 2);
  eng_matrix_opts mo;
  eng_matrix_opts_init(&mo);
  int metric = leng_opt_enum(L, 2, "metric", metric_names, 0);
  dtw_opts(L, 2, &mo.dtw);
  mo.tile = (size_t)leng_opt_integer_range(L, 2, "tile", 0, 0, 1 << 20);
  mo.priority = leng_opt_priority(L, 2);
  int progress = 1;
  if (lua_istable(L, 2)) {
    lua_getfield(L, 2, "progress");
    int present = !lua_isnil(L, -1);
    lua_pop(L, 1);
    if (present)
      progress = leng_opt_boolean(L, 2, "progress", 1);
  }
  mo.metric = metric == 0 ? ENG_METRIC_DTW : metric == 1 ? ENG_METRIC_EDIT : ENG_METRIC_LCS;
  size_t k = (size_t)lua_rawlen(L, 1);
  if (k == 0)
    luaL_argerror(L, 1, "empty list");
  int has_query = 0;
  if (lua_istable(L, 2)) {
    lua_getfield(L, 2, "query");
    has_query = !lua_isnil(L, -1);
    lua_pop(L, 1);
  }
  /* Check every item (and the query) before allocating anything. */
  size_t total = 0, qn = 0;
  for (size_t i = 1; i <= k; i++) {
    lua_rawgeti(L, 1, (lua_Integer)i);
    int idx = lua_gettop(L);
    size_t n;
    if (metric == 0) {
      n = validate_item(L, idx, 1, (lua_Integer)i);
      if (n == 0) {
        lua_pushfstring(L, "empty series at index %I", (LUAI_UACINT)i);
        luaL_argerror(L, 1, lua_tostring(L, -1));
      }
    } else {
      if (lua_type(L, idx) != LUA_TSTRING) {
        lua_pushfstring(L, "item %I: string expected, got %s", (LUAI_UACINT)i,
                        luaL_typename(L, idx));
        luaL_argerror(L, 1, lua_tostring(L, -1));
      }
      n = lua_rawlen(L, idx);
    }
    total += n;
    lua_pop(L, 1);
  }
  if (has_query) {
    lua_getfield(L, 2, "query");
    int idx = lua_gettop(L);
    if (metric == 0) {
      if (luaL_testudata(L, idx, LENG_SERIES) == NULL && !lua_istable(L, idx))
        luaL_argerror(L, 2, "field 'query' must be a series");
      qn = validate_item(L, idx, 2, 1);
      if (qn == 0)
        luaL_argerror(L, 2, "field 'query' is an empty series");
    } else {
      if (lua_type(L, idx) != LUA_TSTRING)
        luaL_argerror(L, 2, "field 'query' must be a string");
      qn = lua_rawlen(L, idx);
    }
    lua_pop(L, 1);
  }
  if (!has_query && k > SIZE_MAX / sizeof(double) / k)
    luaL_argerror(L, 1, "list too long");
  size_t esz = metric == 0 ? sizeof(double) : 1;
  tjob *t = new_job(L, OP_MATRIX);
  t->items = malloc(k * sizeof *t->items);
  t->store = malloc((total + qn + 1) * esz);
  t->out = malloc((has_query ? k : k * k) * sizeof *t->out);
  if (t->items == NULL || t->store == NULL || t->out == NULL) {
    tjob_destroy(&t->base);
    return luaL_error(L, "not enough memory");
  }
  char *p = t->store;
  for (size_t i = 1; i <= k; i++) {
    lua_rawgeti(L, 1, (lua_Integer)i);
    size_t n;
    if (metric == 0) {
      n = luaL_testudata(L, -1, LENG_SERIES) ? leng_toseries(L, -1)->n : lua_rawlen(L, -1);
      copy_series(L, lua_gettop(L), (double *)(void *)p, n);
    } else {
      const char *s = lua_tolstring(L, -1, &n);
      memcpy(p, s, n);
    }
    lua_pop(L, 1);
    t->items[i - 1].data = p;
    t->items[i - 1].n = n;
    p += n * esz;
  }
  if (has_query) {
    lua_getfield(L, 2, "query");
    if (metric == 0) {
      copy_series(L, lua_gettop(L), (double *)(void *)p, qn);
    } else {
      memcpy(p, lua_tostring(L, -1), qn);
    }
    lua_pop(L, 1);
    t->query.data = p;
    t->query.n = qn;
    t->has_query = 1;
  }
  t->k = k;
  t->e = leng_engine(L);
  t->bar = progress && isatty(STDERR_FILENO);
  if (t->bar) {
    mo.progress = bar_progress;
    mo.progress_ud = t;
  }
  t->mo = mo;
  t->base.priority = mo.priority;
  pthread_mutex_init(&t->mu, NULL);
  t->mu_init = 1;
  t->base.cancel = matrix_cancel;
  return async ? leng_job_async(L, &t->base) : leng_job_call(L, &t->base);
}

/* engine.lb_keogh(a, b [, opts]) -> bound (and engine.lb_kim): cheap, so they
 * run on the calling thread. */
static int lb_common(lua_State *L, int kim)
{
  check_opts_table(L, 3);
  eng_dtw_opts o;
  dtw_opts(L, 3, &o);
  size_t na = validate_series(L, 1), nb = validate_series(L, 2);
  if (na == 0)
    luaL_argerror(L, 1, "empty series");
  if (nb == 0)
    luaL_argerror(L, 2, "empty series");
  double *buf = malloc((na + nb) * sizeof *buf);
  if (buf == NULL)
    return luaL_error(L, "not enough memory");
  copy_series(L, 1, buf, na);
  copy_series(L, 2, buf + na, nb);
  double lb = 0;
  int rc = kim ? eng_lb_kim(buf, na, buf + na, nb, &o, &lb)
               : eng_lb_keogh(buf, na, buf + na, nb, &o, &lb);
  free(buf);
  if (rc)
    return leng_push_error(L, rc, NULL);
  lua_pushnumber(L, lb);
  return 1;
}

static int l_dtw(lua_State *L) { return dtw_common(L, 0); }
static int l_dtw_async(lua_State *L) { return dtw_common(L, 1); }
static int l_search(lua_State *L) { return search_common(L, 0); }
static int l_search_async(lua_State *L) { return search_common(L, 1); }
static int l_matrix(lua_State *L) { return matrix_common(L, 0); }
static int l_matrix_async(lua_State *L) { return matrix_common(L, 1); }
static int l_lb_keogh(lua_State *L) { return lb_common(L, 0); }
static int l_lb_kim(lua_State *L) { return lb_common(L, 1); }

void leng_open_temporal(lua_State *L)
{
  static const luaL_Reg fns[] = {{"dtw", l_dtw},
                                 {"dtw_async", l_dtw_async},
                                 {"dtw_search", l_search},
                                 {"dtw_search_async", l_search_async},
                                 {"distance_matrix", l_matrix},
                                 {"distance_matrix_async", l_matrix_async},
                                 {"lb_keogh", l_lb_keogh},
                                 {"lb_kim", l_lb_kim},
                                 {NULL, NULL}};
  luaL_setfuncs(L, fns, 0);
}
