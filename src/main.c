/* main.c: the `engine` program: options, the engine's lifetime, and running Lua scripts under a protected main. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "engine.h"
#include "../lua/laux.h"

#define PROGNAME "engine"

/* Exit statuses (documented in engine.1). */
enum { EXIT_LUA_ERROR = 1, EXIT_USAGE = 2 };

typedef struct options {
  int argc;
  char **argv;
  int script;       /* index of the script in argv, or 0 when there is none */
  int has_e;        /* some -e or -l ran code */
  int version, help, topology;
  unsigned workers; /* 0: the default (one per core, or ENGINE_WORKERS) */
  int workers_set;
  int no_pin;
} options;

static lua_State *globalL = NULL;
static eng_engine *global_engine = NULL;

static void print_usage(FILE *out) {
  fprintf(out,
          "usage: " PROGNAME " [options] [script [args...]]\n"
          "Runs a Lua 5.4 script with the `engine` module loaded and a running engine.\n"
          "Options:\n"
          "  -e code          run the Lua code (may repeat; runs before the script)\n"
          "  -l name          require library 'name' into global 'name' (may repeat)\n"
          "  -w, --workers N  start N workers (default: one per physical core)\n"
          "      --no-pin     do not bind workers to processing units\n"
          "      --topology   print where each worker runs, then exit\n"
          "  -v, --version    print the version, then exit\n"
          "  -h, --help       print this help, then exit\n"
          "  --               stop handling options\n"
          "  -                run the standard input as the script\n"
          "With no script and no -e, the standard input is run when it is not a terminal.\n");
}

static int usage_error(const char *fmt, const char *what) {
  fprintf(stderr, PROGNAME ": ");
  fprintf(stderr, fmt, what);
  fprintf(stderr, "\n");
  print_usage(stderr);
  return -1;
}

static int parse_workers(options *o, const char *s) {
  char *end;
  unsigned long v;
  if (s == NULL) return usage_error("option '%s' needs a worker count", "--workers");
  errno = 0;
  v = strtoul(s, &end, 10);
  if (*s == '\0' || *end != '\0' || errno != 0 || v < 1 || v > 1024 || *s == '-' || *s == '+')
    return usage_error("bad worker count '%s' (expected an integer in [1, 1024])", s);
  o->workers = (unsigned)v;
  o->workers_set = 1;
  return 0;
}

/* Checks the options (like lua.c's collectargs) without running anything:
 * the engine must exist before the first -e runs. Returns -1 on a usage error. */
static int collect_args(options *o) {
  char **argv = o->argv;
  int i;
  for (i = 1; argv[i] != NULL; i++) {
    const char *a = argv[i];
    if (a[0] != '-') { /* the script */
      o->script = i;
      return 0;
    }
    if (strcmp(a, "-") == 0) { /* stdin as the script */
      o->script = i;
      return 0;
    }
    if (strcmp(a, "--") == 0) {
      if (argv[i + 1] != NULL) o->script = i + 1;
      return 0;
    }
    if (strcmp(a, "-e") == 0 || strcmp(a, "-l") == 0) {
      o->has_e = 1;
      if (argv[i + 1] == NULL) return usage_error("option '%s' needs an argument", a);
      i++;
    } else if (strncmp(a, "-e", 2) == 0 || strncmp(a, "-l", 2) == 0) {
      o->has_e = 1; /* -ecode / -lname, as lua accepts */
    } else if (strcmp(a, "-w") == 0 || strcmp(a, "--workers") == 0) {
      if (parse_workers(o, argv[i + 1]) < 0) return -1;
      i++;
    } else if (strncmp(a, "--workers=", 10) == 0) {
      if (parse_workers(o, a + 10) < 0) return -1;
    } else if (strncmp(a, "-w", 2) == 0) {
      if (parse_workers(o, a + 2) < 0) return -1;
    } else if (strcmp(a, "--no-pin") == 0) {
      o->no_pin = 1;
    } else if (strcmp(a, "--topology") == 0) {
      o->topology = 1;
    } else if (strcmp(a, "-v") == 0 || strcmp(a, "--version") == 0) {
      o->version = 1;
    } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      o->help = 1;
    } else {
      return usage_error("unrecognized option '%s'", a);
    }
  }
  return 0;
}

/* --------------------------------------------------------- errors, signals */

/* Adds a traceback to an error message, as lua.c does. */
static int msghandler(lua_State *L) {
  const char *msg = lua_tostring(L, 1);
  if (msg == NULL) {
    if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) return 1;
    msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  }
  luaL_traceback(L, L, msg, 1);
  return 1;
}

static void lstop(lua_State *L, lua_Debug *ar) {
  (void)ar;
  lua_sethook(L, NULL, 0, 0);
  luaL_error(L, "interrupted!");
}

/* On SIGINT, the next Lua instruction raises "interrupted!" (lua.c's way:
 * setting a hook is the one thing a signal handler may do to a state), so
 * the script unwinds and the engine is still destroyed. */
