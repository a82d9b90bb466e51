/* laux.c: shared binding helpers: the state's engine, series views, options, and running jobs. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "laux.h"

/* Registry keys (their addresses are unique). */
static const char engine_key = 'E'; /* lightuserdata: the eng_engine of this state */
static const char owner_key = 'O';  /* full userdata whose __gc destroys an engine we created */
static const char jobbox_key = 'J'; /* metatable of the job boxes used by leng_job_call */

/* --------------------------------------------------------------- engine */

static unsigned env_unsigned(const char *name, unsigned def) {
  const char *s = getenv(name);
  char *end;
  unsigned long v;
  if (s == NULL || *s == '\0') return def;
  v = strtoul(s, &end, 10);
  if (*end != '\0' || v > 4096) return def;
  return (unsigned)v;
}

void leng_config_from_env(eng_config *cfg) {
  const char *pin = getenv("ENGINE_PIN");
  eng_config_init(cfg);
  /* Scripts submit few, long tasks: time every one of them, so that
   * engine.stats() percentiles and counts describe all of a script's work. */
  cfg->stats_sample = env_unsigned("ENGINE_STATS_SAMPLE", 1);
  if (cfg->stats_sample == 0) cfg->stats_sample = 1;
  cfg->workers = env_unsigned("ENGINE_WORKERS", cfg->workers);
  if (pin != NULL && strcmp(pin, "0") == 0) cfg->pin = 0;
}

int leng_engine_create(eng_engine **out, const eng_config *cfg) {
  int rc = eng_engine_create(out, cfg);
  if (rc == ENG_ENOSYS && cfg->pin) {
    /* Pinning is a placement preference: without hwloc binding support the
     * workers still run, unpinned, and engine.topology() says so. */
    eng_config c = *cfg;
    c.pin = 0;
    rc = eng_engine_create(out, &c);
  }
  return rc;
}

static int owner_gc(lua_State *L) {
  eng_engine **pe = (eng_engine **)lua_touserdata(L, 1);
  if (pe != NULL && *pe != NULL) {
    eng_engine *e = *pe;
    *pe = NULL;
    /* The state is closing: nobody can wait for pending work any more. */
    eng_engine_destroy(e, ENG_DRAIN_CANCEL, NULL);
  }
  return 0;
}

eng_engine *leng_engine(lua_State *L) {
  eng_engine *e;
  eng_engine **pe;
  eng_config cfg;
  int rc;
  lua_rawgetp(L, LUA_REGISTRYINDEX, &engine_key);
  e = (eng_engine *)lua_touserdata(L, -1);
  lua_pop(L, 1);
  if (e != NULL) return e;
  /* First use under stock lua: the engine belongs to this state and goes
   * away with it (the owner's __gc runs when the registry is collected). */
  pe = (eng_engine **)lua_newuserdatauv(L, sizeof *pe, 0);
  *pe = NULL;
  lua_createtable(L, 0, 1);
  lua_pushcfunction(L, owner_gc);
  lua_setfield(L, -2, "__gc");
  lua_setmetatable(L, -2);
  leng_config_from_env(&cfg);
  rc = leng_engine_create(pe, &cfg);
  if (rc < 0) {
    lua_pop(L, 1);
    luaL_error(L, "cannot create the engine: %s (%s)", eng_strerror(rc), eng_err_name(rc));
    return NULL;
  }
  lua_rawsetp(L, LUA_REGISTRYINDEX, &owner_key);
  lua_pushlightuserdata(L, *pe);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &engine_key);
  return *pe;
}

void leng_set_engine(lua_State *L, eng_engine *e) {
  lua_pushlightuserdata(L, e);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &engine_key);
}

/* --------------------------------------------------------------- series */

/* The storage behind an empty view: kernels see n == 0 with a valid pointer
 * and answer ESHORT/EINVAL by length, never by a NULL check. */
static const double empty_series[1] = {0.0};

void leng_check_series(lua_State *L, int arg, leng_series_view *v) {
  lua_Integer n, i;
  double *buf;
  const leng_series *s = (const leng_series *)luaL_testudata(L, arg, LENG_SERIES);
  v->owned = NULL;
  if (s != NULL) {
    v->data = s->n > 0 ? s->data : empty_series;
    v->n = s->n;
    return;
  }
  if (lua_type(L, arg) != LUA_TTABLE) {
    luaL_typeerror(L, arg, "table of numbers or " LENG_SERIES);
    return;
  }
  n = (lua_Integer)lua_rawlen(L, arg);
  /* Check every element before allocating, so the error below cannot leak. */
  for (i = 1; i <= n; i++) {
    int t = lua_rawgeti(L, arg, i);
    lua_pop(L, 1);
    if (t != LUA_TNUMBER) {
      lua_pushfstring(L, "number expected at index %I, got %s", (LUAI_UACINT)i, lua_typename(L, t));
      luaL_argerror(L, arg, lua_tostring(L, -1));
      return;
    }
  }
  if (n == 0) {
    v->data = empty_series;
    v->n = 0;
    return;
  }
  if ((size_t)n > SIZE_MAX / sizeof(double) || (buf = malloc((size_t)n * sizeof(double))) == NULL) {
    luaL_error(L, "not enough memory for a series of %I values", (LUAI_UACINT)n);
    return;
  }
  for (i = 1; i <= n; i++) {
    lua_rawgeti(L, arg, i);
    buf[i - 1] = (double)lua_tonumber(L, -1);
    lua_pop(L, 1);
  }
  v->data = buf;
  v->n = (size_t)n;
  v->owned = buf;
}

