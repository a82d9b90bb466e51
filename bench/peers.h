/* peers.h: the workloads each optional peer runtime implements for the scheduler cases.
 * A function exists only when configure found its peer (HAVE_PEER_* in config.h). */
#ifndef ENGINE_BENCH_PEERS_H
#define ENGINE_BENCH_PEERS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef void (*peer_fn)(void *arg);

/* Task runtimes (OpenMP tasks, oneTBB task_group), with nthreads threads:
 * ntasks calls of fn(arg) submitted in batches of `batch` (each batch waited
 * for before the next: the batch rows), */
void peer_omp_batches(unsigned nthreads, uint64_t ntasks, unsigned batch, peer_fn fn, void *arg);
void peer_tbb_batches(unsigned nthreads, uint64_t ntasks, unsigned batch, peer_fn fn, void *arg);
/* ntasks independent tasks spawned by nthreads spawners (the scaling rows), */
void peer_omp_spawn(unsigned nthreads, uint64_t ntasks, peer_fn fn, void *arg);
void peer_tbb_spawn(unsigned nthreads, uint64_t ntasks, peer_fn fn, void *arg);
/* and recursive fork-join fib(n), serial below cutoff (the fork-join rows). */
uint64_t peer_omp_fib(unsigned nthreads, unsigned n, unsigned cutoff);
uint64_t peer_tbb_fib(unsigned nthreads, unsigned n, unsigned cutoff);
/* The OpenMP runtime in use ("libgomp", "libomp"), for the row's label. */
const char *peer_omp_runtime(void);

/* Event loops (libuv, libevent). Each call creates its loop, runs, frees it.
 * callbacks: n callbacks made ready at once (zero-delay timers / activated
 * events) and run by one loop; returns the ns from scheduling the first to
 * the end of the last (CLOCK_MONOTONIC), as the engine's row is timed. */
uint64_t peer_uv_callbacks(uint64_t n);
uint64_t peer_event_callbacks(uint64_t n);
/* timers: n timers with delays delay_ms[i] (0-9 ms); writes each timer's
 * lateness (fire time - due time, ns, CLOCK_MONOTONIC) to late_ns[i] and
 * returns the number fired out of due order. */
uint64_t peer_uv_timers(uint64_t n, const unsigned *delay_ms, uint64_t *late_ns);
uint64_t peer_event_timers(uint64_t n, const unsigned *delay_ms, uint64_t *late_ns);
/* empty loop iterations: the loop turned n times with one ready no-op source. */
void peer_uv_spin(uint64_t n);
void peer_event_spin(uint64_t n);

#ifdef __cplusplus
}
#endif
#endif
