/* lltl.c: Lua bindings for LTL: engine.ltl.parse/check/check_many/monitor/load_csv and their objects. */
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ltl.h"
#include "laux.h"

#define LFORMULA "engine.ltl.formula"
#define LTRACE "engine.ltl.trace"
#define LMONITOR "engine.ltl.monitor"

/* A formula or trace shared by Lua objects and running jobs: the last
 * reference frees it, on whichever thread drops it. */
typedef struct lref {
  atomic_int refs;
  eng_ltl_formula *f;
  eng_ltl_trace *t;
} lref;

typedef struct lbox {
  lref *r;
} lbox;

static lref *ref_new(void) {
  lref *r = calloc(1, sizeof *r);
  if (r) atomic_init(&r->refs, 1);
  return r;
}

static lref *ref_take(lref *r) {
  atomic_fetch_add_explicit(&r->refs, 1, memory_order_relaxed);
  return r;
}

static void ref_drop(lref *r) {
  /* acq_rel: the thread that frees sees every other holder's use finished */
  if (r && atomic_fetch_sub_explicit(&r->refs, 1, memory_order_acq_rel) == 1) {
    eng_ltl_formula_free(r->f);
    eng_ltl_trace_free(r->t);
    free(r);
  }
}

static int box_gc(lua_State *L) {
  lbox *b = lua_touserdata(L, 1);
  if (b && b->r) {
    ref_drop(b->r);
    b->r = NULL;
  }
  return 0;
}

static lbox *push_box(lua_State *L, const char *mt) {
  lbox *b = lua_newuserdatauv(L, sizeof *b, 0);
  b->r = NULL;
  luaL_setmetatable(L, mt);
  return b;
}

/* Pushes a parse error as nil, "line:col: msg\n<line>\n<caret>", "EPARSE". */
static int push_parse_error(lua_State *L, const eng_ltl_diag *d, const char *src, size_t len) {
  char buf[512];
  eng_ltl_diag_format(d, src, len, buf, sizeof buf);
  return leng_push_error(L, d->code ? d->code : ENG_EPARSE, buf);
}

/* The formula at arg (an engine.ltl.formula or text). For text a new formula
 * object is pushed; on a syntax error the three error values are pushed and
 * NULL returned (*nret = 3). */
static lref *formula_arg(lua_State *L, int arg, int *nret) {
  *nret = 0;
  if (lua_type(L, arg) == LUA_TSTRING) {
    size_t len;
    const char *s = lua_tolstring(L, arg, &len);
    lbox *b = push_box(L, LFORMULA);
    eng_ltl_formula *f;
    eng_ltl_diag d;
    int rc = eng_ltl_parse(s, len, &f, &d);
    if (rc) {
      lua_pop(L, 1);
      *nret = push_parse_error(L, &d, s, len);
      return NULL;
    }
    b->r = ref_new();
    if (!b->r) {
      eng_ltl_formula_free(f);
      lua_pop(L, 1);
      *nret = leng_push_error(L, ENG_ENOMEM, NULL);
      return NULL;
    }
    b->r->f = f;
    return b->r;
  }
  lbox *b = luaL_testudata(L, arg, LFORMULA);
  if (!b) luaL_typeerror(L, arg, "LTL formula (string or " LFORMULA ")");
  return b->r;
}

/* ---- traces from Lua tables */

static int is_set_form(lua_State *L, int t) {
  size_t n = lua_rawlen(L, t);
  for (size_t i = 1; i <= n; i++) {
    lua_rawgeti(L, t, (lua_Integer)i);
    int set = 0, empty = 1;
    if (lua_istable(L, -1)) {
      set = lua_rawlen(L, -1) > 0;
      lua_pushnil(L);
      if (lua_next(L, -2)) {
        empty = 0;
        lua_pop(L, 2);
      }
    }
    lua_pop(L, 1);
    if (!empty) return set;
  }
  return 1;
}

/* Validates table arg as a trace (raising with row and column), then builds
 * it into a new engine.ltl.trace pushed on the stack. */
