/* lsequence.c: Lua bindings for the sequence kernels: edit, lcs, sax and the result cache. */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/sequence.h"
#include "laux.h"

/* ------------------------------------------------------------ the cache */

/* The state's cache is shared with jobs running on workers, so it is
 * reference-counted: the registry holds one reference and every job that uses it
 * another; disabling it or closing the state only drops the registry's. */
typedef struct cache_ref {
  eng_seq_cache *c;
  atomic_int refs;
} cache_ref;

static const char cache_key = 'C'; /* registry: userdata holding a cache_ref * */

static void cache_unref(cache_ref *r)
{
  /* acq_rel: the last owner must see every other owner's writes before freeing. */
  if (r && atomic_fetch_sub_explicit(&r->refs, 1, memory_order_acq_rel) == 1) {
    eng_seq_cache_destroy(r->c);
    free(r);
  }
}

static int cachebox_gc(lua_State *L)
{
  cache_ref **p = lua_touserdata(L, 1);
  if (p && *p) {
    cache_unref(*p);
    *p = NULL;
  }
  return 0;
}

/* The state's cache with a new reference for the caller, or NULL when off. */
static cache_ref *cache_get(lua_State *L)
{
  cache_ref *r = NULL;
  lua_rawgetp(L, LUA_REGISTRYINDEX, &cache_key);
  cache_ref **p = lua_touserdata(L, -1);
  if (p && *p) {
    r = *p;
    atomic_fetch_add_explicit(&r->refs, 1, memory_order_relaxed);
  }
  lua_pop(L, 1);
  return r;
}

static void cache_set(lua_State *L, cache_ref *r)
{
  lua_rawgetp(L, LUA_REGISTRYINDEX, &cache_key);
  cache_ref **p = lua_touserdata(L, -1);
  lua_pop(L, 1);
  if (p) {
    cache_unref(*p);
    *p = r;
    return;
  }
  p = lua_newuserdatauv(L, sizeof *p, 0);
  *p = r;
  lua_createtable(L, 0, 1);
  lua_pushcfunction(L, cachebox_gc);
  lua_setfield(L, -2, "__gc");
  lua_setmetatable(L, -2);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &cache_key);
}

/* 1 when the options table at arg exists and has a non-nil field. */
static int has_field(lua_State *L, int arg, const char *field)
{
  if (!lua_istable(L, arg))
    return 0;
  int t = lua_getfield(L, arg, field);
  lua_pop(L, 1);
  return t != LUA_TNIL;
}

#define CACHE_DEF_ENTRIES 4096
#define CACHE_DEF_BYTES (64 * 1024 * 1024)

static void set_int(lua_State *L, const char *k, lua_Integer v)
{
  lua_pushinteger(L, v);
  lua_setfield(L, -2, k);
}

/* engine.cache([opts]) -> stats table. opts: enable, max_entries, max_bytes, clear. */
static int l_cache(lua_State *L)
{
  if (!lua_isnoneornil(L, 1))
    luaL_checktype(L, 1, LUA_TTABLE);
  int has_enable = has_field(L, 1, "enable");
  int enable = leng_opt_boolean(L, 1, "enable", 0);
  lua_Integer me = leng_opt_integer(L, 1, "max_entries", 0);
  lua_Integer mb = leng_opt_integer(L, 1, "max_bytes", 0);
  if ((has_field(L, 1, "max_entries") && me < 1) || (has_field(L, 1, "max_bytes") && mb < 1))
    luaL_argerror(L, 1, has_field(L, 1, "max_entries") && me < 1
                            ? "field 'max_entries' must be a positive integer"
                            : "field 'max_bytes' must be a positive integer");
  int clear = leng_opt_boolean(L, 1, "clear", 0);
  cache_ref *cur = cache_get(L);
  if (has_enable && !enable) {
    cache_set(L, NULL);
  } else if ((has_enable && enable && !cur) || (cur && (me || mb))) {
    eng_seq_cache_stats st;
    eng_seq_cache_stats_get(cur ? cur->c : NULL, &st);
    size_t ne = me ? (size_t)me : cur ? st.max_entries : CACHE_DEF_ENTRIES;
    size_t nb = mb ? (size_t)mb : cur ? st.max_bytes : CACHE_DEF_BYTES;
    cache_ref *r = malloc(sizeof *r);
    if (!r) {
      cache_unref(cur);
      return leng_push_error(L, ENG_ENOMEM, NULL);
    }
    int rc = eng_seq_cache_create(&r->c, ne, nb);
    if (rc < 0) {
      free(r);
      cache_unref(cur);
      return leng_push_error(L, rc, NULL);
    }
    atomic_init(&r->refs, 1);
    cache_set(L, r);
  }
  cache_unref(cur);
  cur = cache_get(L);
  if (cur && clear)
    eng_seq_cache_clear(cur->c);
  eng_seq_cache_stats st;
  eng_seq_cache_stats_get(cur ? cur->c : NULL, &st);
  lua_createtable(L, 0, 9);
  lua_pushboolean(L, cur != NULL);
  lua_setfield(L, -2, "enabled");
  set_int(L, "hits", (lua_Integer)st.hits);
  set_int(L, "misses", (lua_Integer)st.misses);
  set_int(L, "evictions", (lua_Integer)st.evictions);
  set_int(L, "inserts", (lua_Integer)st.inserts);
  set_int(L, "entries", (lua_Integer)st.entries);
  set_int(L, "bytes", (lua_Integer)st.bytes);
  set_int(L, "max_entries", (lua_Integer)st.max_entries);
  set_int(L, "max_bytes", (lua_Integer)st.max_bytes);
  cache_unref(cur);
  return 1;
}

