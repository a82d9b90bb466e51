/* lfuture.c: the engine.future userdata: a submitted job, its wait/done/cancel, and safe collection. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "laux.h"

/* The future owns the job until the job has finished and its results have
 * been pushed once; from then on the results live in the user value (a
 * packed table) so later waits return the same values without the job. */
typedef struct lfuture {
  eng_future *f; /* NULL once complete and released */
  leng_job *job; /* NULL once destroyed */
} lfuture;

static lfuture *checkfuture(lua_State *L, int arg) {
  return (lfuture *)luaL_checkudata(L, arg, LENG_FUTURE);
}

/* Completion callback for a future collected while its job was running:
 * runs on the worker that completed it, after the job's last access. */
static void destroy_on_completion(eng_future *f, int status, void *result, void *ud) {
  leng_job *job = (leng_job *)ud;
  (void)f;
  (void)status;
  (void)result;
  job->destroy(job);
}

static void release_job(lfuture *u) {
  leng_job *job = u->job;
  u->job = NULL;
  if (job == NULL) return;
  if (u->f == NULL || eng_future_done(u->f) || eng_future_cancel(u->f) == 1) {
    /* The task has finished, or will never run: nobody else touches job. */
    job->destroy(job);
  } else if (eng_future_then(u->f, destroy_on_completion, job) < 0) {
    /* A callback is already set (never by this file): waiting is the only
     * safe way left to know the job is no longer in use. */
    eng_future_wait(u->f, NULL);
    job->destroy(job);
  }
}

static int future_gc(lua_State *L) {
  lfuture *u = (lfuture *)luaL_checkudata(L, 1, LENG_FUTURE);
  release_job(u);
  if (u->f != NULL) {
    eng_future_release(u->f);
    u->f = NULL;
  }
  return 0;
}

/* Stores the n values on top of the stack as the future's cached results. */
static void cache_results(lua_State *L, int n) {
  int base = lua_gettop(L) - n, i;
  lua_createtable(L, n, 1);
  for (i = 1; i <= n; i++) {
    lua_pushvalue(L, base + i);
    lua_rawseti(L, -2, i);
  }
  lua_pushinteger(L, n);
  lua_setfield(L, -2, "n");
  lua_setiuservalue(L, 1, 1);
}

static int push_cached(lua_State *L) {
  lua_Integer n, i;
  lua_getiuservalue(L, 1, 1);
  lua_getfield(L, -1, "n");
  n = lua_tointeger(L, -1);
  lua_pop(L, 1);
  luaL_checkstack(L, (int)n, "too many results");
  for (i = 1; i <= n; i++) lua_rawgeti(L, -(int)i, i);
  lua_remove(L, -(int)n - 1);
  return (int)n;
}

static int finish(lua_State *L, lfuture *u, int rc) {
  int n;
  if (rc < 0) {
    n = leng_push_error(L, rc, NULL);
  } else {
    n = leng_job_results(L, u->job);
  }
  cache_results(L, n);
  release_job(u);
  eng_future_release(u->f);
  u->f = NULL;
  return n;
}

/* f:wait([timeout_seconds]) -> the job's results | nil, message, code */
static int future_wait(lua_State *L) {
  lfuture *u = checkfuture(L, 1);
  int rc;
  if (!lua_isnoneornil(L, 2)) {
    lua_Number t = luaL_checknumber(L, 2);
    uint64_t ns;
    if (!(t >= 0) || t > 1e9) luaL_argerror(L, 2, "timeout must be a number of seconds in [0, 1e9]");
    ns = (uint64_t)llround(t * 1e9);
    if (u->f == NULL) return push_cached(L);
    rc = eng_future_wait_for(u->f, ns, NULL);
  } else {
    if (u->f == NULL) return push_cached(L);
    rc = eng_future_wait(u->f, NULL);
  }
  lua_settop(L, 1);
  if (rc == ENG_ETIMEDOUT || rc == ENG_EMISUSE) {
    /* Not complete (a timeout, or a wait from a worker): the future stays
     * usable. If it completed just after giving up, take the real outcome. */
    if (!eng_future_done(u->f)) return leng_push_error(L, rc, NULL);
    rc = eng_future_wait(u->f, NULL);
  }
  if (rc == 0 && u->job == NULL) rc = ENG_ECANCELED; /* cancel() won and freed the job */
  return finish(L, u, rc);
}