static lref *trace_from_table(lua_State *L, int arg) {
  arg = lua_absindex(L, arg);
  size_t n = lua_rawlen(L, arg);
  int set = is_set_form(L, arg);
  /* columns: name -> kind (1 boolean, 2 number), in a Lua table (no C memory yet) */
  lua_newtable(L);
  int cols = lua_gettop(L);
  int ncols = 0;
  for (size_t i = 1; i <= n; i++) {
    if (lua_rawgeti(L, arg, (lua_Integer)i) != LUA_TTABLE) {
      lua_pushfstring(L, "row %d: expected a table, got %s", (int)i, luaL_typename(L, -1));
      luaL_argerror(L, arg, lua_tostring(L, -1));
    }
    int row = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, row)) {
      if (set) {
        if (!lua_isinteger(L, -2) || lua_type(L, -1) != LUA_TSTRING) {
          lua_pushfstring(L, "row %d: a set of atoms holds only strings", (int)i);
          luaL_argerror(L, arg, lua_tostring(L, -1));
        }
        lua_pushvalue(L, -1);
        if (lua_rawget(L, cols) == LUA_TNIL) {
          lua_pushvalue(L, -2);
          lua_pushinteger(L, 1);
          lua_rawset(L, cols);
          ncols++;
        }
        lua_pop(L, 1);
      } else {
        if (lua_type(L, -2) != LUA_TSTRING) {
          lua_pushfstring(L, "row %d: record keys must be atom or signal names", (int)i);
          luaL_argerror(L, arg, lua_tostring(L, -1));
        }
        const char *name = lua_tostring(L, -2);
        int kind = lua_type(L, -1) == LUA_TBOOLEAN ? 1 : lua_type(L, -1) == LUA_TNUMBER ? 2 : 0;
        if (!kind) {
          lua_pushfstring(L, "row %d, column '%s': expected boolean or number, got %s", (int)i, name,
                          luaL_typename(L, -1));
          luaL_argerror(L, arg, lua_tostring(L, -1));
        }
        if (kind == 2 && !isfinite(lua_tonumber(L, -1))) {
          lua_pushfstring(L, "row %d, column '%s': NaN or infinity", (int)i, name);
          luaL_argerror(L, arg, lua_tostring(L, -1));
        }
        lua_pushvalue(L, -2);
        int have = lua_rawget(L, cols) == LUA_TNUMBER ? (int)lua_tointeger(L, -1) : 0;
        lua_pop(L, 1);
        if (have && have != kind) {
          lua_pushfstring(L, "row %d, column '%s': expected %s, got %s", (int)i, name,
                          have == 1 ? "boolean" : "number", kind == 1 ? "boolean" : "number");
          luaL_argerror(L, arg, lua_tostring(L, -1));
        }
        if (!have) {
          if (i > 1) {
            lua_pushfstring(L, "row 1, column '%s': missing", name);
            luaL_argerror(L, arg, lua_tostring(L, -1));
          }
          lua_pushvalue(L, -2);
          lua_pushinteger(L, kind);
          lua_rawset(L, cols);
          ncols++;
        }
      }
      lua_pop(L, 1);
    }
    if (!set) { /* every column in every row */
      lua_pushnil(L);
      while (lua_next(L, cols)) {
        lua_pushvalue(L, -2);
        if (lua_rawget(L, row) == LUA_TNIL) {
          lua_pushfstring(L, "row %d, column '%s': missing", (int)i, lua_tostring(L, -3));
          luaL_argerror(L, arg, lua_tostring(L, -1));
        }
        lua_pop(L, 2);
      }
    }
    lua_pop(L, 1);
  }
  /* build: nothing below raises (raw access on validated tables) */
  lbox *b = push_box(L, LTRACE);
  lref *r = ref_new();
  unsigned char *bv = malloc(n ? n : 1);
  double *nv = malloc((n ? n : 1) * sizeof *nv);
  int rc = r && bv && nv ? eng_ltl_trace_create(&r->t, n, set) : ENG_ENOMEM;
  lua_pushnil(L);
  while (rc == 0 && lua_next(L, cols)) {
    const char *name = lua_tostring(L, -2);
    int kind = (int)lua_tointeger(L, -1);
    for (size_t i = 1; i <= n; i++) {
      lua_rawgeti(L, arg, (lua_Integer)i);
      if (set) {
        int found = 0;
        size_t m = lua_rawlen(L, -1);
        for (size_t k = 1; k <= m && !found; k++) {
          lua_rawgeti(L, -1, (lua_Integer)k);
          found = strcmp(lua_tostring(L, -1), name) == 0;
          lua_pop(L, 1);
        }
        bv[i - 1] = (unsigned char)found;
      } else {
        lua_pushstring(L, name);
        lua_rawget(L, -2);
        if (kind == 1) bv[i - 1] = (unsigned char)lua_toboolean(L, -1);
        else nv[i - 1] = lua_tonumber(L, -1);
        lua_pop(L, 1);
      }
      lua_pop(L, 1);
    }
    rc = kind == 1 ? eng_ltl_trace_add_bool(r->t, name, bv) : eng_ltl_trace_add_num(r->t, name, nv, NULL);
    lua_pop(L, 1);
  }
  if (rc) lua_pop(L, 1); /* the key left by the interrupted lua_next */
  free(bv);
  free(nv);
  b->r = r; /* owned by the box from here, whatever happens next */
  if (rc) luaL_error(L, "building a trace: %s", eng_strerror(rc));
  lua_remove(L, cols);
  (void)ncols;
  return r;
}

