/* lengine.c: the engine module table and its core functions (version, workers, topology, clock, stats, spin). */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "laux.h"

/* engine.workers() -> number of workers */
static int l_workers(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)eng_engine_workers(leng_engine(L)));
  return 1;
}

/* engine.topology() -> list of {worker, pu, core, numa_node, pinned, arena} */
static int l_topology(lua_State *L) {
  eng_engine *e = leng_engine(L);
  unsigned n = eng_engine_workers(e), count = 0, i;
  eng_placement *p;
  int rc;
  p = (eng_placement *)lua_newuserdatauv(L, (n ? n : 1) * sizeof *p, 0);
  rc = eng_topology(e, p, n, &count);
  if (rc < 0) return leng_push_error(L, rc, NULL);
  if (count > n) count = n;
  lua_createtable(L, (int)count, 0);
  for (i = 0; i < count; i++) {
    lua_createtable(L, 0, 6);
    lua_pushinteger(L, p[i].worker);
    lua_setfield(L, -2, "worker");
    lua_pushinteger(L, p[i].pu);
    lua_setfield(L, -2, "pu");
    lua_pushinteger(L, p[i].core);
    lua_setfield(L, -2, "core");
    lua_pushinteger(L, p[i].numa_node);
    lua_setfield(L, -2, "numa_node");
    lua_pushboolean(L, p[i].pinned);
    lua_setfield(L, -2, "pinned");
    lua_pushinteger(L, p[i].arena);
    lua_setfield(L, -2, "arena");
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  return 1;
}

/* engine.machine() -> {pus, cores, numa_nodes} | nil, msg, code */
static int l_machine(lua_State *L) {
  unsigned pus = 0, cores = 0, numa = 0;
  int rc = eng_machine_info(&pus, &cores, &numa);
  if (rc < 0) return leng_push_error(L, rc, NULL);
  lua_createtable(L, 0, 3);
  lua_pushinteger(L, pus);
  lua_setfield(L, -2, "pus");
  lua_pushinteger(L, cores);
  lua_setfield(L, -2, "cores");
  lua_pushinteger(L, numa);
  lua_setfield(L, -2, "numa_nodes");
  return 1;
}

/* engine.now() -> ns (integer) */
static int l_now(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)eng_now_ns());
  return 1;
}

/* engine.clock() -> {tsc, tsc_ghz, resolution_ns} */
static int l_clock(lua_State *L) {
  eng_clock_info ci;
  eng_clock_get_info(&ci);
  lua_createtable(L, 0, 3);
  lua_pushboolean(L, ci.tsc);
  lua_setfield(L, -2, "tsc");
  lua_pushnumber(L, ci.tsc_ghz);
  lua_setfield(L, -2, "tsc_ghz");
  lua_pushinteger(L, (lua_Integer)ci.resolution_ns);
  lua_setfield(L, -2, "resolution_ns");
  return 1;
}

static void set_int(lua_State *L, const char *k, uint64_t v) {
  lua_pushinteger(L, (lua_Integer)v);
  lua_setfield(L, -2, k);
}

static void push_counters(lua_State *L, const eng_counters *c) {
  lua_createtable(L, 0, 8);
  set_int(L, "submitted", c->submitted);
  set_int(L, "executed", c->executed);
  set_int(L, "stolen", c->stolen);
  set_int(L, "parked", c->parked);
  set_int(L, "woken", c->woken);
  set_int(L, "deadline_misses", c->deadline_misses);
  set_int(L, "cancelled", c->cancelled);
  set_int(L, "rejected", c->rejected);
}

static void push_latency(lua_State *L, const eng_latency *l) {
  lua_createtable(L, 0, 8);
  set_int(L, "count", l->count);
  set_int(L, "min", l->min_ns);
  set_int(L, "p50", l->p50_ns);
  set_int(L, "p90", l->p90_ns);
  set_int(L, "p99", l->p99_ns);
  set_int(L, "p999", l->p999_ns);
  set_int(L, "max", l->max_ns);
  lua_pushnumber(L, l->mean_ns);
  lua_setfield(L, -2, "mean");
}

/* engine.stats([reset]) -> {workers, submitted, ..., queue_wait = {...},
 * run_time = {...}, per_worker = {{submitted, ...}, ...}} */