/* ------------------------------------------------------------ arguments */

/* A sequence argument: a string (bytes) or a table of integers in [0, 2^32). */
typedef struct seq_arg {
  int is_table;
  const char *s;
  size_t n;
} seq_arg;

static void check_seq(lua_State *L, int arg, seq_arg *sa)
{
  if (lua_type(L, arg) == LUA_TSTRING) {
    sa->is_table = 0;
    sa->s = lua_tolstring(L, arg, &sa->n);
    return;
  }
  if (lua_type(L, arg) != LUA_TTABLE) {
    luaL_typeerror(L, arg, "string or table of integers");
    return;
  }
  sa->is_table = 1;
  sa->s = NULL;
  sa->n = (size_t)lua_rawlen(L, arg);
  for (size_t i = 1; i <= sa->n; i++) {
    int isint;
    lua_rawgeti(L, arg, (lua_Integer)i);
    lua_Integer v = lua_tointegerx(L, -1, &isint);
    lua_pop(L, 1);
    if (!isint || v < 0 || v > (lua_Integer)UINT32_MAX) {
      lua_pushfstring(L, "integer in [0, 2^32) expected at index %I", (LUAI_UACINT)i);
      luaL_argerror(L, arg, lua_tostring(L, -1));
    }
  }
}

/* Copies a checked argument into malloc'd memory (NULL only when out of memory;
 * an empty sequence gets a 1-byte block). */
static void *copy_seq(lua_State *L, int arg, const seq_arg *sa)
{
  if (!sa->is_table) {
    void *p = malloc(sa->n ? sa->n : 1);
    if (p && sa->n)
      memcpy(p, sa->s, sa->n);
    return p;
  }
  uint32_t *p = malloc(sa->n ? sa->n * sizeof *p : 1);
  if (!p)
    return NULL;
  for (size_t i = 0; i < sa->n; i++) {
    lua_rawgeti(L, arg, (lua_Integer)i + 1);
    p[i] = (uint32_t)lua_tointeger(L, -1);
    lua_pop(L, 1);
  }
  return p;
}

/* ------------------------------------------------------------ jobs */

enum { OP_EDIT, OP_LCS, OP_SAX };

typedef struct seq_job {
  leng_job base;
  int op;
  eng_symbols a, b;
  void *abuf, *bbuf;
  size_t max;
  int align, damerau, want_seq;
  cache_ref *cache;
  /* results */
  size_t value;
  char *ops;
  size_t nops;
  size_t *ia;
  /* sax */
  double *x;
  size_t n;
  eng_sax_opts so;
  unsigned char *word;
} seq_job;

static void seq_destroy(leng_job *j)
{
  seq_job *s = (seq_job *)j;
  free(s->abuf);
  free(s->bbuf);
  free(s->ops);
  free(s->ia);
  free(s->x);
  free(s->word);
  cache_unref(s->cache);
  free(s);
}