static void laction(int sig) {
  int flag = LUA_MASKCALL | LUA_MASKRET | LUA_MASKLINE | LUA_MASKCOUNT;
  signal(sig, SIG_DFL);
  lua_sethook(globalL, lstop, flag, 1);
}

static int docall(lua_State *L, int narg, int nres) {
  int status;
  int base = lua_gettop(L) - narg;
  lua_pushcfunction(L, msghandler);
  lua_insert(L, base);
  globalL = L;
  signal(SIGINT, laction);
  status = lua_pcall(L, narg, nres, base);
  signal(SIGINT, SIG_DFL);
  lua_remove(L, base);
  return status;
}

static int report(lua_State *L, int status) {
  if (status != LUA_OK) {
    const char *msg = lua_tostring(L, -1);
    fprintf(stderr, PROGNAME ": %s\n", msg != NULL ? msg : "(error object is not a string)");
    fflush(stderr);
    lua_pop(L, 1);
  }
  return status;
}

/* os.exit replacement: lua's own closes the state only when asked; here the
 * state is always closed and the engine destroyed first, so futures are
 * collected and pending work is accounted for before the process ends. */
static int l_os_exit(lua_State *L) {
  int status;
  if (lua_isboolean(L, 1)) status = lua_toboolean(L, 1) ? EXIT_SUCCESS : EXIT_FAILURE;
  else status = (int)luaL_optinteger(L, 1, EXIT_SUCCESS);
  fflush(stdout);
  lua_close(L);
  eng_engine_destroy(global_engine, ENG_DRAIN_CANCEL, NULL);
  global_engine = NULL;
  exit(status);
  return 0;
}

/* ------------------------------------------------------------- arguments */

/* The global `arg`, exactly as lua.c builds it: arg[0] the script, arg[1..]
 * its arguments, arg[-1..] the options before it, the program name lowest. */
static void create_arg_table(lua_State *L, char **argv, int argc, int script) {
  int i, narg;
  /* script == 0 (none): arg[0] is the program name and the options follow. */
  narg = argc - (script + 1);
  lua_createtable(L, narg, script + 1);
  for (i = 0; i < argc; i++) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, i - script);
  }
  lua_setglobal(L, "arg");
}

static int push_args(lua_State *L) {
  int i, n;
  if (lua_getglobal(L, "arg") != LUA_TTABLE) luaL_error(L, "'arg' is not a table");
  n = (int)luaL_len(L, -1);
  luaL_checkstack(L, n + 3, "too many arguments to script");
  for (i = 1; i <= n; i++) lua_rawgeti(L, -i, i);
  lua_remove(L, -i);
  return n;
}

/* Runs the script; a file that cannot be opened or read is a usage-class
 * failure (exit 2, one line naming it), anything else a Lua error (exit 1). */
static int handle_script(lua_State *L, char **argv, int script) {
  const char *fname = argv[script];
  int status, n;
  if (strcmp(fname, "-") == 0 && strcmp(argv[script - 1], "--") != 0) fname = NULL; /* stdin */
  status = luaL_loadfile(L, fname);
  if (status == LUA_ERRFILE) {
    const char *msg = lua_tostring(L, -1);
    fprintf(stderr, PROGNAME ": %s\n", msg != NULL ? msg : "cannot open the script");
    lua_pop(L, 1);
    return EXIT_USAGE;
  }
  if (status != LUA_OK) return report(L, status) == LUA_OK ? 0 : EXIT_LUA_ERROR;
  n = push_args(L);
  status = docall(L, n, LUA_MULTRET);
  return report(L, status) == LUA_OK ? 0 : EXIT_LUA_ERROR;
}

static int run_stdin(lua_State *L) {
  int status = luaL_loadfile(L, NULL);
  if (status == LUA_ERRFILE) {
    report(L, status);
    return EXIT_USAGE;
  }
  if (status == LUA_OK) status = docall(L, 0, LUA_MULTRET);
  return report(L, status) == LUA_OK ? 0 : EXIT_LUA_ERROR;
}

static int dolibrary(lua_State *L, const char *spec) {
  const char *eq = strchr(spec, '=');
  int status;
  lua_getglobal(L, "require");
  if (eq != NULL) lua_pushstring(L, eq + 1);
  else lua_pushstring(L, spec);
  status = docall(L, 1, 1);
  if (status == LUA_OK) {
    if (eq != NULL) lua_pushlstring(L, spec, (size_t)(eq - spec));
    else lua_pushstring(L, spec);
    lua_insert(L, -2);
    lua_setglobal(L, lua_tostring(L, -2));
    lua_pop(L, 1);
  }
  return report(L, status);
}

/* Runs -e and -l in order (lua.c's runargs). */
static int run_args(lua_State *L, char **argv, int n) {
  int i;
  for (i = 1; i < n; i++) {
    const char *a = argv[i];
    int isopt = strncmp(a, "-e", 2) == 0 || strncmp(a, "-l", 2) == 0;
    int takesnext = strcmp(a, "-w") == 0 || strcmp(a, "--workers") == 0;
    if (takesnext) {
      i++;
      continue;
    }
    if (!isopt) continue;
    {
      const char *extra = a[2] != '\0' ? a + 2 : argv[++i];
      int status;
      if (a[1] == 'e') {
        status = luaL_loadbuffer(L, extra, strlen(extra), "=(command line)");
        if (status == LUA_OK) status = docall(L, 0, 0);
        if (report(L, status) != LUA_OK) return EXIT_LUA_ERROR;
      } else if (dolibrary(L, extra) != LUA_OK) {
        return EXIT_LUA_ERROR;
      }
    }
  }
  return 0;
}

