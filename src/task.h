/* task.h: the fixed-size task record and the intrusive pairing heap used for
 * timers (keyed by due time) and earliest-deadline-first queues. */
#ifndef ENG_TASK_H
#define ENG_TASK_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"

enum { ENG__KIND_TASK = 0, ENG__KIND_CALL = 1, ENG__KIND_TIMER = 2 };

typedef struct eng__task eng__task;
struct eng__task {
  eng__task *next;   /* free list / return stack link; first child in a heap */
  eng__task *sib;    /* next sibling in a heap */
  union {
    eng_task_fn fn;
    eng_call_fn call;
  } u;
  void *arg;
  struct eng_future *fut;  /* KIND_CALL: completes this future (holds a reference) */
  struct eng_group *group; /* counts towards this group (holds a reference) */
  struct eng_timer *timer; /* KIND_TIMER: the timer it belongs to (holds a reference) */
  uint64_t stamp_ns;       /* queue wait is measured from here; 0 = not sampled */
  uint64_t due_ns;         /* must not start before; 0 = ready */
  uint64_t deadline_ns;    /* 0 = none */
  uint64_t hkey;           /* heap key while in a heap */
  int32_t home;            /* worker whose free list owns the record, -1 = shared pool */
  uint8_t prio, flags, kind;
};

/* Pairing heap (Fredman, Sedgewick, Sleator, Tarjan 1986): O(1) insert,
 * O(log n) amortised delete-min, no allocation (links live in the record).
 * Single-threaded: each heap belongs to one worker. */
static inline eng__task *eng__heap_meld(eng__task *a, eng__task *b) {
  if (!a) return b;
  if (!b) return a;
  if (b->hkey < a->hkey) {
    eng__task *t = a;
    a = b;
    b = t;
  }
  b->sib = a->next;
  a->next = b;
  return a;
}

static inline eng__task *eng__heap_insert(eng__task *root, eng__task *t, uint64_t key) {
  t->hkey = key;
  t->next = t->sib = NULL;
  return eng__heap_meld(root, t);
}

/* Removes the minimum (*root must be non-NULL) and returns it. Two-pass
 * pairing, iterative: pair left to right into a reversed list, then meld
 * right to left. */
static inline eng__task *eng__heap_pop(eng__task **root) {
  eng__task *min = *root, *c = min->next, *pairs = NULL;
  while (c) {
    eng__task *a = c, *b = c->sib;
    c = b ? b->sib : NULL;
    a->sib = NULL;
    if (b) b->sib = NULL;
    eng__task *m = eng__heap_meld(a, b);
    m->sib = pairs;
    pairs = m;
  }
  eng__task *r = NULL;
  while (pairs) {
    eng__task *n = pairs->sib;
    pairs->sib = NULL;
    r = eng__heap_meld(r, pairs);
    pairs = n;
  }
  *root = r;
  min->next = min->sib = NULL;
  return min;
}

#endif