/* f:done() -> boolean */
static int future_done(lua_State *L) {
  lfuture *u = checkfuture(L, 1);
  lua_pushboolean(L, u->f == NULL || eng_future_done(u->f));
  return 1;
}

/* f:cancel() -> true when the job will never run, false when it already ran or is running */
static int future_cancel(lua_State *L) {
  lfuture *u = checkfuture(L, 1);
  int won = u->f != NULL && eng_future_cancel(u->f) == 1;
  if (won && u->job != NULL) {
    leng_job *job = u->job;
    u->job = NULL;
    job->destroy(job);
  } else if (!won && u->f != NULL && u->job != NULL && u->job->cancel != NULL &&
             !eng_future_done(u->f)) {
    /* Too late to unqueue: ask the running job to stop early instead. */
    u->job->cancel(u->job);
  }
  lua_pushboolean(L, won);
  return 1;
}

static int future_tostring(lua_State *L) {
  lfuture *u = checkfuture(L, 1);
  int done = u->f == NULL || eng_future_done(u->f);
  lua_pushfstring(L, "%s (%s): %p", LENG_FUTURE, done ? "done" : "pending", (void *)u);
  return 1;
}

int leng_job_async_opts(lua_State *L, leng_job *job, const eng_task_opts *opts) {
  eng_engine *e;
  lfuture *u;
  leng_job **box;
  int rc;
  /* The box owns the job until the future does, so a raise below cannot leak it. */
  box = leng__push_jobbox(L);
  *box = job;
  /* The engine first: under stock lua its owner must be marked for
   * finalization before any future, so that at state close every future is
   * collected while the engine still runs (finalizers run in reverse order). */
  e = leng_engine(L);
  u = (lfuture *)lua_newuserdatauv(L, sizeof *u, 1);
  u->f = NULL;
  u->job = NULL;
  luaL_setmetatable(L, LENG_FUTURE);
  u->job = job;
  *box = NULL;
  lua_remove(L, -2);
  leng__job_prepare(job);
  rc = eng_async(e, leng__job_task, job, opts, &u->f);
  if (rc < 0) {
    u->f = NULL;
    u->job = NULL;
    job->destroy(job);
    lua_pop(L, 1);
    return leng_push_error(L, rc, NULL);
  }
  return 1;
}

/* Waits for a future at stack index idx the way f:wait() does; used by
 * engine.wait_all. Pushes the results and returns their count. */
int leng__future_wait(lua_State *L, int idx, uint64_t timeout_ns, int timed) {
  int rc, n;
  idx = lua_absindex(L, idx);
  lua_pushcfunction(L, future_wait);
  lua_pushvalue(L, idx);
  if (timed) lua_pushnumber(L, (lua_Number)timeout_ns / 1e9);
  else lua_pushnil(L);
  n = lua_gettop(L) - 3;
  lua_call(L, 2, LUA_MULTRET);
  rc = lua_gettop(L) - n;
  return rc;
}

void leng_open_future(lua_State *L) {
  static const luaL_Reg methods[] = {
    {"wait", future_wait}, {"done", future_done}, {"cancel", future_cancel}, {NULL, NULL}};
  if (luaL_newmetatable(L, LENG_FUTURE)) {
    luaL_newlib(L, methods);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, future_gc);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, future_tostring);
    lua_setfield(L, -2, "__tostring");
  }
  lua_pop(L, 1);
}