static lref *trace_arg(lua_State *L, int arg) {
  if (lua_istable(L, arg)) return trace_from_table(L, arg);
  lbox *b = luaL_testudata(L, arg, LTRACE);
  if (!b) luaL_typeerror(L, arg, "trace (table or " LTRACE ")");
  return b->r;
}

/* ---- jobs */

typedef struct ljob {
  leng_job base;
  int many;
  lref **forms;
  size_t nf;
  lref **traces;
  size_t nt;
  eng_ltl_result *res;
  int *status;
  eng_engine *e;
  int bar; /* report progress on stderr */
} ljob;

/* Progress on stderr, from the workers (stdio locks the stream). */
static void bar_progress(void *ud, size_t done, size_t total) {
  (void)ud;
  fprintf(stderr, "\rcheck_many: %zu/%zu pairs%s", done, total, done == total ? "\n" : "");
}

static void ljob_destroy(leng_job *j) {
  ljob *t = (ljob *)j;
  for (size_t i = 0; i < t->nf; i++) ref_drop(t->forms[i]);
  for (size_t i = 0; i < t->nt; i++) ref_drop(t->traces[i]);
  free(t->forms);
  free(t->traces);
  free(t->res);
  free(t->status);
  free(t);
}

static void diag_detail(leng_job *j, const eng_ltl_diag *d, const char *prefix) {
  size_t k = strlen(prefix) < sizeof j->errmsg ? strlen(prefix) : sizeof j->errmsg - 1;
  memcpy(j->errmsg, prefix, k);
  j->errmsg[k] = 0;
  strncat(j->errmsg, d->msg, sizeof j->errmsg - k - 1);
}

static int ljob_run(leng_job *j) {
  ljob *t = (ljob *)j;
  eng_ltl_diag d;
  if (!t->many) {
    int rc = eng_ltl_check(t->forms[0]->f, t->traces[0]->t, NULL, &t->res[0], &d);
    if (rc) diag_detail(j, &d, "");
    return rc;
  }
  const eng_ltl_formula **fs = malloc(t->nf * sizeof *fs);
  const eng_ltl_trace **ts = malloc(t->nt * sizeof *ts);
  int rc = ENG_ENOMEM;
  if (fs && ts) {
    for (size_t i = 0; i < t->nf; i++) fs[i] = t->forms[i]->f;
    for (size_t i = 0; i < t->nt; i++) ts[i] = t->traces[i]->t;
    rc = eng_ltl_check_many(t->e, fs, t->nf, ts, t->nt, t->res, t->status, t->bar ? bar_progress : NULL, NULL);
    for (size_t i = 0; rc && i < t->nf * t->nt; i++) {
      if (!t->status[i]) continue;
      /* the first failing pair again, for its message */
      eng_ltl_result r;
      eng_ltl_check(fs[i % t->nf], ts[i / t->nf], NULL, &r, &d);
      char pre[64];
      snprintf(pre, sizeof pre, "trace %zu, formula %zu: ", i / t->nf + 1, i % t->nf + 1);
      diag_detail(j, &d, pre);
      break;
    }
  }
  free(fs);
  free(ts);
  return rc;
}

static void push_result(lua_State *L, const eng_ltl_result *r) {
  lua_pushboolean(L, r->holds);
  if (r->index < 0) lua_pushnil(L);
  else lua_pushinteger(L, (lua_Integer)r->index + 1);
}

