/* peers.h: the workloads each optional peer runtime implements for the scheduler cases.
 * A function exists only when configure found its peer (HAVE_PEER_* in config.h). */
#ifndef ENGINE_BENCH_PEERS_H
#define ENGINE_BENCH_PEERS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef void (*peer_fn)(void *arg);

/* Task runtimes (OpenMP tasks, in the OpenMP child programs only; oneTBB
 * task_group), with nthreads threads:
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

/* Event loops (libuv, libevent). Each call creates its loop, runs, frees it.
 * callbacks: n callbacks made ready at once (zero-delay timers / activated
 * events) and run by one loop; returns the ns from scheduling the first to
 * the end of the last (CLOCK_MONOTONIC), as the engine's row is timed. */
uint64_t peer_uv_callbacks(uint64_t n);
uint64_t peer_event_callbacks(uint64_t n);
/* Two timers count as fired out of order when the later-due one ran first and
 * their due times differ by more than this: libevent keeps due times in
 * microseconds (struct timeval), so closer ones are ties to it. Every column of
 * the timer row uses the same slack. */
#define PEER_ORDER_SLACK_NS 1000u

/* timers: n timers with delays delay_ms[i] (0-9 ms); writes each timer's
 * lateness (fire time - due time, ns, CLOCK_MONOTONIC) to late_ns[i] and
 * returns the number fired out of due order. */
uint64_t peer_uv_timers(uint64_t n, const unsigned *delay_ms, uint64_t *late_ns);
uint64_t peer_event_timers(uint64_t n, const unsigned *delay_ms, uint64_t *late_ns);
/* empty loop iterations: the loop turned n times with one ready no-op source. */
void peer_uv_spin(uint64_t n);
void peer_event_spin(uint64_t n);

/* Executors: the latency, priority, oversubscription and idle rows drive every
 * runtime through the same four calls as the engine and the pool (the row's
 * logic is written once, in cases_sched.c):
 *   create(workers, cpus, ncpus, busy): workers threads (oneTBB workers, or one
 *     event loop per thread), worker i bound to cpus[i % ncpus] when cpus is
 *     non-NULL; busy: the workers poll instead of sleeping when idle, where the
 *     runtime can (an event loop turned with UV_RUN_NOWAIT / EVLOOP_NONBLOCK;
 *     oneTBB has no such setting). NULL on failure.
 *   submit(fn, arg, prio): from any thread, also from inside a task; prio is
 *     the engine's level (0 critical .. 4 background), mapped to the runtime's
 *     own notion (oneTBB arena priorities, libevent event priorities) or
 *     ignored (libuv). A submit from a worker goes to that worker's own
 *     loop/arena, from another thread round-robin. 0 or -1.
 *   wait(): until every submitted task has finished (not from a worker).
 *   destroy(): waits, stops and frees. */
typedef struct peer_ex peer_ex;
peer_ex *peer_tbb_ex_create(unsigned workers, const unsigned *cpus, unsigned ncpus, int busy);
int peer_tbb_ex_submit(peer_ex *x, peer_fn fn, void *arg, int prio);
void peer_tbb_ex_wait(peer_ex *x);
void peer_tbb_ex_destroy(peer_ex *x);
peer_ex *peer_uv_ex_create(unsigned workers, const unsigned *cpus, unsigned ncpus, int busy);
int peer_uv_ex_submit(peer_ex *x, peer_fn fn, void *arg, int prio);
void peer_uv_ex_wait(peer_ex *x);
void peer_uv_ex_destroy(peer_ex *x);
peer_ex *peer_event_ex_create(unsigned workers, const unsigned *cpus, unsigned ncpus, int busy);
int peer_event_ex_submit(peer_ex *x, peer_fn fn, void *arg, int prio);
void peer_event_ex_wait(peer_ex *x);
void peer_event_ex_destroy(peer_ex *x);

#ifdef __cplusplus
}
#endif
#endif
