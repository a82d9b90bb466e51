/* alloc.h: the one allocation family of the scheduler (jemalloc arenas or malloc). */
#ifndef ENG_ALLOC_H
#define ENG_ALLOC_H

#include <stddef.h>

/* Arena index meaning "no particular arena" (the thread's default). */
#define ENG__ARENA_ANY 0u

/* Creates a fresh jemalloc arena for one worker; *arena = ENG__ARENA_ANY with
 * ENG_SYSTEM_ALLOC or when the process has not loaded jemalloc. Returns 0 or
 * ENG_ENOMEM. Thread: any thread. */
int eng__arena_create(unsigned *arena);
/* Destroys an arena made by eng__arena_create once nothing in it is live. */
void eng__arena_destroy(unsigned arena);

/* Allocations from arena (ENG__ARENA_ANY: the default allocator). NULL on
 * failure, including an injected one. align is a power of two <= 4096. */
void *eng__alloc(unsigned arena, size_t nbytes);
void *eng__calloc(unsigned arena, size_t nbytes);
void *eng__alloc_aligned(unsigned arena, size_t nbytes, size_t align);
/* Frees any block from the family above; NULL is a no-op. */
void eng__free(void *p);

/* Fault injection for tests: the nth allocation from now (1 = the next one)
 * fails, and so does every later one when sticky; 0 turns it off. Returns how
 * many allocations were made since the previous call. Thread: any thread. */
long eng__alloc_fail_nth(long nth, int sticky);

#endif
