// peer_tbb.cpp: the oneTBB peer (task_arena + task_group, and an arena-per-priority executor); C++ stays in bench/.
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/task_arena.h>
#include <oneapi/tbb/task_group.h>
#include <oneapi/tbb/task_scheduler_observer.h>

#include <pthread.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <new>
#include <vector>

#include "peers.h"
#include "peer_fifo.h"

void peer_tbb_batches(unsigned nthreads, uint64_t ntasks, unsigned batch, peer_fn fn, void *arg) {
  // Lets the market start nthreads - 1 workers even past the core count (the
  // default limit is cores - 1), as the engine's rows start `nthreads` workers.
  tbb::global_control gc(tbb::global_control::max_allowed_parallelism, nthreads);
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
  // Lets the market start nthreads - 1 workers even past the core count (the
  // default limit is cores - 1), as the engine's rows start `nthreads` workers.
  tbb::global_control gc(tbb::global_control::max_allowed_parallelism, nthreads);
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
  // Lets the market start nthreads - 1 workers even past the core count (the
  // default limit is cores - 1), as the engine's rows start `nthreads` workers.
  tbb::global_control gc(tbb::global_control::max_allowed_parallelism, nthreads);
  tbb::task_arena arena((int)nthreads);
  uint64_t r = 0;
  arena.execute([&] { r = fib_task(n, cutoff); });
  return r;
}

// ------------------------------------------------------------- executor

namespace {

// Binds each worker entering an arena to cpus[slot % ncpus] (slot: its index in the arena).
class pinner : public tbb::task_scheduler_observer {
 public:
  pinner(tbb::task_arena &a, const std::vector<unsigned> &cpus) : tbb::task_scheduler_observer(a), cpus_(cpus) {
    observe(true);
  }
  ~pinner() override { observe(false); }
  void on_scheduler_entry(bool is_worker) override {
    if (!is_worker || cpus_.empty()) return;
    int slot = tbb::this_task_arena::current_thread_index();
    if (slot < 0) return;
    cpu_set_t s;
    CPU_ZERO(&s);
    CPU_SET(cpus_[(unsigned)slot % cpus_.size()], &s);
    pthread_setaffinity_np(pthread_self(), sizeof s, &s);
  }

 private:
  const std::vector<unsigned> &cpus_;
};

}  // namespace

// oneTBB's notion of priority is the arena's: workers go to the highest-priority
// arena with work. Levels: critical/high -> high, normal -> normal, low/background -> low.
struct peer_ex {
  std::unique_ptr<tbb::global_control> gc;
  std::vector<unsigned> cpus;
  std::unique_ptr<tbb::task_arena> arena[3];
  std::unique_ptr<pinner> pin[3];
  std::atomic<uint64_t> pending{0};
};

peer_ex *peer_tbb_ex_create(unsigned workers, const unsigned *cpus, unsigned ncpus, int busy) {
  (void)busy;  // oneTBB has no busy-poll setting: its workers follow their own idle policy
  if (!workers) return nullptr;
  peer_ex *x = new (std::nothrow) peer_ex;
  if (!x) return nullptr;
  try {
    // workers + 1 lets the market start `workers` worker threads (one slot is
    // the external thread's); no arena reserves a slot for it, so all the
    // tasks run on workers, as the engine's do.
    x->gc.reset(new tbb::global_control(tbb::global_control::max_allowed_parallelism, workers + 1));
    if (cpus)
      for (unsigned i = 0; i < ncpus; i++) x->cpus.push_back(cpus[i]);
    static const tbb::task_arena::priority pr[3] = {tbb::task_arena::priority::high,
                                                    tbb::task_arena::priority::normal,
                                                    tbb::task_arena::priority::low};
    for (int i = 0; i < 3; i++) {
      x->arena[i].reset(new tbb::task_arena((int)workers, 0, pr[i]));
      x->arena[i]->initialize();
      x->pin[i].reset(new pinner(*x->arena[i], x->cpus));
    }
  } catch (...) {
    delete x;
    return nullptr;
  }
  return x;
}

int peer_tbb_ex_submit(peer_ex *x, peer_fn fn, void *arg, int prio) {
  int a = prio <= 1 ? 0 : prio == 2 ? 1 : 2;
  x->pending.fetch_add(1, std::memory_order_relaxed);
  try {
    x->arena[a]->enqueue([x, fn, arg] {
      fn(arg);
      x->pending.fetch_sub(1, std::memory_order_release);
    });
  } catch (...) {
    x->pending.fetch_sub(1, std::memory_order_relaxed);
    return -1;
  }
  return 0;
}

void peer_tbb_ex_wait(peer_ex *x) {
  for (unsigned i = 0; x->pending.load(std::memory_order_acquire); i++) peer_backoff(i);
}

void peer_tbb_ex_destroy(peer_ex *x) {
  if (!x) return;
  peer_tbb_ex_wait(x);
  for (int i = 0; i < 3; i++) {
    x->pin[i].reset();
    x->arena[i].reset();
  }
  delete x;
}