void leng_series_view_free(leng_series_view *v) {
  if (v == NULL) return;
  free(v->owned);
  v->owned = NULL;
  v->data = NULL;
  v->n = 0;
}

/* --------------------------------------------------------------- errors */

int leng_push_error(lua_State *L, int code, const char *detail) {
  lua_pushnil(L);
  lua_pushstring(L, detail != NULL && detail[0] != '\0' ? detail : eng_strerror(code));
  lua_pushstring(L, eng_err_name(code));
  return 3;
}

/* -------------------------------------------------------------- options */

/* Pushes the field of the options table at arg and returns its type, or
 * LUA_TNIL (pushing nothing) when there is no options table. */
static int getopt_field(lua_State *L, int arg, const char *field) {
  int t = lua_type(L, arg);
  if (t == LUA_TNONE || t == LUA_TNIL) return LUA_TNONE;
  if (t != LUA_TTABLE) {
    luaL_typeerror(L, arg, "options table");
    return LUA_TNONE;
  }
  return lua_getfield(L, arg, field);
}

static int field_error(lua_State *L, int arg, const char *field, const char *what) {
  lua_pushfstring(L, "field '%s' must be %s", field, what);
  return luaL_argerror(L, arg, lua_tostring(L, -1));
}

lua_Integer leng_opt_integer(lua_State *L, int arg, const char *field, lua_Integer def) {
  lua_Integer v;
  int isint;
  int t = getopt_field(L, arg, field);
  if (t == LUA_TNONE) return def;
  if (t == LUA_TNIL) {
    lua_pop(L, 1);
    return def;
  }
  v = lua_tointegerx(L, -1, &isint);
  if (t != LUA_TNUMBER || !isint) field_error(L, arg, field, "an integer");
  lua_pop(L, 1);
  return v;
}

lua_Integer leng_opt_integer_range(lua_State *L, int arg, const char *field, lua_Integer def,
                                   lua_Integer lo, lua_Integer hi) {
  lua_Integer v = leng_opt_integer(L, arg, field, def);
  if (v < lo || v > hi) {
    if (lo == 0 && hi == LUA_MAXINTEGER)
      field_error(L, arg, field, "a non-negative integer");
    else if (lo == 1 && hi == LUA_MAXINTEGER)
      field_error(L, arg, field, "a positive integer");
    else {
      lua_pushfstring(L, "an integer in [%I, %I]", (LUAI_UACINT)lo, (LUAI_UACINT)hi);
      field_error(L, arg, field, lua_tostring(L, -1));
    }
  }
  return v;
}

lua_Number leng_opt_number(lua_State *L, int arg, const char *field, lua_Number def) {
  lua_Number v;
  int t = getopt_field(L, arg, field);
  if (t == LUA_TNONE) return def;
  if (t == LUA_TNIL) {
    lua_pop(L, 1);
    return def;
  }
  if (t != LUA_TNUMBER) field_error(L, arg, field, "a number");
  v = lua_tonumber(L, -1);
  lua_pop(L, 1);
  return v;
}

int leng_opt_boolean(lua_State *L, int arg, const char *field, int def) {
  int v;
  int t = getopt_field(L, arg, field);
  if (t == LUA_TNONE) return def;
  if (t == LUA_TNIL) {
    lua_pop(L, 1);
    return def;
  }
  if (t != LUA_TBOOLEAN) field_error(L, arg, field, "a boolean");
  v = lua_toboolean(L, -1);
  lua_pop(L, 1);
  return v;
}

const char *leng_opt_string(lua_State *L, int arg, const char *field, const char *def) {
  const char *v;
  int t = getopt_field(L, arg, field);
  if (t == LUA_TNONE) return def;
  if (t == LUA_TNIL) {
    lua_pop(L, 1);
    return def;
  }
  if (t != LUA_TSTRING) field_error(L, arg, field, "a string");
  /* The string stays alive: the options table on the stack still holds it. */
  v = lua_tostring(L, -1);
  lua_pop(L, 1);
  return v;
}

int leng_opt_enum(lua_State *L, int arg, const char *field, const char *const names[], int def) {
  const char *s = leng_opt_string(L, arg, field, NULL);
  int i;
  luaL_Buffer b;
  if (s == NULL) return def;
  for (i = 0; names[i] != NULL; i++)
    if (strcmp(names[i], s) == 0) return i;
  luaL_buffinit(L, &b);
  lua_pushfstring(L, "field '%s' must be one of ", field);
  luaL_addvalue(&b);
  for (i = 0; names[i] != NULL; i++) {
    if (i > 0) luaL_addstring(&b, ", ");
    luaL_addchar(&b, '\'');
    luaL_addstring(&b, names[i]);
    luaL_addchar(&b, '\'');
  }
  lua_pushfstring(L, " (got '%s')", s);
  luaL_addvalue(&b);
  luaL_pushresult(&b);
  luaL_argerror(L, arg, lua_tostring(L, -1));
  return def;
}

