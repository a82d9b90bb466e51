/* lseries.c: the engine.series userdata (contiguous doubles, slices, reductions) and its CSV/binary loaders. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "laux.h"

/* Values of a series created here live right after the header, inside the
 * userdata, so nothing can leak if Lua raises while it is being filled. */
typedef struct series_inline {
  leng_series s;
  double values[];
} series_inline;

leng_series *leng_toseries(lua_State *L, int arg) {
  return (leng_series *)luaL_checkudata(L, arg, LENG_SERIES);
}

double *leng_push_series_new(lua_State *L, size_t n) {
  series_inline *u;
  if (n > (SIZE_MAX - sizeof *u) / sizeof(double)) luaL_error(L, "series too large (%I values)", (LUAI_UACINT)n);
  u = (series_inline *)lua_newuserdatauv(L, sizeof *u + n * sizeof(double), 1);
  u->s.data = u->values;
  u->s.n = n;
  u->s.owned = NULL;
  luaL_setmetatable(L, LENG_SERIES);
  return u->values;
}

void leng_push_series_owned(lua_State *L, double *data, size_t n) {
  leng_series *s = (leng_series *)lua_newuserdatauv(L, sizeof *s, 1);
  s->data = data;
  s->n = n;
  s->owned = data;
  luaL_setmetatable(L, LENG_SERIES);
}

static int series_gc(lua_State *L) {
  leng_series *s = leng_toseries(L, 1);
  free(s->owned);
  s->owned = NULL;
  s->data = NULL;
  s->n = 0;
  return 0;
}

/* engine.series(table_or_n [, fill]) */
static int series_new(lua_State *L) {
  if (lua_type(L, 1) == LUA_TNUMBER) {
    lua_Integer n = luaL_checkinteger(L, 1), i;
    lua_Number fill = luaL_optnumber(L, 2, 0.0);
    double *d;
    if (n < 0 || (lua_Unsigned)n > (SIZE_MAX / sizeof(double)) / 2)
      luaL_argerror(L, 1, "length must be a non-negative integer");
    d = leng_push_series_new(L, (size_t)n);
    for (i = 0; i < n; i++) d[i] = fill;
    return 1;
  } else {
    leng_series_view v;
    double *d;
    if (lua_type(L, 1) != LUA_TTABLE && luaL_testudata(L, 1, LENG_SERIES) == NULL)
      luaL_typeerror(L, 1, "table of numbers, length or " LENG_SERIES);
    leng_check_series(L, 1, &v);
    /* Copy into the userdata first, then free the view: no Lua call between. */
    d = NULL;
    if (v.owned != NULL) {
      /* Hand the table copy over as the series' own storage. */
      leng_push_series_owned(L, v.owned, v.n);
      return 1;
    }
    d = leng_push_series_new(L, v.n);
    if (v.n > 0) memcpy(d, v.data, v.n * sizeof(double));
    return 1;
  }
}

static size_t check_index(lua_State *L, leng_series *s, int arg) {
  int isint;
  lua_Integer i = lua_tointegerx(L, arg, &isint);
  if (!isint) luaL_typeerror(L, arg, "integer index");
  if (i < 1 || (lua_Unsigned)i > s->n) {
    lua_pushfstring(L, "index %I out of range [1, %I]", (LUAI_UACINT)i, (LUAI_UACINT)s->n);
    luaL_argerror(L, arg, lua_tostring(L, -1));
  }
  return (size_t)(i - 1);
}

static int series_index(lua_State *L) {
  leng_series *s = leng_toseries(L, 1);
  if (lua_type(L, 2) == LUA_TSTRING) {
    lua_getmetatable(L, 1);
    lua_getfield(L, -1, "methods");
    lua_pushvalue(L, 2);
    lua_rawget(L, -2);
    return 1;
  }
  lua_pushnumber(L, s->data[check_index(L, s, 2)]);
  return 1;
}

