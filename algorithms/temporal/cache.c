/* cache.c: bounded LRU result cache for sequence kernels, keyed by XXH3-128 and verified against stored inputs. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "seq_internal.h"

typedef struct centry centry;
struct centry {
  centry *prev, *next; /* LRU list: head is the most recently used */
  centry *hnext;       /* bucket chain */
  XXH128_hash_t key;
  uint64_t param;
  uint32_t algo;
  uint8_t ta, tb;
  size_t na, nb;     /* symbol counts */
  size_t abytes, bbytes;
  size_t bytes;      /* accounted size of this entry */
  int64_t result;
  unsigned char data[]; /* a's bytes then b's bytes */
};

struct eng_seq_cache {
  pthread_mutex_t mu; /* serialises every call: lookups are short next to the kernels */
  centry **buckets;
  size_t nbuckets; /* power of two */
  centry *head, *tail;
  size_t entries, bytes, max_entries, max_bytes;
  uint64_t hits, misses, evictions, inserts;
};

static size_t sym_bytes(const eng_symbols *s)
{
  return s->n * (s->type == ENG_SYM_U8 ? 1 : 4);
}

/* Key = XXH3-128 over (algo, param, types, lengths, XXH3-128(a), XXH3-128(b)). */
static XXH128_hash_t make_key(uint32_t algo, uint64_t param, const eng_symbols *a,
                              const eng_symbols *b)
{
  XXH128_hash_t ha = XXH3_128bits(a->n ? a->data : "", sym_bytes(a));
  XXH128_hash_t hb = XXH3_128bits(b->n ? b->data : "", sym_bytes(b));
  uint64_t meta[8] = {algo, param, ((uint64_t)a->type << 8) | (uint64_t)b->type,
                      (uint64_t)a->n, (uint64_t)b->n, ha.low64 ^ (ha.high64 << 1),
                      hb.low64, hb.high64 ^ ha.high64};
  return XXH3_128bits(meta, sizeof meta);
}

static int same(const centry *e, XXH128_hash_t key, uint32_t algo, uint64_t param,
                const eng_symbols *a, const eng_symbols *b)
{
  return XXH128_isEqual(e->key, key) && e->algo == algo && e->param == param &&
         e->ta == a->type && e->tb == b->type && e->na == a->n && e->nb == b->n &&
         (e->abytes == 0 || memcmp(e->data, a->data, e->abytes) == 0) &&
         (e->bbytes == 0 || memcmp(e->data + e->abytes, b->data, e->bbytes) == 0);
}

ENG_EXTERN int eng_seq_cache_create(eng_seq_cache **cp, size_t max_entries, size_t max_bytes)
{
  if (!cp || !max_entries || !max_bytes)
    return ENG_EINVAL;
  *cp = NULL;
  eng_seq_cache *c = calloc(1, sizeof *c);
  if (!c)
    return ENG_ENOMEM;
  size_t nb = 16;
  while (nb < max_entries && nb < ((size_t)1 << 20))
    nb *= 2;
  c->buckets = calloc(nb, sizeof *c->buckets);
  if (!c->buckets || pthread_mutex_init(&c->mu, NULL) != 0) {
    free(c->buckets);
    free(c);
    return ENG_ENOMEM;
  }
  c->nbuckets = nb;
  c->max_entries = max_entries;
  c->max_bytes = max_bytes;
  *cp = c;
  return 0;
}

static void lru_unlink(eng_seq_cache *c, centry *e)
{
  if (e->prev)
    e->prev->next = e->next;
  else
    c->head = e->next;
  if (e->next)
    e->next->prev = e->prev;
  else
    c->tail = e->prev;
  e->prev = e->next = NULL;
}

static void lru_front(eng_seq_cache *c, centry *e)
{
  e->prev = NULL;
  e->next = c->head;
  if (c->head)
    c->head->prev = e;
  c->head = e;
  if (!c->tail)
    c->tail = e;
}

static centry **slot_of(eng_seq_cache *c, XXH128_hash_t key)
{
  return &c->buckets[key.low64 & (c->nbuckets - 1)];
}

static void remove_entry(eng_seq_cache *c, centry *e)
{
  centry **pp = slot_of(c, e->key);
  while (*pp != e)
    pp = &(*pp)->hnext;
  *pp = e->hnext;
  lru_unlink(c, e);
  c->entries--;
  c->bytes -= e->bytes;
  free(e);
}

static void clear_all(eng_seq_cache *c)
{
  centry *e = c->head;
  while (e) {
    centry *nx = e->next;
    free(e);
    e = nx;
  }
  memset(c->buckets, 0, c->nbuckets * sizeof *c->buckets);
  c->head = c->tail = NULL;
  c->entries = c->bytes = 0;
}

ENG_EXTERN void eng_seq_cache_destroy(eng_seq_cache *c)
{
  if (!c)
    return;
  clear_all(c);
  pthread_mutex_destroy(&c->mu);
  free(c->buckets);
  free(c);
}

ENG_EXTERN int eng_seq_cache_get(eng_seq_cache *c, uint32_t algo, uint64_t param,
                                 const eng_symbols *a, const eng_symbols *b, int64_t *result)
{
  if (!c || !result || eng__seq_check(a) || eng__seq_check(b))
    return ENG_EINVAL;
  XXH128_hash_t key = make_key(algo, param, a, b);
  pthread_mutex_lock(&c->mu);
  centry *e = *slot_of(c, key);
  while (e && !same(e, key, algo, param, a, b))
    e = e->hnext;
  int rc;
  if (e) {
    *result = e->result;
    lru_unlink(c, e);
    lru_front(c, e);
    c->hits++;
    rc = 0;
  } else {
    c->misses++;
    rc = ENG_ENOENT;
  }
  pthread_mutex_unlock(&c->mu);
  return rc;
}

