/* clock.h: the engine clock (TSC scaled to ns, or clock_gettime), inline fast path. */
#ifndef ENG_CLOCK_H
#define ENG_CLOCK_H

#include <stdatomic.h>
#include <stdint.h>

/* Conversion parameters, written once by eng__clock_init before clk_ready is
 * published with release; readers load clk_ready with acquire (pairs with it). */
typedef struct eng__clock {
  _Atomic int ready;   /* 1 once calibrated */
  int tsc;             /* 1: use rdtsc */
  uint64_t base_tsc;   /* TSC at calibration */
  uint64_t base_ns;    /* CLOCK_MONOTONIC_RAW ns at base_tsc */
  uint64_t mult;       /* ns per cycle as 32.32 fixed point */
  double ghz;
  uint64_t resolution_ns;
} eng__clock;

extern eng__clock eng__clk;

/* Calibrates once (thread-safe, pthread_once). */
void eng__clock_init(void);
/* clock_gettime(CLOCK_MONOTONIC_RAW) in ns. */
uint64_t eng__clock_gettime_ns(void);

static inline uint64_t eng__rdtsc(void) {
#if defined(__x86_64__) || defined(__i386__)
  uint32_t lo, hi;
  __asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
  return ((uint64_t)hi << 32) | lo;
#else
  return 0;
#endif
}

static inline uint64_t eng__now_ns(void) {
  if (__builtin_expect(!atomic_load_explicit(&eng__clk.ready, memory_order_acquire), 0))
    eng__clock_init();
  if (eng__clk.tsc) {
    uint64_t d = eng__rdtsc() - eng__clk.base_tsc;
    return eng__clk.base_ns + (uint64_t)(((unsigned __int128)d * eng__clk.mult) >> 32);
  }
  return eng__clock_gettime_ns();
}

#endif
