/* park.h: futex wait/wake wrappers used by the eventcounts and completion words. */
#ifndef ENG_PARK_H
#define ENG_PARK_H

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* Sleeps while *addr == expected, at most timeout_ns (UINT64_MAX: forever).
 * Returns 0 when woken or when *addr differed, ETIMEDOUT on timeout. Spurious
 * returns are possible: callers re-check their condition. */
static inline int eng__futex_wait(_Atomic uint32_t *addr, uint32_t expected, uint64_t timeout_ns) {
  struct timespec ts, *tp = NULL;
  if (timeout_ns != UINT64_MAX) {
    ts.tv_sec = (time_t)(timeout_ns / 1000000000u);
    ts.tv_nsec = (long)(timeout_ns % 1000000000u);
    tp = &ts;
  }
  long r = syscall(SYS_futex, (uint32_t *)addr, FUTEX_WAIT_PRIVATE, expected, tp, NULL, 0);
  if (r == -1 && errno == ETIMEDOUT) return ETIMEDOUT;
  return 0;
}

static inline void eng__futex_wake(_Atomic uint32_t *addr, int n) {
  syscall(SYS_futex, (uint32_t *)addr, FUTEX_WAKE_PRIVATE, n, NULL, NULL, 0);
}

static inline void eng__cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

#endif
