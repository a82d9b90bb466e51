/* laux.h: helpers shared by the Lua bindings (argument checks, series, jobs). */
#ifndef ENGINE_LAUX_H
#define ENGINE_LAUX_H

#include <stddef.h>

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
  int (*push)(lua_State *L, leng_job *job);  /* pushes results, returns how many */
  void (*destroy)(leng_job *job);            /* frees the job and what it owns */
  eng_priority priority;
  /* set by the runtime */
  int status;
  char errmsg[192];                          /* optional detail set by run */
};

/* Runs job on the scheduler and waits for it, then pushes its results. On an
 * error returns nil, message, code name (luv style). Always destroys job. */
int leng_job_call(lua_State *L, leng_job *job);

/* Submits job and pushes an engine.future for it (its :wait() returns what
 * leng_job_call would). On a submit failure pushes nil, message, code name.
 * The future owns the job from here on. Returns the number of pushed values. */
int leng_job_async(lua_State *L, leng_job *job);

/* Raises nothing: pushes nil, eng_strerror(code) (or detail when non-NULL), and
 * eng_err_name(code); returns 3. */
int leng_push_error(lua_State *L, int code, const char *detail);

/* Reads optional table fields of an options table at index arg (which may be
 * none or nil). Raise luaL_argerror naming the field on a wrong type. */
lua_Integer leng_opt_integer(lua_State *L, int arg, const char *field, lua_Integer def);
lua_Number leng_opt_number(lua_State *L, int arg, const char *field, lua_Number def);
int leng_opt_boolean(lua_State *L, int arg, const char *field, int def);
const char *leng_opt_string(lua_State *L, int arg, const char *field, const char *def);
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

/* Builds the whole module table and leaves it on the stack (luaopen_engine). */
int leng_open(lua_State *L);

#endif