static int ljob_push(lua_State *L, leng_job *j) {
  ljob *t = (ljob *)j;
  if (!t->many) {
    push_result(L, &t->res[0]);
    return 2;
  }
  lua_createtable(L, (int)t->nt, 0);
  lua_createtable(L, (int)t->nt, 0);
  for (size_t i = 0; i < t->nt; i++) {
    lua_createtable(L, (int)t->nf, 0);
    lua_createtable(L, (int)t->nf, 0);
    for (size_t k = 0; k < t->nf; k++) {
      push_result(L, &t->res[i * t->nf + k]);
      lua_rawseti(L, -3, (lua_Integer)k + 1);
      lua_rawseti(L, -3, (lua_Integer)k + 1);
    }
    lua_rawseti(L, -3, (lua_Integer)i + 1);
    lua_rawseti(L, -3, (lua_Integer)i + 1);
  }
  return 2;
}

static ljob *ljob_new(size_t nf, size_t nt) {
  ljob *t = calloc(1, sizeof *t);
  if (!t) return NULL;
  t->base.run = ljob_run;
  t->base.push = ljob_push;
  t->base.destroy = ljob_destroy;
  t->base.priority = ENG_PRIO_NORMAL;
  t->forms = calloc(nf ? nf : 1, sizeof *t->forms);
  t->traces = calloc(nt ? nt : 1, sizeof *t->traces);
  size_t pairs = nf * nt > 0 ? nf * nt : 1;
  t->res = calloc(pairs, sizeof *t->res);
  t->status = calloc(pairs, sizeof *t->status);
  if (!t->forms || !t->traces || !t->res || !t->status) {
    ljob_destroy(&t->base);
    return NULL;
  }
  return t;
}

static int check_impl(lua_State *L, int async) {
  int nret;
  eng_task_opts o;
  leng_task_opts(L, 3, &o); /* before the conversions push anything */
  lua_settop(L, 2);
  lref *f = formula_arg(L, 1, &nret);
  if (!f) return nret;
  lref *tr = trace_arg(L, 2);
  ljob *t = ljob_new(1, 1);
  if (!t) return leng_push_error(L, ENG_ENOMEM, NULL);
  t->forms[0] = ref_take(f);
  t->nf = 1;
  t->traces[0] = ref_take(tr);
  t->nt = 1;
  return async ? leng_job_async_opts(L, &t->base, &o) : leng_job_call_opts(L, &t->base, &o);
}

static int l_check(lua_State *L) { return check_impl(L, 0); }
static int l_check_async(lua_State *L) { return check_impl(L, 1); }

static int many_impl(lua_State *L, int async) {
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_checktype(L, 2, LUA_TTABLE);
  eng_task_opts o;
  leng_task_opts(L, 3, &o);
  int bar = leng_opt_boolean(L, 3, "progress", 0);
  lua_settop(L, 2);
  size_t nf = lua_rawlen(L, 1), nt = lua_rawlen(L, 2);
  /* convert everything first (objects are kept alive in a holder table) */
  lua_newtable(L);
  int hold = lua_gettop(L);
  for (size_t i = 1; i <= nf; i++) {
    lua_rawgeti(L, 1, (lua_Integer)i);
    if (lua_type(L, -1) != LUA_TSTRING && !luaL_testudata(L, -1, LFORMULA)) {
      lua_pushfstring(L, "formula %d: expected a string or " LFORMULA, (int)i);
      return luaL_argerror(L, 1, lua_tostring(L, -1));
    }
    int nret;
    lref *f = formula_arg(L, lua_gettop(L), &nret);
    if (!f) {
      const char *msg = lua_tostring(L, -2);
      lua_pushfstring(L, "formula %d: %s", (int)i, msg);
      lua_replace(L, -3);
      return nret;
    }
    if (lua_type(L, -2) == LUA_TSTRING) lua_remove(L, -2);
    lua_rawseti(L, hold, (lua_Integer)i);
  }
  for (size_t i = 1; i <= nt; i++) {
    lua_rawgeti(L, 2, (lua_Integer)i);
    int top = lua_gettop(L);
    if (!lua_istable(L, top) && !luaL_testudata(L, top, LTRACE)) {
      lua_pushfstring(L, "trace %d: expected a table or " LTRACE, (int)i);
      return luaL_argerror(L, 2, lua_tostring(L, -1));
    }
    if (lua_istable(L, top)) {
      trace_from_table(L, top);
      lua_remove(L, top);
    }
    lua_rawseti(L, hold, (lua_Integer)(nf + i));
  }
  ljob *t = ljob_new(nf, nt);
  if (!t) return leng_push_error(L, ENG_ENOMEM, NULL);
  for (size_t i = 0; i < nf; i++) {
    lua_rawgeti(L, hold, (lua_Integer)i + 1);
    t->forms[t->nf++] = ref_take(((lbox *)lua_touserdata(L, -1))->r);
    lua_pop(L, 1);
  }
  for (size_t i = 0; i < nt; i++) {
    lua_rawgeti(L, hold, (lua_Integer)(nf + i + 1));
    t->traces[t->nt++] = ref_take(((lbox *)lua_touserdata(L, -1))->r);
    lua_pop(L, 1);
  }
  t->many = 1;
  t->bar = bar;
  t->e = leng_engine(L);
  return async ? leng_job_async_opts(L, &t->base, &o) : leng_job_call_opts(L, &t->base, &o);
}

