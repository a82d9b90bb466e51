/* monotonic.h: the one CLOCK_MONOTONIC reading in ns that the runner, the pool and every peer time with. */
#ifndef ENGINE_BENCH_MONOTONIC_H
#define ENGINE_BENCH_MONOTONIC_H

#include <stdint.h>
#include <time.h>

static inline uint64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#endif
