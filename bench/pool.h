/* pool.h: the baseline every scheduler row is compared with: a plain thread pool,
 * one FIFO queue and one timer heap under one mutex, workers sleeping on a
 * condition variable. */
#ifndef ENGINE_BENCH_POOL_H
#define ENGINE_BENCH_POOL_H

#include <stdint.h>

typedef struct bench_pool bench_pool;

/* Starts nthreads workers; when cpus is non-NULL worker i is bound to
 * cpus[i % ncpus]. Returns NULL on failure. */
bench_pool *bench_pool_create(unsigned nthreads, const unsigned *cpus, unsigned ncpus);

/* Queues fn(arg) (the queue grows as needed). 0 or -ENOMEM. Any thread. */
int bench_pool_submit(bench_pool *p, void (*fn)(void *), void *arg);

/* Queues fn(arg) to run at or after due_ns (CLOCK_MONOTONIC): a binary
 * min-heap under the pool's mutex, the earliest due time bounding the workers'
 * condvar wait. 0 or -ENOMEM. Any thread. */
int bench_pool_submit_at(bench_pool *p, uint64_t due_ns, void (*fn)(void *), void *arg);

/* Waits until every task submitted so far has finished. Not from a worker. */
void bench_pool_wait_idle(bench_pool *p);

/* Index of the calling worker, or -1. */
int bench_pool_self(const bench_pool *p);

/* Runs what is queued, joins the workers, frees the pool. NULL is a no-op. */
void bench_pool_destroy(bench_pool *p);

#endif