static int l_check_many(lua_State *L) { return many_impl(L, 0); }
static int l_check_many_async(lua_State *L) { return many_impl(L, 1); }

/* ---- formula objects */

static int l_parse(lua_State *L) {
  luaL_checkstring(L, 1);
  int nret;
  lref *f = formula_arg(L, 1, &nret);
  return f ? 1 : nret;
}

static lref *check_formula(lua_State *L, int arg) {
  lbox *b = luaL_checkudata(L, arg, LFORMULA);
  return b->r;
}

static int f_tostring(lua_State *L) {
  lref *r = check_formula(L, 1);
  size_t n = eng_ltl_print(r->f, NULL, 0);
  luaL_Buffer B;
  char *p = luaL_buffinitsize(L, &B, n + 1);
  eng_ltl_print(r->f, p, n + 1);
  luaL_pushresultsize(&B, n);
  return 1;
}

static int f_atoms(lua_State *L) {
  lref *r = check_formula(L, 1);
  static const char *const cmps[] = {"", "<", "<=", ">", ">=", "==", "!="};
  size_t n = eng_ltl_atom_count(r->f);
  lua_createtable(L, (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    eng_ltl_atom a;
    eng_ltl_atom_get(r->f, i, &a);
    if (a.cmp == ENG_LTL_CMP_NONE) lua_pushstring(L, a.name);
    else {
      char num[40];
      snprintf(num, sizeof num, "%.17g", a.value);
      lua_pushfstring(L, "%s %s %s", a.name, cmps[a.cmp], num);
    }
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  return 1;
}

static int f_size(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)eng_ltl_size(check_formula(L, 1)->f));
  return 1;
}

static int f_simplify(lua_State *L) {
  lref *r = check_formula(L, 1);
  lbox *b = push_box(L, LFORMULA);
  eng_ltl_formula *g;
  int rc = eng_ltl_simplify(r->f, &g);
  if (rc) return leng_push_error(L, rc, NULL);
  b->r = ref_new();
  if (!b->r) {
    eng_ltl_formula_free(g);
    return leng_push_error(L, ENG_ENOMEM, NULL);
  }
  b->r->f = g;
  return 1;
}

static int f_eq(lua_State *L) {
  lbox *a = luaL_testudata(L, 1, LFORMULA), *b = luaL_testudata(L, 2, LFORMULA);
  lua_pushboolean(L, a && b && eng_ltl_equal(a->r->f, b->r->f));
  return 1;
}

static int f_check(lua_State *L) {
  check_formula(L, 1);
  return check_impl(L, 0);
}

/* ---- traces */

static int l_load_csv(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  lbox *b = push_box(L, LTRACE);
  eng_ltl_trace *t;
  eng_ltl_diag d;
  int rc = eng_ltl_trace_load_csv(path, &t, &d);
  if (rc) {
    char msg[400];
    if (d.row && !strstr(d.msg, "row "))
      snprintf(msg, sizeof msg, "%s:%u: row %zu: %s", path, d.line, d.row, d.msg);
    else if (d.row || rc == ENG_EPARSE || rc == ENG_ENAN || rc == ENG_ETYPE)
      snprintf(msg, sizeof msg, "%s:%u: %s", path, d.line, d.msg);
    else
      snprintf(msg, sizeof msg, "%s", d.msg);
    return leng_push_error(L, rc, msg);
  }
  b->r = ref_new();
  if (!b->r) {
    eng_ltl_trace_free(t);
    return leng_push_error(L, ENG_ENOMEM, NULL);
  }
  b->r->t = t;
  return 1;
}