/* ------------------------------------------------------------------ main */

static int print_topology(eng_engine *e) {
  eng_placement p[1024];
  unsigned count = 0, i, pus = 0, cores = 0, numa = 0;
  int rc = eng_topology(e, p, 1024, &count);
  if (rc < 0) {
    fprintf(stderr, PROGNAME ": topology: %s\n", eng_strerror(rc));
    return EXIT_LUA_ERROR;
  }
  if (eng_machine_info(&pus, &cores, &numa) == 0)
    printf("machine: %u PUs, %u cores, %u NUMA nodes\n", pus, cores, numa);
  printf("%-6s %-5s %-5s %-5s %-7s %s\n", "worker", "pu", "core", "numa", "pinned", "arena");
  for (i = 0; i < count && i < 1024; i++)
    printf("%-6u %-5d %-5d %-5d %-7s %u\n", p[i].worker, p[i].pu, p[i].core, p[i].numa_node,
           p[i].pinned ? "yes" : "no", p[i].arena);
  return 0;
}

/* Everything that runs Lua, under lua_pcall so that a memory error anywhere
 * still returns to main, which then destroys the engine. */
static int pmain(lua_State *L) {
  options *o = (options *)lua_touserdata(L, 1);
  int *result = (int *)lua_touserdata(L, 2);
  int rc;
  luaL_checkversion(L);
  luaL_openlibs(L);
  /* The engine module: a global, and what `require "engine"` returns. */
  leng_set_engine(L, global_engine);
  luaL_requiref(L, "engine", leng_open, 1);
  lua_pop(L, 1);
  lua_getglobal(L, "os");
  lua_pushcfunction(L, l_os_exit);
  lua_setfield(L, -2, "exit");
  lua_pop(L, 1);
  create_arg_table(L, o->argv, o->argc, o->script);
  lua_gc(L, LUA_GCRESTART);
  lua_gc(L, LUA_GCGEN, 0, 0);
  rc = run_args(L, o->argv, o->script ? o->script : o->argc);
  if (rc != 0) {
    *result = rc;
    return 0;
  }
  if (o->script) {
    *result = handle_script(L, o->argv, o->script);
  } else if (!o->has_e) {
    if (isatty(STDIN_FILENO)) {
      print_usage(stderr);
      *result = EXIT_USAGE;
    } else {
      *result = run_stdin(L);
    }
  }
  return 0;
}

int main(int argc, char **argv) {
  options o;
  eng_config cfg;
  lua_State *L;
  int rc, status, result = 0;
  static char progname[] = PROGNAME;
  static char *noargv[] = {progname, NULL};
  memset(&o, 0, sizeof o);
  if (argv[0] == NULL) { /* an exec with an empty argv */
    argv = noargv;
    argc = 1;
  }
  o.argc = argc;
  o.argv = argv;
  if (collect_args(&o) < 0) return EXIT_USAGE;
  if (o.help) {
    print_usage(stdout);
    return 0;
  }
  if (o.version) {
    printf(PROGNAME " %s (%s)\n", eng_version(), LUA_RELEASE);
    return 0;
  }
  leng_config_from_env(&cfg);
  if (o.workers_set) cfg.workers = o.workers;
  if (o.no_pin) cfg.pin = 0;
  rc = leng_engine_create(&global_engine, &cfg);
  if (rc < 0) {
    fprintf(stderr, PROGNAME ": cannot create the engine: %s (%s)\n", eng_strerror(rc), eng_err_name(rc));
    return EXIT_LUA_ERROR;
  }
  if (o.topology) {
    result = print_topology(global_engine);
    eng_engine_destroy(global_engine, ENG_DRAIN_CANCEL, NULL);
    return result;
  }
  L = luaL_newstate();
  if (L == NULL) {
    fprintf(stderr, PROGNAME ": cannot create the Lua state: not enough memory\n");
    eng_engine_destroy(global_engine, ENG_DRAIN_CANCEL, NULL);
    return EXIT_LUA_ERROR;
  }
  lua_gc(L, LUA_GCSTOP);
  lua_pushcfunction(L, pmain);
  lua_pushlightuserdata(L, &o);
  lua_pushlightuserdata(L, &result);
  status = lua_pcall(L, 2, 0, 0);
  if (status != LUA_OK) {
    report(L, status);
    result = EXIT_LUA_ERROR;
  }
  fflush(stdout);
  /* Closing the state collects every future (a running job is freed when it
   * completes); then the engine cancels what is still queued and stops. */
  lua_close(L);
  eng_engine_destroy(global_engine, ENG_DRAIN_CANCEL, NULL);
  global_engine = NULL;
  return result;
}
