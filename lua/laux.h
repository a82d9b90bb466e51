/* laux.h: helpers shared by the Lua bindings (argument checks, series, jobs). */
#ifndef ENGINE_LAUX_H
#define ENGINE_LAUX_H

#include <stddef.h>
#include <stdint.h>

#include <lauxlib.h>
#include <lua.h>

#include "engine.h"

/* Registry metatable names: type errors read "engine.future expected, got nil". */
#define LENG_FUTURE "engine.future"
#define LENG_SERIES "engine.series"

/* The engine this Lua state runs on. In the `engine` program it is the one
 * main.c created; under stock lua5.4 it is created on first use and destroyed
 * when the state closes. Raises a Lua error when it cannot be created. */
eng_engine *leng_engine(lua_State *L);

/* The engine configuration both the program and engine.so start from:
 * eng_config_init with every task timed for the latency histograms
 * (stats_sample 1), then from the environment ENGINE_WORKERS (a count),
 * ENGINE_PIN=0 (no pinning) and ENGINE_STATS_SAMPLE (time one task in N). */
void leng_config_from_env(eng_config *cfg);

/* eng_engine_create, retried without pinning when the system cannot pin
 * (ENG_ENOSYS). */
int leng_engine_create(eng_engine **out, const eng_config *cfg);

/* Installs an engine the state did not create (the `engine` program): the
 * module uses it and never destroys it. */
void leng_set_engine(lua_State *L, eng_engine *e);

/* --- Series: a Lua table of numbers or an engine.series userdata. */

/* A read-only view of a numeric argument. data points into the series' storage
 * (valid while the argument stays on the stack) or into owned memory that
 * leng_series_view_free releases. Raises luaL_argerror for a wrong type or a
 * non-number element, naming the argument and the element index. NaN and
 * infinity are accepted here; kernels reject them with ENG_ENAN. */
typedef struct leng_series_view {
  const double *data;
  size_t n;
  double *owned; /* non-NULL when data was copied out of a table */
} leng_series_view;

void leng_check_series(lua_State *L, int arg, leng_series_view *v);

/* The engine.series userdata (lseries.c): n contiguous doubles at data. A
 * slice points into its parent's storage and keeps the parent alive through
 * its user value; owned is what the series' __gc frees (NULL when the values
 * live inside the userdata or belong to a parent). */
typedef struct leng_series {
  double *data;
  size_t n;
  double *owned;
} leng_series;

/* The engine.series at arg, or a raised type error. */
leng_series *leng_toseries(lua_State *L, int arg);
void leng_series_view_free(leng_series_view *v);

/* Pushes a new engine.series that takes ownership of data (allocated with
 * malloc; freed by the series' __gc). */
void leng_push_series_owned(lua_State *L, double *data, size_t n);

/* Pushes a new engine.series with n uninitialised values and returns them. */
double *leng_push_series_new(lua_State *L, size_t n);

/* --- Jobs: the shape every kernel binding follows. A binding validates its
 * arguments, copies what it needs into a job, then either runs it now
 * (synchronous call) or submits it and returns an engine.future whose :wait()
 * pushes the results. run executes on a worker and must not touch Lua. */
typedef struct leng_job leng_job;
struct leng_job {
  int (*run)(leng_job *job);                 /* 0 or ENG_E*; on a worker */
  int (*push)(lua_State *L, leng_job *job);  /* pushes results, returns how many; called
                                                at most once per job (a future keeps what
                                                it pushed), so it may hand owned buffers
                                                to Lua (leng_push_series_owned) */
  void (*destroy)(leng_job *job);            /* frees the job and what it owns; may run
                                                on a worker thread (never touches Lua) */
  void (*cancel)(leng_job *job);             /* optional (NULL): asks a job that is
                                                already running to stop early; called by
                                                f:cancel() on the Lua thread while the
                                                future still owns the job, so it must be
                                                safe concurrently with run */
  eng_priority priority;
  /* set by the runtime */
  int status;
  char errmsg[192];                          /* optional detail set by run */
};

/* Runs job on the scheduler and waits for it, then pushes its results. On an
 * error returns nil, message, code name (luv style). Always destroys job. */