static int seq_run(leng_job *j)
{
  seq_job *s = (seq_job *)j;
  eng_seq_cache *c = s->cache ? s->cache->c : NULL;
  switch (s->op) {
  case OP_EDIT:
    if (s->align) {
      s->ops = malloc(s->a.n + s->b.n + 1);
      if (!s->ops)
        return ENG_ENOMEM;
      int rc = eng_edit_align(&s->a, &s->b, NULL, s->ops, &s->nops, &s->value);
      if (rc)
        return rc;
      if (s->value > s->max) {
        snprintf(s->base.errmsg, sizeof s->base.errmsg,
                 "edit distance %zu exceeds max %zu", s->value, s->max);
        return ENG_ECUTOFF;
      }
      return 0;
    }
    if (s->damerau)
      return eng_osa_cached(c, &s->a, &s->b, s->max, NULL, &s->value);
    return eng_edit_distance_cached(c, &s->a, &s->b, s->max, NULL, &s->value);
  case OP_LCS:
    if (s->want_seq) {
      size_t k = s->a.n < s->b.n ? s->a.n : s->b.n;
      s->ia = malloc((k ? k : 1) * sizeof *s->ia);
      if (!s->ia)
        return ENG_ENOMEM;
      return eng_lcs_sequence(&s->a, &s->b, NULL, s->ia, NULL, &s->value);
    }
    return eng_lcs_cached(c, &s->a, &s->b, NULL, &s->value);
  default:
    s->word = malloc(s->so.segments);
    if (!s->word)
      return ENG_ENOMEM;
    return eng_sax(s->x, s->n, &s->so, NULL, s->word);
  }
}

static int seq_push(lua_State *L, leng_job *j)
{
  seq_job *s = (seq_job *)j;
  if (s->op == OP_SAX) {
    luaL_Buffer b;
    unsigned char base = s->so.alphabet <= 26 ? 'a' : 0;
    luaL_buffinit(L, &b);
    for (size_t i = 0; i < s->so.segments; i++)
      luaL_addchar(&b, (char)(base + s->word[i]));
    luaL_pushresult(&b);
    return 1;
  }
  lua_pushinteger(L, (lua_Integer)s->value);
  if (s->op == OP_EDIT && s->align) {
    lua_pushlstring(L, s->ops, s->nops);
    /* Each run needs at most its digits and one op letter. */
    size_t cap = 2 * s->nops + 22, len = 0;
    char *buf = lua_newuserdatauv(L, cap, 0);
    eng_edit_cigar(s->ops, s->nops, buf, cap, &len);
    lua_pushlstring(L, buf, len);
    lua_remove(L, -2);
    return 3;
  }
  if (s->op == OP_LCS && s->want_seq) {
    if (s->a.type == ENG_SYM_U8) {
      luaL_Buffer b;
      luaL_buffinit(L, &b);
      for (size_t t = 0; t < s->value; t++)
        luaL_addchar(&b, (char)((const unsigned char *)s->a.data)[s->ia[t]]);
      luaL_pushresult(&b);
    } else {
      lua_createtable(L, (int)(s->value < INT32_MAX ? s->value : 0), 0);
      for (size_t t = 0; t < s->value; t++) {
        lua_pushinteger(L, ((const uint32_t *)s->a.data)[s->ia[t]]);
        lua_rawseti(L, -2, (lua_Integer)t + 1);
      }
    }
    return 2;
  }
  return 1;
}

static seq_job *new_job(lua_State *L, int op)
{
  seq_job *s = calloc(1, sizeof *s);
  if (!s)
    luaL_error(L, "not enough memory");
  s->base.run = seq_run;
  s->base.push = seq_push;
  s->base.destroy = seq_destroy;
  s->op = op;
  s->max = ENG_SEQ_NO_MAX;
  return s;
}

/* Reads a, b (args 1, 2) and copies them into a new job; every check happens
 * before the first allocation. */
static seq_job *pair_job(lua_State *L, int op, const seq_arg *a, const seq_arg *b)
{
  seq_job *s = new_job(L, op);
  s->abuf = copy_seq(L, 1, a);
  s->bbuf = copy_seq(L, 2, b);
  if (!s->abuf || !s->bbuf) {
    seq_destroy(&s->base);
    luaL_error(L, "not enough memory");
  }
  eng_sym_type t = a->is_table ? ENG_SYM_U32 : ENG_SYM_U8;
  s->a = (eng_symbols){s->abuf, a->n, t};
  s->b = (eng_symbols){s->bbuf, b->n, t};
  return s;
}

static void check_pair(lua_State *L, seq_arg *a, seq_arg *b)
{
  check_seq(L, 1, a);
  check_seq(L, 2, b);
  if (a->is_table != b->is_table)
    luaL_argerror(L, 2, a->is_table ? "table of integers expected (a is a table)"
                                    : "string expected (a is a string)");
  if (!lua_isnoneornil(L, 3))
    luaL_checktype(L, 3, LUA_TTABLE);
}

