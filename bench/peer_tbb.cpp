// peer_tbb.cpp: the oneTBB peer (task_arena + task_group) for the scheduler rows; C++ stays in bench/.
#include <oneapi/tbb/task_arena.h>
#include <oneapi/tbb/task_group.h>

#include <cstdint>

#include "peers.h"

void peer_tbb_batches(unsigned nthreads, uint64_t ntasks, unsigned batch, peer_fn fn, void *arg) {
  tbb::task_arena arena((int)nthreads);
  arena.execute([&] {
    tbb::task_group g;
    for (uint64_t left = ntasks; left;) {
      uint64_t b = left < batch ? left : batch;
      for (uint64_t i = 0; i < b; i++) g.run([fn, arg] { fn(arg); });
      g.wait();
      left -= b;
    }
  });
}

void peer_tbb_spawn(unsigned nthreads, uint64_t ntasks, peer_fn fn, void *arg) {
  tbb::task_arena arena((int)nthreads);
  arena.execute([&] {
    tbb::task_group g;
    // One spawner per thread, each spawning its share, as the engine's drivers do.
    for (unsigned t = 0; t < nthreads; t++) {
      uint64_t mine = ntasks / nthreads + (t < ntasks % nthreads);
      g.run([&g, mine, fn, arg] {
        for (uint64_t i = 0; i < mine; i++) g.run([fn, arg] { fn(arg); });
      });
    }
    g.wait();
  });
}

static uint64_t fib_serial(unsigned n) { return n < 2 ? n : fib_serial(n - 1) + fib_serial(n - 2); }

static uint64_t fib_task(unsigned n, unsigned cutoff) {
  if (n <= cutoff || n < 2) return fib_serial(n);
  uint64_t a = 0, b = 0;
  tbb::task_group g;
  g.run([&] { a = fib_task(n - 1, cutoff); });
  b = fib_task(n - 2, cutoff);
  g.wait();
  return a + b;
}

uint64_t peer_tbb_fib(unsigned nthreads, unsigned n, unsigned cutoff) {
  tbb::task_arena arena((int)nthreads);
  uint64_t r = 0;
  arena.execute([&] { r = fib_task(n, cutoff); });
  return r;
}