static int series_newindex(lua_State *L) {
  leng_series *s = leng_toseries(L, 1);
  size_t i = check_index(L, s, 2);
  if (lua_type(L, 3) != LUA_TNUMBER) luaL_typeerror(L, 3, "number");
  s->data[i] = lua_tonumber(L, 3);
  return 0;
}

static int series_len(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)leng_toseries(L, 1)->n);
  return 1;
}

/* s:slice(i [, j]): elements i..j (1-based, inclusive, negative counts from
 * the end like string.sub), sharing storage with s. */
static int series_slice(lua_State *L) {
  leng_series *s = leng_toseries(L, 1), *v;
  lua_Integer n = (lua_Integer)s->n;
  lua_Integer i = luaL_checkinteger(L, 2);
  lua_Integer j = luaL_optinteger(L, 3, -1);
  if (i < 0) i = n + i + 1;
  if (j < 0) j = n + j + 1;
  if (i < 1 || i > n + 1) {
    lua_pushfstring(L, "start %I out of range [1, %I]", (LUAI_UACINT)luaL_checkinteger(L, 2), (LUAI_UACINT)(n + 1));
    luaL_argerror(L, 2, lua_tostring(L, -1));
  }
  if (j < i - 1 || j > n) {
    lua_pushfstring(L, "end %I out of range [%I, %I]", (LUAI_UACINT)luaL_optinteger(L, 3, -1), (LUAI_UACINT)(i - 1),
                    (LUAI_UACINT)n);
    luaL_argerror(L, 3, lua_tostring(L, -1));
  }
  v = (leng_series *)lua_newuserdatauv(L, sizeof *v, 1);
  v->data = s->data + (i - 1);
  v->n = (size_t)(j - i + 1);
  v->owned = NULL;
  luaL_setmetatable(L, LENG_SERIES);
  lua_pushvalue(L, 1); /* the parent stays alive while the view does */
  lua_setiuservalue(L, -2, 1);
  return 1;
}