ENG_EXTERN int eng_seq_cache_put(eng_seq_cache *c, uint32_t algo, uint64_t param,
                                 const eng_symbols *a, const eng_symbols *b, int64_t result)
{
  if (!c || eng__seq_check(a) || eng__seq_check(b))
    return ENG_EINVAL;
  size_t ab = sym_bytes(a), bb = sym_bytes(b);
  size_t bytes = sizeof(centry) + ab + bb;
  if (ab + bb < ab || bytes > c->max_bytes)
    return ENG_ERANGE;
  XXH128_hash_t key = make_key(algo, param, a, b);
  /* Copy outside the lock; discarded if an equal entry is already present. */
  centry *n = malloc(bytes);
  if (!n)
    return ENG_ENOMEM;
  memset(n, 0, sizeof *n);
  n->key = key;
  n->param = param;
  n->algo = algo;
  n->ta = (uint8_t)a->type;
  n->tb = (uint8_t)b->type;
  n->na = a->n;
  n->nb = b->n;
  n->abytes = ab;
  n->bbytes = bb;
  n->bytes = bytes;
  n->result = result;
  if (ab)
    memcpy(n->data, a->data, ab);
  if (bb)
    memcpy(n->data + ab, b->data, bb);
  pthread_mutex_lock(&c->mu);
  centry **slot = slot_of(c, key), *e = *slot;
  while (e && !same(e, key, algo, param, a, b))
    e = e->hnext;
  if (e) {
    e->result = result;
    lru_unlink(c, e);
    lru_front(c, e);
    pthread_mutex_unlock(&c->mu);
    free(n);
    return 0;
  }
  while (c->tail && (c->entries + 1 > c->max_entries || c->bytes + bytes > c->max_bytes)) {
    remove_entry(c, c->tail);
    c->evictions++;
  }
  n->hnext = *slot;
  *slot = n;
  lru_front(c, n);
  c->entries++;
  c->bytes += bytes;
  c->inserts++;
  pthread_mutex_unlock(&c->mu);
  return 0;
}

ENG_EXTERN void eng_seq_cache_stats_get(eng_seq_cache *c, eng_seq_cache_stats *st)
{
  if (!st)
    return;
  memset(st, 0, sizeof *st);
  if (!c)
    return;
  pthread_mutex_lock(&c->mu);
  st->hits = c->hits;
  st->misses = c->misses;
  st->evictions = c->evictions;
  st->inserts = c->inserts;
  st->entries = c->entries;
  st->bytes = c->bytes;
  st->max_entries = c->max_entries;
  st->max_bytes = c->max_bytes;
  pthread_mutex_unlock(&c->mu);
}

ENG_EXTERN void eng_seq_cache_clear(eng_seq_cache *c)
{
  if (!c)
    return;
  pthread_mutex_lock(&c->mu);
  clear_all(c);
  pthread_mutex_unlock(&c->mu);
}

/* Serves a stored exact distance under a threshold max. */
static int from_stored(int64_t r, size_t max, size_t *dist)
{
  size_t d = (size_t)r;
  *dist = d > max ? max + 1 : d;
  return d > max ? ENG_ECUTOFF : 0;
}

/* The *_cached calls: get, else run the kernel outside the lock and put. */
ENG_EXTERN int eng_edit_distance_cached(eng_seq_cache *c, const eng_symbols *a,
                                        const eng_symbols *b, size_t max, eng_seq_ws *ws,
                                        size_t *dist)
{
  if (!dist || eng__seq_check(a) || eng__seq_check(b))
    return ENG_EINVAL;
  int64_t r;
  /* The stored value is the exact distance, so one entry serves every threshold. */
  if (c && eng_seq_cache_get(c, ENG_CACHE_EDIT, 0, a, b, &r) == 0) {
    return from_stored(r, max, dist);
  }
  int rc = eng_edit_distance(a, b, max, ws, dist);
  if (c && rc == 0)
    eng_seq_cache_put(c, ENG_CACHE_EDIT, 0, a, b, (int64_t)*dist);
  return rc;
}

ENG_EXTERN int eng_osa_cached(eng_seq_cache *c, const eng_symbols *a, const eng_symbols *b,
                              size_t max, eng_seq_ws *ws, size_t *dist)
{
  if (!dist || eng__seq_check(a) || eng__seq_check(b))
    return ENG_EINVAL;
  int64_t r;
  if (c && eng_seq_cache_get(c, ENG_CACHE_OSA, 0, a, b, &r) == 0) {
    return from_stored(r, max, dist);
  }
  int rc = eng_osa(a, b, max, ws, dist);
  if (c && rc == 0)
    eng_seq_cache_put(c, ENG_CACHE_OSA, 0, a, b, (int64_t)*dist);
  return rc;
}

ENG_EXTERN int eng_lcs_cached(eng_seq_cache *c, const eng_symbols *a, const eng_symbols *b,
                              eng_seq_ws *ws, size_t *len)
{
  if (!len || eng__seq_check(a) || eng__seq_check(b))
    return ENG_EINVAL;
  int64_t r;
  if (c && eng_seq_cache_get(c, ENG_CACHE_LCS, 0, a, b, &r) == 0) {
    *len = (size_t)r;
    return 0;
  }
  int rc = eng_lcs(a, b, ws, len);
  if (c && rc == 0)
    eng_seq_cache_put(c, ENG_CACHE_LCS, 0, a, b, (int64_t)*len);
  return rc;
}