static int l_trace(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  trace_from_table(L, 1);
  return 1;
}

static int t_len(lua_State *L) {
  lbox *b = luaL_checkudata(L, 1, LTRACE);
  lua_pushinteger(L, (lua_Integer)eng_ltl_trace_length(b->r->t));
  return 1;
}

static int t_columns(lua_State *L) {
  lbox *b = luaL_checkudata(L, 1, LTRACE);
  size_t n = eng_ltl_trace_column_count(b->r->t);
  lua_createtable(L, (int)n, 0);
  lua_createtable(L, 0, (int)n);
  for (size_t i = 0; i < n; i++) {
    const char *name = eng_ltl_trace_column_name(b->r->t, i);
    lua_pushstring(L, name);
    lua_rawseti(L, -3, (lua_Integer)i + 1);
    lua_pushstring(L, eng_ltl_trace_column_kind(b->r->t, name) == 1 ? "boolean" : "number");
    lua_setfield(L, -2, name);
  }
  return 2;
}

/* ---- monitors */

typedef struct lmon {
  eng_ltl_monitor *m;
  size_t natoms;
  eng_ltl_atom *atoms; /* names point into names */
  char *names;
  unsigned char *vals;
} lmon;

static int m_gc(lua_State *L) {
  lmon *m = lua_touserdata(L, 1);
  eng_ltl_monitor_free(m->m);
  free(m->atoms);
  free(m->names);
  free(m->vals);
  memset(m, 0, sizeof *m);
  return 0;
}

static int l_monitor(lua_State *L) {
  int nret;
  lref *f = formula_arg(L, 1, &nret);
  if (!f) return nret;
  lmon *m = lua_newuserdatauv(L, sizeof *m, 0);
  memset(m, 0, sizeof *m);
  luaL_setmetatable(L, LMONITOR);
  eng_ltl_diag d;
  int rc = eng_ltl_monitor_create(f->f, &m->m, &d);
  if (rc) return leng_push_error(L, rc, d.msg[0] ? d.msg : NULL);
  m->natoms = eng_ltl_atom_count(f->f);
  size_t total = 0;
  for (size_t i = 0; i < m->natoms; i++) {
    eng_ltl_atom a;
    eng_ltl_atom_get(f->f, i, &a);
    total += strlen(a.name) + 1;
  }
  m->atoms = calloc(m->natoms ? m->natoms : 1, sizeof *m->atoms);
  m->names = malloc(total ? total : 1);
  m->vals = calloc(m->natoms ? m->natoms : 1, 1);
  if (!m->atoms || !m->names || !m->vals) return leng_push_error(L, ENG_ENOMEM, NULL);
  char *p = m->names;
  for (size_t i = 0; i < m->natoms; i++) {
    eng_ltl_atom a;
    eng_ltl_atom_get(f->f, i, &a);
    size_t k = strlen(a.name) + 1;
    memcpy(p, a.name, k);
    m->atoms[i] = a;
    m->atoms[i].name = p;
    p += k;
  }
  return 1;
}

static void push_verdict(lua_State *L, const eng_ltl_verdict *v) {
  lua_pushboolean(L, v->holds);
  lua_pushboolean(L, v->final);
  lua_pushstring(L, v->final ? (v->holds ? "true" : "false") : "unknown");
}

