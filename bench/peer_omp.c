/* peer_omp.c: the OpenMP-tasks peer's own forms of the batch, spawn and fork-join rows (linked into the OpenMP child programs). */
#include <omp.h>

#include "peers.h"

void peer_omp_batches(unsigned nthreads, uint64_t ntasks, unsigned batch, peer_fn fn, void *arg) {
#pragma omp parallel num_threads(nthreads)
#pragma omp single
  {
    for (uint64_t left = ntasks; left;) {
      uint64_t b = left < batch ? left : batch;
      for (uint64_t i = 0; i < b; i++) {
#pragma omp task firstprivate(fn, arg)
        fn(arg);
      }
#pragma omp taskwait
      left -= b;
    }
  }
}

void peer_omp_spawn(unsigned nthreads, uint64_t ntasks, peer_fn fn, void *arg) {
  /* Every thread spawns its share, as the engine's rows submit from every worker. */
#pragma omp parallel num_threads(nthreads)
  {
    unsigned t = (unsigned)omp_get_thread_num(), n = (unsigned)omp_get_num_threads();
    uint64_t mine = ntasks / n + (t < ntasks % n);
    for (uint64_t i = 0; i < mine; i++) {
#pragma omp task firstprivate(fn, arg)
      fn(arg);
    }
  }
}

static uint64_t fib_serial(unsigned n) { return n < 2 ? n : fib_serial(n - 1) + fib_serial(n - 2); }

static uint64_t fib_task(unsigned n, unsigned cutoff) {
  if (n <= cutoff || n < 2) return fib_serial(n);
  uint64_t a, b;
#pragma omp task shared(a)
  a = fib_task(n - 1, cutoff);
#pragma omp task shared(b)
  b = fib_task(n - 2, cutoff);
#pragma omp taskwait
  return a + b;
}

uint64_t peer_omp_fib(unsigned nthreads, unsigned n, unsigned cutoff) {
  uint64_t r = 0;
#pragma omp parallel num_threads(nthreads)
#pragma omp single
  r = fib_task(n, cutoff);
  return r;
}