static int edit_common(lua_State *L, int async)
{
  seq_arg a, b;
  check_pair(L, &a, &b);
  lua_Integer max = leng_opt_integer(L, 3, "max", -1);
  if (has_field(L, 3, "max") && max < 0)
    luaL_argerror(L, 3, "field 'max' must be a non-negative integer");
  int align = leng_opt_boolean(L, 3, "alignment", 0);
  int dam = leng_opt_boolean(L, 3, "damerau", 0);
  eng_priority prio = leng_opt_priority(L, 3);
  if (align && dam)
    luaL_argerror(L, 3, "alignment is not available with damerau");
  seq_job *s = pair_job(L, OP_EDIT, &a, &b);
  s->max = max < 0 ? ENG_SEQ_NO_MAX : (size_t)max;
  s->align = align;
  s->damerau = dam;
  s->base.priority = prio;
  if (!align)
    s->cache = cache_get(L);
  return async ? leng_job_async(L, &s->base) : leng_job_call(L, &s->base);
}

static int lcs_common(lua_State *L, int async)
{
  seq_arg a, b;
  check_pair(L, &a, &b);
  int want = leng_opt_boolean(L, 3, "sequence", 0);
  eng_priority prio = leng_opt_priority(L, 3);
  seq_job *s = pair_job(L, OP_LCS, &a, &b);
  s->want_seq = want;
  s->base.priority = prio;
  if (!want)
    s->cache = cache_get(L);
  return async ? leng_job_async(L, &s->base) : leng_job_call(L, &s->base);
}

static const char *const sax_methods[] = {"gaussian", "quantile", NULL};

static int sax_common(lua_State *L, int async)
{
  leng_series_view v;
  if (!lua_isnoneornil(L, 2))
    luaL_checktype(L, 2, LUA_TTABLE);
  eng_sax_opts so;
  eng_sax_opts_init(&so);
  lua_Integer al = leng_opt_integer_range(L, 2, "alphabet", 4, 2, ENG_SAX_MAX_ALPHABET);
  lua_Integer seg = leng_opt_integer_range(L, 2, "segments", 0, 0, LUA_MAXINTEGER);
  int method = leng_opt_enum(L, 2, "method", sax_methods, 0);
  int znorm = leng_opt_boolean(L, 2, "znorm", 1);
  eng_priority prio = leng_opt_priority(L, 2);
  leng_check_series(L, 1, &v); /* last: it may own memory */
  if (v.n == 0 || (size_t)seg > v.n) {
    int empty = v.n == 0;
    leng_series_view_free(&v);
    return luaL_argerror(L, empty ? 1 : 2,
                         empty ? "empty series" : "field 'segments' exceeds the series length");
  }
  so.alphabet = (unsigned)al;
  so.segments = seg ? (size_t)seg : v.n;
  so.method = method ? ENG_SAX_QUANTILE : ENG_SAX_GAUSSIAN;
  so.znorm = znorm;
  seq_job *s = calloc(1, sizeof *s);
  double *x = malloc(v.n * sizeof *x);
  if (!s || !x) {
    free(s);
    free(x);
    leng_series_view_free(&v);
    return luaL_error(L, "not enough memory");
  }
  memcpy(x, v.data, v.n * sizeof *x);
  s->base.run = seq_run;
  s->base.push = seq_push;
  s->base.destroy = seq_destroy;
  s->base.priority = prio;
  s->op = OP_SAX;
  s->x = x;
  s->n = v.n;
  s->so = so;
  leng_series_view_free(&v);
  return async ? leng_job_async(L, &s->base) : leng_job_call(L, &s->base);
}

static int l_edit(lua_State *L) { return edit_common(L, 0); }
static int l_edit_async(lua_State *L) { return edit_common(L, 1); }
static int l_lcs(lua_State *L) { return lcs_common(L, 0); }
static int l_lcs_async(lua_State *L) { return lcs_common(L, 1); }
static int l_sax(lua_State *L) { return sax_common(L, 0); }
static int l_sax_async(lua_State *L) { return sax_common(L, 1); }

void leng_open_sequence(lua_State *L)
{
  static const luaL_Reg fns[] = {
    {"edit", l_edit},   {"edit_async", l_edit_async}, {"lcs", l_lcs},
    {"lcs_async", l_lcs_async}, {"sax", l_sax}, {"sax_async", l_sax_async},
    {"cache", l_cache}, {NULL, NULL}};
  luaL_setfuncs(L, fns, 0);
}