static int series_totable(lua_State *L) {
  leng_series *s = leng_toseries(L, 1);
  size_t i;
  lua_createtable(L, s->n > INT32_MAX ? INT32_MAX : (int)s->n, 0);
  for (i = 0; i < s->n; i++) {
    lua_pushnumber(L, s->data[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  return 1;
}

static int series_sum(lua_State *L) {
  leng_series *s = leng_toseries(L, 1);
  /* Neumaier's compensated sum (Neumaier 1974): exact enough that a mean of
   * a long series does not drift with its length. */
  double sum = 0.0, c = 0.0;
  size_t i;
  for (i = 0; i < s->n; i++) {
    double x = s->data[i], t = sum + x;
    if (fabs(sum) >= fabs(x)) c += (sum - t) + x;
    else c += (x - t) + sum;
    sum = t;
  }
  lua_pushnumber(L, sum + c);
  return 1;
}

static int series_mean(lua_State *L) {
  leng_series *s = leng_toseries(L, 1);
  if (s->n == 0) return leng_push_error(L, ENG_ESHORT, "mean of an empty series");
  series_sum(L);
  lua_pushnumber(L, lua_tonumber(L, -1) / (double)s->n);
  return 1;
}

static int minmax(lua_State *L, int wantmax) {
  leng_series *s = leng_toseries(L, 1);
  double m;
  size_t i;
  if (s->n == 0) return leng_push_error(L, ENG_ESHORT, wantmax ? "max of an empty series" : "min of an empty series");
  m = s->data[0];
  for (i = 1; i < s->n && !isnan(m); i++) {
    double x = s->data[i];
    if (isnan(x) || (wantmax ? x > m : x < m)) m = x;
  }
  lua_pushnumber(L, m);
  return 1;
}

static int series_min(lua_State *L) { return minmax(L, 0); }
static int series_max(lua_State *L) { return minmax(L, 1); }

static int series_tostring(lua_State *L) {
  leng_series *s = leng_toseries(L, 1);
  luaL_Buffer b;
  size_t i, show = s->n <= 8 ? s->n : 6;
  luaL_buffinit(L, &b);
  lua_pushfstring(L, "engine.series(%I): {", (LUAI_UACINT)s->n);
  luaL_addvalue(&b);
  for (i = 0; i < show; i++) {
    char num[32];
    snprintf(num, sizeof num, "%s%.6g", i ? ", " : "", s->data[i]);
    luaL_addstring(&b, num);
  }
  if (show < s->n) {
    char num[64];
    snprintf(num, sizeof num, ", ... , %.6g", s->data[s->n - 1]);
    luaL_addstring(&b, num);
  }
  luaL_addchar(&b, '}');
  luaL_pushresult(&b);
  return 1;
}

/* ---------------------------------------------------------------- loading */

/* Everything a load owns, released on every path (including a Lua error
 * raised while it is alive: the loader runs under a to-be-closed box). */
typedef struct loader {
  FILE *fp;
  char *line;
  size_t linecap;
  double *vals;
  size_t n, cap;
} loader;

static int loader_close(lua_State *L) {
  loader *ld = (loader *)lua_touserdata(L, 1);
  if (ld->fp != NULL) fclose(ld->fp);
  free(ld->line);
  free(ld->vals);
  memset(ld, 0, sizeof *ld);
  return 0;
}

static int push_vals(lua_State *L, loader *ld) {
  leng_series *s;
  if (ld->vals == NULL) {
    leng_push_series_new(L, 0);
    return 1;
  }
  /* The userdata exists before it takes the values, so no raise can leak them. */
  s = (leng_series *)lua_newuserdatauv(L, sizeof *s, 1);
  s->data = s->owned = NULL;
  s->n = 0;
  luaL_setmetatable(L, LENG_SERIES);
  if (ld->n < ld->cap) {
    double *t = realloc(ld->vals, (ld->n ? ld->n : 1) * sizeof(double));
    if (t != NULL) ld->vals = t;
  }
  s->data = s->owned = ld->vals;
  s->n = ld->n;
  ld->vals = NULL;
  return 1;
}

static int append(loader *ld, double x) {
  if (ld->n == ld->cap) {
    size_t cap = ld->cap ? ld->cap * 2 : 1024;
    double *t = realloc(ld->vals, cap * sizeof(double));
    if (t == NULL) return ENG_ENOMEM;
    ld->vals = t;
    ld->cap = cap;
  }
  ld->vals[ld->n++] = x;
  return 0;
}

/* Reads one line (without its end of line) into ld->line; returns its length
 * or -1 at end of file. */
static long read_line(loader *ld) {
  ssize_t len = getline(&ld->line, &ld->linecap, ld->fp);
  if (len < 0) return -1;
  while (len > 0 && (ld->line[len - 1] == '\n' || ld->line[len - 1] == '\r')) ld->line[--len] = '\0';
  return (long)len;
}

/* Splits line in place at delim, honouring "double quotes" ("" inside quotes
 * is a quote); trims blanks around unquoted cells. Returns the cell count and
 * stores at most max cell pointers. */
static size_t split_cells(char *line, char delim, char **cells, size_t max) {
  size_t n = 0;
  char *p = line;
  for (;;) {
    char *out, *start;
    while (*p == ' ' || *p == '\t') p++;
    start = out = p;
    if (*p == '"') {
      p++;
      for (;;) {
        if (*p == '\0') break;
        if (*p == '"') {
          if (p[1] == '"') {
            *out++ = '"';
            p += 2;
            continue;
          }
          p++;
          break;
        }
        *out++ = *p++;
      }
      while (*p != '\0' && *p != delim) p++;
    } else {
      while (*p != '\0' && *p != delim) p++;
      out = p;
      while (out > start && (out[-1] == ' ' || out[-1] == '\t')) out--;
    }
    if (n < max) cells[n] = start;
    n++;
    if (*p == '\0') {
      *out = '\0';
      break;
    }
    *out = '\0';
    p++;
  }
  return n;
}

static int parse_number(const char *cell, double *out) {
  char *end;
  if (*cell == '\0') return 0;
  errno = 0;
  *out = strtod(cell, &end);
  return *end == '\0';
}

static int is_blank(const char *s) {
  for (; *s; s++)
    if (*s != ' ' && *s != '\t') return 0;
  return 1;
}

#define MAX_CELLS 4096

/* Options of series_load, all read and checked before the file is opened. */
typedef struct load_opts {
  char delim;
  int header;          /* -1 auto, 0 no, 1 yes */
  const char *colname; /* kept alive by the options table */
  lua_Integer colidx;
  lua_Integer offset, count;
} load_opts;

static void read_load_opts(lua_State *L, int optarg, load_opts *o) {
  const char *delim_s = leng_opt_string(L, optarg, "delimiter", ",");
  o->header = -1;
  o->colname = NULL;
  o->colidx = 1;
  if (strlen(delim_s) != 1 || delim_s[0] == '"')
    luaL_argerror(L, optarg, "field 'delimiter' must be a one-character string (not a quote)");
  o->delim = delim_s[0];
  if (!lua_isnoneornil(L, optarg)) {
    int t = lua_getfield(L, optarg, "header");
    if (t == LUA_TBOOLEAN) o->header = lua_toboolean(L, -1);
    else if (t != LUA_TNIL) luaL_argerror(L, optarg, "field 'header' must be a boolean");
    lua_pop(L, 1);
    t = lua_getfield(L, optarg, "column");
    if (t == LUA_TSTRING) {
      o->colname = lua_tostring(L, -1);
    } else if (t != LUA_TNIL) {
      int isint;
      o->colidx = lua_tointegerx(L, -1, &isint);
      if (t != LUA_TNUMBER || !isint || o->colidx < 1 || o->colidx > MAX_CELLS)
        luaL_argerror(L, optarg, "field 'column' must be a column name or a 1-based column index");
    }
    lua_pop(L, 1);
    if (o->colname != NULL && o->header == 0)
      luaL_argerror(L, optarg, "field 'column' names a column but 'header' is false");
  }
  o->offset = leng_opt_integer_range(L, optarg, "offset", 0, 0, LUA_MAXINTEGER);
  o->count = leng_opt_integer_range(L, optarg, "count", -1, -1, LUA_MAXINTEGER);
}

static int load_csv(lua_State *L, const char *path, loader *ld, const load_opts *o) {
  int header_opt = o->header;
  const char *colname = o->colname;
  lua_Integer colidx = o->colidx;
  char **cells;
  size_t ncols = 0, col, lineno = 0, cellcap = MAX_CELLS;
  int first = 1;
  long len;
  char delim = o->delim;
  cells = (char **)lua_newuserdatauv(L, cellcap * sizeof *cells, 0);
  col = (size_t)colidx - 1;
  while ((len = read_line(ld)) >= 0) {
    size_t n;
    double x;
    lineno++;
    if (len == 0 || is_blank(ld->line)) continue;
    if (lineno == 1 && (unsigned char)ld->line[0] == 0xEF && (unsigned char)ld->line[1] == 0xBB &&
        (unsigned char)ld->line[2] == 0xBF)
      memmove(ld->line, ld->line + 3, (size_t)len - 2); /* UTF-8 byte order mark */
    n = split_cells(ld->line, delim, cells, cellcap);
    if (n > cellcap) {
      lua_pushfstring(L, "%s:%I: more than %d columns", path, (LUAI_UACINT)lineno, MAX_CELLS);
      return leng_push_error(L, ENG_EPARSE, lua_tostring(L, -1));
    }
    if (first) {
      int header = header_opt;
      size_t k;
      first = 0;
      ncols = n;
      if (header < 0) { /* a header is a first row with a cell that is not a number */
        header = 0;
        for (k = 0; k < n; k++)
          if (!parse_number(cells[k], &x)) header = 1;
      }
      if (colname != NULL) {
        if (!header) {
          lua_pushfstring(L, "%s: no header row to find column '%s' in", path, colname);
          return leng_push_error(L, ENG_EINVAL, lua_tostring(L, -1));
        }
        for (k = 0; k < n; k++)
          if (strcmp(cells[k], colname) == 0) break;
        if (k == n) {
          lua_pushfstring(L, "%s:%I: no column named '%s' in the header", path, (LUAI_UACINT)lineno, colname);
          return leng_push_error(L, ENG_EINVAL, lua_tostring(L, -1));
        }
        col = k;
      }
      if (col >= ncols) {
        lua_pushfstring(L, "%s:%I: column %I out of range (the file has %I columns)", path, (LUAI_UACINT)lineno,
                        (LUAI_UACINT)(col + 1), (LUAI_UACINT)ncols);
        return leng_push_error(L, ENG_EINVAL, lua_tostring(L, -1));
      }
      if (header) continue;
    }
    if (n != ncols) {
      lua_pushfstring(L, "%s:%I: ragged row: %I columns, expected %I", path, (LUAI_UACINT)lineno, (LUAI_UACINT)n,
                      (LUAI_UACINT)ncols);
      return leng_push_error(L, ENG_EPARSE, lua_tostring(L, -1));
    }
    if (!parse_number(cells[col], &x)) {
      lua_pushfstring(L, "%s:%I: column %I: bad number '%s'", path, (LUAI_UACINT)lineno, (LUAI_UACINT)(col + 1),
                      cells[col]);
      return leng_push_error(L, ENG_EPARSE, lua_tostring(L, -1));
    }
    if (append(ld, x) < 0) return leng_push_error(L, ENG_ENOMEM, NULL);
  }
  if (ferror(ld->fp)) {
    lua_pushfstring(L, "%s: read error: %s", path, strerror(errno));
    return leng_push_error(L, ENG_EIO, lua_tostring(L, -1));
  }
  return push_vals(L, ld);
}

static int load_binary(lua_State *L, const char *path, loader *ld, const load_opts *o, int f32) {
  lua_Integer offset = o->offset;
  lua_Integer count = o->count;
  size_t esize = f32 ? 4 : 8, avail, want, i;
  long end;
  unsigned char buf[8];
  if (fseek(ld->fp, 0, SEEK_END) != 0 || (end = ftell(ld->fp)) < 0) {
    lua_pushfstring(L, "%s: cannot seek: %s", path, strerror(errno));
    return leng_push_error(L, ENG_EIO, lua_tostring(L, -1));
  }
  if (offset > end) {
    lua_pushfstring(L, "%s: offset %I is past the end of the file (%I bytes)", path, (LUAI_UACINT)offset,
                    (LUAI_UACINT)end);
    return leng_push_error(L, ENG_ESHORT, lua_tostring(L, -1));
  }
  avail = (size_t)(end - offset) / esize;
  if (count < 0) {
    if ((size_t)(end - offset) % esize != 0) {
      lua_pushfstring(L, "%s: %I bytes after offset %I is not a whole number of %d-byte values", path,
                      (LUAI_UACINT)(end - offset), (LUAI_UACINT)offset, (int)esize);
      return leng_push_error(L, ENG_EPARSE, lua_tostring(L, -1));
    }
    want = avail;
  } else {
    if ((size_t)count > avail) {
      lua_pushfstring(L, "%s: asked for %I values at offset %I, the file holds %I", path, (LUAI_UACINT)count,
                      (LUAI_UACINT)offset, (LUAI_UACINT)avail);
      return leng_push_error(L, ENG_ESHORT, lua_tostring(L, -1));
    }
    want = (size_t)count;
  }
  if (fseek(ld->fp, (long)offset, SEEK_SET) != 0) {
    lua_pushfstring(L, "%s: cannot seek: %s", path, strerror(errno));
    return leng_push_error(L, ENG_EIO, lua_tostring(L, -1));
  }
  if (want > 0) {
    ld->vals = malloc(want * sizeof(double));
    if (ld->vals == NULL) return leng_push_error(L, ENG_ENOMEM, NULL);
    ld->cap = want;
  }
  for (i = 0; i < want; i++) {
    if (fread(buf, esize, 1, ld->fp) != 1) {
      lua_pushfstring(L, "%s: read error at value %I", path, (LUAI_UACINT)(i + 1));
      return leng_push_error(L, ENG_EIO, lua_tostring(L, -1));
    }
    /* Little-endian on disk, whatever the host. */
    if (f32) {
      uint32_t u = (uint32_t)buf[0] | (uint32_t)buf[1] << 8 | (uint32_t)buf[2] << 16 | (uint32_t)buf[3] << 24;
      float f;
      memcpy(&f, &u, sizeof f);
      ld->vals[i] = f;
    } else {
      uint64_t u = 0;
      double d;
      int k;
      for (k = 7; k >= 0; k--) u = u << 8 | buf[k];
      memcpy(&d, &u, sizeof d);
      ld->vals[i] = d;
    }
  }
  ld->n = want;
  return push_vals(L, ld);
}

static const char *const formats[] = {"csv", "f64", "f32", NULL};

static int ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* engine.series_load(path [, opts]) -> series | nil, message, code */
static int series_load(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  int fmt, deffmt = 0, n;
  loader *ld;
  load_opts lo;
  if (!lua_isnoneornil(L, 2)) luaL_checktype(L, 2, LUA_TTABLE);
  if (ends_with(path, ".f32")) deffmt = 2;
  else if (ends_with(path, ".f64") || ends_with(path, ".bin")) deffmt = 1;
  fmt = leng_opt_enum(L, 2, "format", formats, deffmt);
  read_load_opts(L, 2, &lo);
  lua_settop(L, 2);
  ld = (loader *)lua_newuserdatauv(L, sizeof *ld, 0);
  memset(ld, 0, sizeof *ld);
  lua_createtable(L, 0, 2);
  lua_pushcfunction(L, loader_close);
  lua_setfield(L, -2, "__close");
  lua_pushcfunction(L, loader_close);
  lua_setfield(L, -2, "__gc");
  lua_setmetatable(L, -2);
  lua_toclose(L, 3);
  ld->fp = fopen(path, fmt == 0 ? "r" : "rb");
  if (ld->fp == NULL) {
    int err = errno;
    lua_pushfstring(L, "%s: %s", path, strerror(err));
    n = leng_push_error(L, err == ENOENT ? ENG_ENOENT : ENG_EIO, lua_tostring(L, -1));
  } else if (fmt == 0) {
    n = load_csv(L, path, ld, &lo);
  } else {
    n = load_binary(L, path, ld, &lo, fmt == 2);
  }
  return n; /* returning closes the loader (slot 3), freeing what it still owns */
}

void leng_open_series(lua_State *L) {
  static const luaL_Reg methods[] = {{"slice", series_slice}, {"totable", series_totable}, {"sum", series_sum},
                                     {"mean", series_mean},   {"min", series_min},         {"max", series_max},
                                     {NULL, NULL}};
  if (luaL_newmetatable(L, LENG_SERIES)) {
    luaL_newlib(L, methods);
    lua_setfield(L, -2, "methods");
    lua_pushcfunction(L, series_index);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, series_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushcfunction(L, series_len);
    lua_setfield(L, -2, "__len");
    lua_pushcfunction(L, series_gc);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, series_tostring);
    lua_setfield(L, -2, "__tostring");
  }
  lua_pop(L, 1);
  lua_pushcfunction(L, series_new);
  lua_setfield(L, -2, "series");
  lua_pushcfunction(L, series_load);
  lua_setfield(L, -2, "series_load");
}