static const char *const priority_names[] = {"critical", "high", "normal", "low", "background", NULL};

eng_priority leng_opt_priority(lua_State *L, int arg) {
  return (eng_priority)leng_opt_enum(L, arg, "priority", priority_names, ENG_PRIO_NORMAL);
}

/* ----------------------------------------------------------------- jobs */

static void job_prepare(leng_job *job) {
  job->status = 0;
  job->errmsg[0] = '\0';
}

/* The task body: runs the job on a worker and records its status. */
static void *job_task(void *arg) {
  leng_job *job = (leng_job *)arg;
  job->status = job->run(job);
  return NULL;
}

/* A box anchors a job on the Lua stack while its results are pushed, so a
 * Lua error raised by push (out of memory) cannot leak it. */
static int jobbox_gc(lua_State *L) {
  leng_job **pj = (leng_job **)lua_touserdata(L, 1);
  if (pj != NULL && *pj != NULL) {
    leng_job *job = *pj;
    *pj = NULL;
    job->destroy(job);
  }
  return 0;
}

leng_job **leng__push_jobbox(lua_State *L) {
  leng_job **pj = (leng_job **)lua_newuserdatauv(L, sizeof *pj, 0);
  *pj = NULL;
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &jobbox_key) != LUA_TTABLE) {
    lua_pop(L, 1);
    lua_createtable(L, 0, 2);
    lua_pushcfunction(L, jobbox_gc);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, jobbox_gc);
    lua_setfield(L, -2, "__close");
    lua_pushvalue(L, -1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &jobbox_key);
  }
  lua_setmetatable(L, -2);
  return pj;
}

int leng_job_results(lua_State *L, leng_job *job) {
  if (job->status < 0) return leng_push_error(L, job->status, job->errmsg);
  return job->push(L, job);
}

void leng_task_opts(lua_State *L, int arg, eng_task_opts *o) {
  lua_Integer delay_ns, deadline_ns;
  eng_task_opts_init(o);
  o->priority = leng_opt_priority(L, arg);
  delay_ns = leng_opt_integer_range(L, arg, "delay", 0, 0, LUA_MAXINTEGER);
  deadline_ns = leng_opt_integer_range(L, arg, "deadline", 0, 0, LUA_MAXINTEGER);
  o->delay_ns = (uint64_t)delay_ns;
  /* "deadline" is relative to now in the Lua API; the scheduler wants it absolute. */
  if (deadline_ns > 0) o->deadline_ns = eng_now_ns() + (uint64_t)deadline_ns;
  if (leng_opt_boolean(L, arg, "drop_late", 0)) o->flags |= ENG_TASK_DROP_LATE;
  if (leng_opt_boolean(L, arg, "block", 0)) o->flags |= ENG_TASK_BLOCK;
}

int leng_job_call_opts(lua_State *L, leng_job *job, const eng_task_opts *opts) {
  eng_engine *e;
  eng_future *f = NULL;
  leng_job **pj;
  int rc, n;
  pj = leng__push_jobbox(L); /* from here on the box owns the job, whatever happens */
  *pj = job;
  e = leng_engine(L);
  job_prepare(job);
  if (eng_worker_self(e) >= 0) {
    /* Already on a worker (a task running Lua): waiting on our own queue
     * could deadlock, and running here costs nothing. */
    job->status = job->run(job);
  } else {
    rc = eng_async(e, job_task, job, opts, &f);
    if (rc < 0) {
      lua_pop(L, 1);
      *pj = NULL;
      job->destroy(job);
      return leng_push_error(L, rc, NULL);
    }
    rc = eng_future_wait(f, NULL);
    eng_future_release(f);
    if (rc < 0) { /* the task never ran (dropped late, engine shut down) */
      lua_pop(L, 1);
      *pj = NULL;
      job->destroy(job);
      return leng_push_error(L, rc, NULL);
    }
  }
  n = leng_job_results(L, job);
  *pj = NULL;
  lua_rotate(L, -n - 1, -1);
  lua_pop(L, 1);
  job->destroy(job);
  return n;
}

int leng_job_call(lua_State *L, leng_job *job) {
  eng_task_opts o;
  eng_task_opts_init(&o);
  o.priority = job->priority;
  return leng_job_call_opts(L, job, &o);
}

int leng_job_async(lua_State *L, leng_job *job) {
  eng_task_opts o;
  eng_task_opts_init(&o);
  o.priority = job->priority;
  return leng_job_async_opts(L, job, &o);
}

/* job_task for lfuture.c, which submits the same task body. */
void *leng__job_task(void *arg) { return job_task(arg); }
void leng__job_prepare(leng_job *job) { job_prepare(job); }