static int m_step(lua_State *L) {
  lmon *m = luaL_checkudata(L, 1, LMONITOR);
  luaL_checktype(L, 2, LUA_TTABLE);
  int set = lua_rawlen(L, 2) > 0;
  if (!set) { /* an empty table is the empty set */
    lua_pushnil(L);
    if (lua_next(L, 2)) lua_pop(L, 2);
    else set = 1;
  }
  for (size_t i = 0; i < m->natoms; i++) {
    const eng_ltl_atom *a = &m->atoms[i];
    if (set) {
      if (a->cmp != ENG_LTL_CMP_NONE) {
        lua_pushfstring(L, "atom '%s' compares a signal: give the state as a record", a->name);
        return luaL_argerror(L, 2, lua_tostring(L, -1));
      }
      int found = 0;
      size_t n = lua_rawlen(L, 2);
      for (size_t k = 1; k <= n && !found; k++) {
        lua_rawgeti(L, 2, (lua_Integer)k);
        found = lua_type(L, -1) == LUA_TSTRING && strcmp(lua_tostring(L, -1), a->name) == 0;
        lua_pop(L, 1);
      }
      m->vals[i] = (unsigned char)found;
      continue;
    }
    int ty = lua_getfield(L, 2, a->name);
    if (a->cmp == ENG_LTL_CMP_NONE) {
      if (ty == LUA_TBOOLEAN) m->vals[i] = (unsigned char)lua_toboolean(L, -1);
      else if (ty == LUA_TNUMBER && (lua_tonumber(L, -1) == 0 || lua_tonumber(L, -1) == 1))
        m->vals[i] = lua_tonumber(L, -1) != 0;
      else {
        lua_pushfstring(L, "atom '%s': expected boolean, got %s", a->name,
                        ty == LUA_TNIL ? "nothing (missing)" : luaL_typename(L, -1));
        return luaL_argerror(L, 2, lua_tostring(L, -1));
      }
    } else {
      if (ty != LUA_TNUMBER) {
        lua_pushfstring(L, "signal '%s': expected number, got %s", a->name,
                        ty == LUA_TNIL ? "nothing (missing)" : luaL_typename(L, -1));
        return luaL_argerror(L, 2, lua_tostring(L, -1));
      }
      m->vals[i] = (unsigned char)eng_ltl_cmp_eval(a->cmp, lua_tonumber(L, -1), a->value);
    }
    lua_pop(L, 1);
  }
  eng_ltl_verdict v;
  int rc = eng_ltl_monitor_step(m->m, m->vals, &v);
  if (rc) return leng_push_error(L, rc, NULL);
  push_verdict(L, &v);
  return 3;
}

static int m_verdict(lua_State *L) {
  lmon *m = luaL_checkudata(L, 1, LMONITOR);
  eng_ltl_verdict v;
  eng_ltl_monitor_verdict(m->m, &v);
  push_verdict(L, &v);
  return 3;
}

static int m_reset(lua_State *L) {
  lmon *m = luaL_checkudata(L, 1, LMONITOR);
  eng_ltl_monitor_reset(m->m);
  return 0;
}

void leng_open_ltl(lua_State *L) {
  static const luaL_Reg fmeth[] = {{"atoms", f_atoms}, {"check", f_check}, {"size", f_size},
                                   {"simplify", f_simplify}, {NULL, NULL}};
  static const luaL_Reg tmeth[] = {{"length", t_len}, {"columns", t_columns}, {NULL, NULL}};
  static const luaL_Reg mmeth[] = {{"step", m_step}, {"verdict", m_verdict}, {"reset", m_reset}, {NULL, NULL}};
  static const luaL_Reg fns[] = {{"parse", l_parse},
                                 {"check", l_check},
                                 {"check_async", l_check_async},
                                 {"check_many", l_check_many},
                                 {"check_many_async", l_check_many_async},
                                 {"monitor", l_monitor},
                                 {"load_csv", l_load_csv},
                                 {"trace", l_trace},
                                 {NULL, NULL}};
  luaL_newmetatable(L, LFORMULA);
  lua_pushcfunction(L, box_gc);
  lua_setfield(L, -2, "__gc");
  lua_pushcfunction(L, f_tostring);
  lua_setfield(L, -2, "__tostring");
  lua_pushcfunction(L, f_eq);
  lua_setfield(L, -2, "__eq");
  luaL_newlib(L, fmeth);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
  luaL_newmetatable(L, LTRACE);
  lua_pushcfunction(L, box_gc);
  lua_setfield(L, -2, "__gc");
  lua_pushcfunction(L, t_len);
  lua_setfield(L, -2, "__len");
  luaL_newlib(L, tmeth);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
  luaL_newmetatable(L, LMONITOR);
  lua_pushcfunction(L, m_gc);
  lua_setfield(L, -2, "__gc");
  luaL_newlib(L, mmeth);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
  luaL_newlib(L, fns);
  lua_setfield(L, -2, "ltl");
}