int leng_job_call(lua_State *L, leng_job *job);

/* Submits job and pushes an engine.future for it. The job runs after the
 * binding has returned, so it must own copies of its inputs (a
 * leng_series_view may point into a series that is collected meanwhile).
 * Its :wait() returns what leng_job_call would. On a submit failure pushes nil, message, code name.
 * The future owns the job from here on. Returns the number of pushed values. */
int leng_job_async(lua_State *L, leng_job *job);

/* As leng_job_call / leng_job_async with full task options (delay, deadline,
 * flags; job->priority is ignored in favour of opts->priority). */
int leng_job_call_opts(lua_State *L, leng_job *job, const eng_task_opts *opts);
int leng_job_async_opts(lua_State *L, leng_job *job, const eng_task_opts *opts);

/* Pushes what a finished job returns: its push() results, or nil, message,
 * code name when job->status < 0 (errmsg as the message when set). */
int leng_job_results(lua_State *L, leng_job *job);

/* Reads the scheduling fields of the options table at arg into *o:
 * priority (see leng_opt_priority), delay (ns), deadline (ns from now),
 * drop_late and block (booleans). Raises like the leng_opt_* helpers. */
void leng_task_opts(lua_State *L, int arg, eng_task_opts *o);

/* Raises nothing: pushes nil, eng_strerror(code) (or detail when non-NULL), and
 * eng_err_name(code); returns 3. */
int leng_push_error(lua_State *L, int code, const char *detail);

/* Reads optional table fields of an options table at index arg (which may be
 * none or nil). Raise luaL_argerror naming the field on a wrong type. */
lua_Integer leng_opt_integer(lua_State *L, int arg, const char *field, lua_Integer def);
lua_Number leng_opt_number(lua_State *L, int arg, const char *field, lua_Number def);
int leng_opt_boolean(lua_State *L, int arg, const char *field, int def);
const char *leng_opt_string(lua_State *L, int arg, const char *field, const char *def);
/* An integer in [lo, hi]: "field 'window' must be a non-negative integer"
 * (lo 0, hi LUA_MAXINTEGER), "... a positive integer" (lo 1) or
 * "... an integer in [lo, hi]". */
lua_Integer leng_opt_integer_range(lua_State *L, int arg, const char *field, lua_Integer def,
                                   lua_Integer lo, lua_Integer hi);
/* One of names[] (NULL-terminated), returned as its index. */
int leng_opt_enum(lua_State *L, int arg, const char *field, const char *const names[], int def);
/* The "priority" field: "critical".."background". */
eng_priority leng_opt_priority(lua_State *L, int arg);

/* Each kernel family adds its functions to the module table on top of the stack. */
void leng_open_core(lua_State *L);     /* lengine.c: version, workers, stats, spin, ... */
void leng_open_future(lua_State *L);   /* lfuture.c */
void leng_open_series(lua_State *L);   /* lseries.c */
void leng_open_temporal(lua_State *L); /* ltemporal.c: dtw, dtw_search, distance_matrix */
void leng_open_sequence(lua_State *L); /* lsequence.c: edit, lcs, damerau, sax */
void leng_open_dynamics(lua_State *L); /* ldynamics.c: generators, embed, delay, dimension, spectrum */
void leng_open_attractor(lua_State *L);/* lattractor.c: lyapunov, corrdim, classify, analyze */
void leng_open_ltl(lua_State *L);      /* lltl.c: sets field "ltl" to a subtable */

/* Internal to lua/: the task body and reset shared by laux.c and lfuture.c. */
void *leng__job_task(void *arg);
void leng__job_prepare(leng_job *job);
/* Pushes a box whose __gc destroys the job stored in it (NULL: nothing). */
leng_job **leng__push_jobbox(lua_State *L);
/* Waits for the engine.future at idx like f:wait() (timed: at most
 * timeout_ns); pushes its results and returns how many. */
int leng__future_wait(lua_State *L, int idx, uint64_t timeout_ns, int timed);

/* Builds the whole module table and leaves it on the stack (luaopen_engine). */
int leng_open(lua_State *L);

#endif
