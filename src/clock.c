/* clock.c: invariant-TSC detection and calibration against CLOCK_MONOTONIC_RAW. */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include "engine.h"
#include "clock.h"

eng__clock eng__clk;
static pthread_once_t clk_once = PTHREAD_ONCE_INIT;

uint64_t eng__clock_gettime_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* CPUID 0x80000007 EDX bit 8: the TSC runs at a constant rate in every P-, C-
 * and T-state (Intel SDM vol. 3 17.17.1; AMD APM vol. 3 E.4.18). */
static int tsc_invariant(void) {
#if defined(__x86_64__) || defined(__i386__)
  unsigned a, b, c, d;
  if (!__get_cpuid(0x80000000u, &a, &b, &c, &d) || a < 0x80000007u) return 0;
  if (!__get_cpuid(0x80000007u, &a, &b, &c, &d)) return 0;
  return (d >> 8) & 1u;
#else
  return 0;
#endif
}

/* One (tsc, ns) pair whose TSC bracket around clock_gettime is the tightest of
 * a few tries, so a preemption between the reads cannot skew the pair. */
static void sample(uint64_t *tsc, uint64_t *ns) {
  uint64_t best = UINT64_MAX;
  for (int i = 0; i < 16; i++) {
    uint64_t t0 = eng__rdtsc();
    uint64_t n = eng__clock_gettime_ns();
    uint64_t t1 = eng__rdtsc();
    if (t1 - t0 < best) {
      best = t1 - t0;
      *tsc = t0 + (t1 - t0) / 2;
      *ns = n;
    }
  }
}

static void calibrate(void) {
  const char *force = getenv("ENGINE_CLOCK");
  int use_tsc = tsc_invariant() && !(force && strcmp(force, "gettime") == 0);
  eng__clk.tsc = 0;
  if (use_tsc) {
    uint64_t t0, n0, t1, n1;
    sample(&t0, &n0);
    /* 5 ms against a clock with ~50 ns read jitter: ~10 ppm. */
    struct timespec req = {0, 5000000};
    nanosleep(&req, NULL);
    sample(&t1, &n1);
    if (t1 > t0 && n1 > n0) {
      double ns_per_cycle = (double)(n1 - n0) / (double)(t1 - t0);
      eng__clk.mult = (uint64_t)(ns_per_cycle * 4294967296.0 + 0.5);
      eng__clk.ghz = 1.0 / ns_per_cycle;
      eng__clk.base_tsc = t1;
      eng__clk.base_ns = n1;
      eng__clk.tsc = eng__clk.mult != 0;
    }
  }
  if (!eng__clk.tsc) eng__clk.ghz = 0.0;
  /* Publish the parameters: pairs with the acquire load in eng__now_ns. */
  atomic_store_explicit(&eng__clk.ready, 1, memory_order_release);
  uint64_t res = UINT64_MAX;
  for (int i = 0; i < 64; i++) {
    uint64_t a = eng__now_ns(), b;
    do b = eng__now_ns(); while (b == a);
    if (b - a < res) res = b - a;
  }
  eng__clk.resolution_ns = res;
}

void eng__clock_init(void) { pthread_once(&clk_once, calibrate); }

uint64_t eng_now_ns(void) { return eng__now_ns(); }

void eng_clock_get_info(eng_clock_info *out) {
  if (!out) return;
  eng__clock_init();
  out->tsc = eng__clk.tsc;
  out->tsc_ghz = eng__clk.ghz;
  out->resolution_ns = eng__clk.resolution_ns;
}
