/* alloc.c: per-worker jemalloc arenas (or malloc) behind one function family, with fault injection. */
#include "config.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "alloc.h"

#ifndef ENG_SYSTEM_ALLOC
#include <jemalloc/jemalloc.h>
#endif

/* Fault injection state: relaxed is enough, tests arm it before the calls they
 * probe and the counts only need to be exact within one thread of control. */
static _Atomic long fail_countdown;
static _Atomic int fail_sticky;
static _Atomic long alloc_calls;

long eng__alloc_fail_nth(long nth, int sticky) {
  atomic_store_explicit(&fail_sticky, sticky, memory_order_relaxed);
  atomic_store_explicit(&fail_countdown, nth, memory_order_relaxed);
  return atomic_exchange_explicit(&alloc_calls, 0, memory_order_relaxed);
}

static int injected_failure(void) {
  atomic_fetch_add_explicit(&alloc_calls, 1, memory_order_relaxed);
  long c = atomic_load_explicit(&fail_countdown, memory_order_relaxed);
  if (c <= 0) return 0;
  if (c == 1) {
    if (!atomic_load_explicit(&fail_sticky, memory_order_relaxed))
      atomic_store_explicit(&fail_countdown, 0, memory_order_relaxed);
    return 1;
  }
  atomic_store_explicit(&fail_countdown, c - 1, memory_order_relaxed);
  return 0;
}

/* The malloc path: sanitizer builds (ENG_SYSTEM_ALLOC) and processes that
 * have not loaded jemalloc. */
static void *sys_alloc(size_t nbytes) { return malloc(nbytes ? nbytes : 1); }
static void *sys_calloc(size_t nbytes) { return calloc(1, nbytes ? nbytes : 1); }
static void *sys_alloc_aligned(size_t nbytes, size_t align) {
  void *p = NULL;
  if (posix_memalign(&p, align, nbytes ? nbytes : 1) != 0) return NULL;
  return p;
}

#ifdef ENG_SYSTEM_ALLOC

static int have_jemalloc(void) { return 0; }

#else

/* libengine binds to jemalloc weakly and does not load it itself: glibc cannot
 * dlopen Debian's libjemalloc (its initial-exec TLS needs static TLS space), so
 * a hard dependency would make `require "engine"` fail in a stock lua5.4. A
 * program that links jemalloc (the engine program; embedders through
 * engine.pc) gets an arena per worker; any other process gets malloc. The
 * choice is fixed when the process loads, so every block is freed by the
 * allocator that made it. */
#pragma weak mallocx
#pragma weak dallocx
#pragma weak mallctl

static int have_jemalloc(void) { return mallctl != NULL; }

/* Explicit-arena blocks bypass the thread cache so a block freed on another
 * thread goes straight back to its arena instead of that thread's cache. */
static int flags(unsigned arena, size_t align) {
  int f = align > 1 ? MALLOCX_ALIGN(align) : 0;
  if (arena != ENG__ARENA_ANY) f |= MALLOCX_ARENA(arena) | MALLOCX_TCACHE_NONE;
  return f;
}

#endif

int eng__arena_create(unsigned *arena) {
  if (injected_failure()) return ENG_ENOMEM;
  *arena = ENG__ARENA_ANY;
#ifndef ENG_SYSTEM_ALLOC
  if (have_jemalloc()) {
    unsigned a = 0;
    size_t sz = sizeof a;
    if (mallctl("arenas.create", &a, &sz, NULL, 0) != 0) return ENG_ENOMEM;
    *arena = a;
  }
#endif
  return 0;
}

void eng__arena_destroy(unsigned arena) {
  if (arena == ENG__ARENA_ANY || !have_jemalloc()) return;
#ifndef ENG_SYSTEM_ALLOC
  char name[64];
  snprintf(name, sizeof name, "arena.%u.destroy", arena);
  (void)mallctl(name, NULL, NULL, NULL, 0);
#endif
}

void *eng__alloc(unsigned arena, size_t nbytes) {
  if (injected_failure()) return NULL;
#ifndef ENG_SYSTEM_ALLOC
  if (have_jemalloc()) return mallocx(nbytes ? nbytes : 1, flags(arena, 0));
#endif
  (void)arena;
  return sys_alloc(nbytes);
}

void *eng__calloc(unsigned arena, size_t nbytes) {
  if (injected_failure()) return NULL;
#ifndef ENG_SYSTEM_ALLOC
  if (have_jemalloc()) return mallocx(nbytes ? nbytes : 1, flags(arena, 0) | MALLOCX_ZERO);
#endif
  (void)arena;
  return sys_calloc(nbytes);
}

void *eng__alloc_aligned(unsigned arena, size_t nbytes, size_t align) {
  if (injected_failure()) return NULL;
#ifndef ENG_SYSTEM_ALLOC
  if (have_jemalloc()) return mallocx(nbytes ? nbytes : 1, flags(arena, align));
#endif
  (void)arena;
  return sys_alloc_aligned(nbytes, align);
}

/* dallocx finds the owning arena itself; TCACHE_NONE keeps foreign blocks out
 * of this thread's cache. */
void eng__free(void *p) {
  if (!p) return;
#ifndef ENG_SYSTEM_ALLOC
  if (have_jemalloc()) {
    dallocx(p, MALLOCX_TCACHE_NONE);
    return;
  }
#endif
  free(p);
}