static int l_stats(lua_State *L) {
  eng_engine *e = leng_engine(L);
  eng_stats st;
  int reset = 0, rc;
  unsigned i;
  if (!lua_isnoneornil(L, 1)) {
    luaL_checktype(L, 1, LUA_TBOOLEAN);
    reset = lua_toboolean(L, 1);
  }
  /* Per-worker counters first, so a reset below cannot zero them before they are read. */
  lua_createtable(L, (int)eng_engine_workers(e), 0);
  for (i = 0; i < eng_engine_workers(e); i++) {
    eng_counters c;
    if (eng_stats_worker(e, i, &c) < 0) break;
    push_counters(L, &c);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  rc = eng_stats_read(e, &st, reset);
  if (rc < 0) return leng_push_error(L, rc, NULL);
  push_counters(L, &st.total);
  lua_rotate(L, -2, 1);
  lua_setfield(L, -2, "per_worker");
  set_int(L, "workers", st.workers);
  push_latency(L, &st.queue_wait);
  lua_setfield(L, -2, "queue_wait");
  push_latency(L, &st.run_time);
  lua_setfield(L, -2, "run_time");
  return 1;
}

/* engine.sleep(seconds): blocks the calling Lua thread; workers keep running. */
static int l_sleep(lua_State *L) {
  lua_Number s = luaL_checknumber(L, 1);
  struct timespec ts, rem;
  if (!(s >= 0) || s > 1e9) luaL_argerror(L, 1, "seconds must be a number in [0, 1e9]");
  ts.tv_sec = (time_t)s;
  ts.tv_nsec = (long)((s - (lua_Number)ts.tv_sec) * 1e9);
  if (ts.tv_nsec >= 1000000000L) ts.tv_nsec = 999999999L;
  while (nanosleep(&ts, &rem) != 0 && errno == EINTR) ts = rem;
  return 0;
}

/* --- engine.spin: a calibrated busy-work job. The worker busy-waits on the
 * engine clock until ns have passed, so its run time is known in advance
 * whatever the CPU speed, and reports where and when it ran. */

/* Longest allowed spin: a script asking for more is almost surely passing
 * seconds where nanoseconds are expected. */
#define SPIN_MAX_NS INT64_C(60000000000)

typedef struct spin_job {
  leng_job job;
  uint64_t ns;
  uint64_t submit_ns, start_ns, end_ns;
  int worker;
  eng_engine *e;
} spin_job;

static int spin_run(leng_job *job) {
  spin_job *s = (spin_job *)job;
  uint64_t t0 = eng_now_ns(), t = t0;
  s->start_ns = t0;
  s->worker = eng_worker_self(s->e);
  while (t - t0 < s->ns) t = eng_now_ns();
  s->end_ns = t;
  return 0;
}

static int spin_push(lua_State *L, leng_job *job) {
  spin_job *s = (spin_job *)job;
  lua_pushinteger(L, s->worker);
  lua_pushinteger(L, (lua_Integer)(s->end_ns - s->start_ns));
  lua_pushinteger(L, (lua_Integer)(s->start_ns >= s->submit_ns ? s->start_ns - s->submit_ns : 0));
  lua_pushinteger(L, (lua_Integer)s->start_ns);
  return 4;
}

static void spin_destroy(leng_job *job) { free(job); }

static spin_job *spin_prepare(lua_State *L, eng_task_opts *o) {
  lua_Integer ns = luaL_checkinteger(L, 1);
  spin_job *s;
  eng_engine *e;
  if (ns < 0 || ns > SPIN_MAX_NS) luaL_argerror(L, 1, "ns must be an integer in [0, 6e10]");
  if (!lua_isnoneornil(L, 2)) luaL_checktype(L, 2, LUA_TTABLE);
  leng_task_opts(L, 2, o);
  e = leng_engine(L);
  /* Everything is validated: nothing below raises before the job is owned. */
  s = (spin_job *)calloc(1, sizeof *s);
  if (s == NULL) luaL_error(L, "not enough memory");
  s->job.run = spin_run;
  s->job.push = spin_push;
  s->job.destroy = spin_destroy;
  s->job.priority = o->priority;
  s->ns = (uint64_t)ns;
  s->e = e;
  s->worker = -1;
  s->submit_ns = eng_now_ns() + o->delay_ns;
  return s;
}

/* engine.spin(ns [, opts]) -> worker, run_ns, wait_ns, start_ns | nil, msg, code */
static int l_spin(lua_State *L) {
  eng_task_opts o;
  spin_job *s = spin_prepare(L, &o);
  return leng_job_call_opts(L, &s->job, &o);
}

/* engine.spin_async(ns [, opts]) -> future */
static int l_spin_async(lua_State *L) {
  eng_task_opts o;
  spin_job *s = spin_prepare(L, &o);
  return leng_job_async_opts(L, &s->job, &o);
}

/* engine.wait_all(futures [, timeout_seconds]) -> firsts, all | nil, msg, code
 * firsts[i] is the first value fs[i]:wait() returned, all[i] every value
 * packed ({n = ...}). Waits for every future even when one fails; then the
 * first failure is returned as nil, "future #i: message", code. */
static int l_wait_all(lua_State *L) {
  lua_Integer n, i;
  uint64_t deadline = 0;
  int timed = 0, failed = 0;
  luaL_checktype(L, 1, LUA_TTABLE);
  n = (lua_Integer)lua_rawlen(L, 1);
  for (i = 1; i <= n; i++) {
    lua_rawgeti(L, 1, i);
    if (luaL_testudata(L, -1, LENG_FUTURE) == NULL) {
      lua_pushfstring(L, "%s expected at index %I, got %s", LENG_FUTURE, (LUAI_UACINT)i, luaL_typename(L, -1));
      luaL_argerror(L, 1, lua_tostring(L, -1));
    }
    lua_pop(L, 1);
  }
  if (!lua_isnoneornil(L, 2)) {
    lua_Number t = luaL_checknumber(L, 2);
    if (!(t >= 0) || t > 1e9) luaL_argerror(L, 2, "timeout must be a number of seconds in [0, 1e9]");
    deadline = eng_now_ns() + (uint64_t)llround(t * 1e9);
    timed = 1;
  }
  lua_settop(L, 1);
  lua_createtable(L, (int)n, 0); /* 2: firsts */
  lua_createtable(L, (int)n, 0); /* 3: all */
  lua_pushnil(L);                /* 4, 5, 6: the first failure */
  lua_pushnil(L);
  lua_pushnil(L);
  for (i = 1; i <= n; i++) {
    int base, k, got;
    uint64_t now = timed ? eng_now_ns() : 0;
    lua_rawgeti(L, 1, i);
    base = lua_gettop(L);
    got = leng__future_wait(L, base, timed && deadline > now ? deadline - now : 0, timed);
    lua_createtable(L, got, 1);
    for (k = 1; k <= got; k++) {
      lua_pushvalue(L, base + k);
      lua_rawseti(L, -2, k);
    }
    lua_pushinteger(L, got);
    lua_setfield(L, -2, "n");
    lua_rawseti(L, 3, i);
    if (got >= 1 && lua_isnil(L, base + 1) && got >= 3) {
      if (!failed) {
        failed = 1;
        lua_pushfstring(L, "future #%I: %s", (LUAI_UACINT)i, lua_tostring(L, base + 2));
        lua_replace(L, 5);
        lua_pushvalue(L, base + 3);
        lua_replace(L, 6);
      }
      lua_pushboolean(L, 0);
    } else {
      if (got >= 1) lua_pushvalue(L, base + 1);
      else lua_pushboolean(L, 1);
    }
    lua_rawseti(L, 2, i);
    lua_settop(L, 6);
  }
  if (failed) return 3;
  lua_settop(L, 3);
  return 2;
}

void leng_open_core(lua_State *L) {
  static const luaL_Reg fns[] = {{"workers", l_workers}, {"topology", l_topology}, {"machine", l_machine},
                                 {"now", l_now},         {"clock", l_clock},       {"stats", l_stats},
                                 {"sleep", l_sleep},     {"spin", l_spin},         {"spin_async", l_spin_async},
                                 {"wait_all", l_wait_all}, {NULL, NULL}};
  luaL_setfuncs(L, fns, 0);
  lua_pushstring(L, eng_version());
  lua_setfield(L, -2, "version");
}

int leng_open(lua_State *L) {
  lua_createtable(L, 0, 64);
  leng_open_core(L);
  leng_open_future(L);
  leng_open_series(L);
  leng_open_temporal(L);
  leng_open_sequence(L);
  leng_open_dynamics(L);
  leng_open_attractor(L);
  leng_open_ltl(L);
  return 1;
}
