/* embed.c: using libengine from a C program.
 *
 * Build against the installed library:
 *   cc embed.c $(pkg-config --cflags --libs engine) -o embed
 *
 * Creates an engine, submits tasks at several priorities into a group, runs
 * futures that return values (one cancelled before it could start), a
 * delayed task, then prints the placement, counters and latency percentiles
 * and destroys the engine. Exits 0 when every result is what it should be.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include <engine.h>

static _Atomic uint64_t sum_by_prio[ENG_PRIO_COUNT];

/* A task: adds its argument to the total of its priority. */
static void add(void *arg) {
  uintptr_t v = (uintptr_t)arg;
  atomic_fetch_add(&sum_by_prio[v % ENG_PRIO_COUNT], v);
}

/* A call with a result: the sum of 1..n, returned through the future. */
static void *triangle(void *arg) {
  uintptr_t n = (uintptr_t)arg, s = 0;
  for (uintptr_t i = 1; i <= n; i++) s += i;
  return (void *)s;
}

static atomic_int holding;
static void hold(void *arg) {
  atomic_int *gate = arg;
  atomic_fetch_add(&holding, 1);
  while (!atomic_load(gate)) {
  }
}

int main(void) {
  int failures = 0;
  eng_config cfg;
  eng_config_init(&cfg);
  cfg.stats_sample = 1; /* time every task: this is a small run */
  eng_engine *e = NULL;
  int rc = eng_engine_create(&e, &cfg);
  if (rc) {
    fprintf(stderr, "eng_engine_create: %s\n", eng_strerror(rc));
    return 1;
  }
  unsigned nw = eng_engine_workers(e);
  printf("libengine %s: %u worker%s\n", eng_version(), nw, nw == 1 ? "" : "s");
  eng_placement pl[64];
  unsigned count = 0;
  eng_topology(e, pl, 64, &count);
  for (unsigned i = 0; i < count && i < 64; i++)
    printf("  worker %u: pu %d, core %d, numa node %d, %s\n", pl[i].worker, pl[i].pu, pl[i].core,
           pl[i].numa_node, pl[i].pinned ? "pinned" : "not pinned");

  /* 10,000 tasks over the five priorities, counted by a group. */
  eng_group *g = NULL;
  if ((rc = eng_group_create(e, &g)) != 0) {
    fprintf(stderr, "eng_group_create: %s\n", eng_strerror(rc));
    return 1;
  }
  eng_task_opts o;
  eng_task_opts_init(&o);
  o.group = g;
  o.flags = ENG_TASK_BLOCK; /* wait for room rather than get ENG_EAGAIN */
  uint64_t expect[ENG_PRIO_COUNT] = {0};
  for (uintptr_t v = 1; v <= 10000; v++) {
    o.priority = (eng_priority)(v % ENG_PRIO_COUNT);
    expect[v % ENG_PRIO_COUNT] += v;
    if ((rc = eng_task_submit(e, add, (void *)v, &o)) != 0) {
      fprintf(stderr, "eng_task_submit: %s\n", eng_strerror(rc));
      return 1;
    }
  }
  rc = eng_group_wait(g);
  printf("group of 10000 tasks: %s\n", rc == 0 ? "all finished" : eng_strerror(rc));
  for (int p = 0; p < ENG_PRIO_COUNT; p++) {
    uint64_t got = atomic_load(&sum_by_prio[p]);
    printf("  %-10s sum %llu %s\n", eng_priority_name((eng_priority)p), (unsigned long long)got,
           got == expect[p] ? "ok" : "WRONG");
    failures += got != expect[p];
  }
  eng_group_destroy(g);

  /* Futures: results come back through eng_future_wait. */
  eng_future *f[4];
  for (uintptr_t i = 0; i < 4; i++) {
    eng_task_opts_init(&o);
    o.priority = ENG_PRIO_HIGH;
    if ((rc = eng_async(e, triangle, (void *)(1000 * (i + 1)), &o, &f[i])) != 0) {
      fprintf(stderr, "eng_async: %s\n", eng_strerror(rc));
      return 1;
    }
  }
  for (uintptr_t i = 0; i < 4; i++) {
    void *r = NULL;
    rc = eng_future_wait(f[i], &r);
    uintptr_t n = 1000 * (i + 1), want = n * (n + 1) / 2;
    printf("future: 1 + ... + %lu = %lu %s\n", (unsigned long)n, (unsigned long)(uintptr_t)r,
           rc == 0 && (uintptr_t)r == want ? "ok" : "WRONG");
    failures += rc != 0 || (uintptr_t)r != want;
    eng_future_release(f[i]);
  }

  /* Cancellation wins only before the task starts: hold every worker, queue
   * one more call, cancel it, then let the workers go. */
  atomic_int gate = 0;
  for (unsigned i = 0; i < nw; i++) eng_task_submit(e, hold, &gate, NULL);
  while (atomic_load(&holding) < (int)nw) {
  }
  eng_future *victim = NULL;
  eng_async(e, triangle, (void *)10, NULL, &victim);
  int won = eng_future_cancel(victim);
  atomic_store(&gate, 1);
  rc = eng_future_wait(victim, NULL);
  printf("cancel before start: %s, wait -> %s\n", won == 1 ? "won" : "lost", eng_err_name(rc));
  failures += won != 1 || rc != ENG_ECANCELED;
  eng_future_release(victim);

  /* A delayed task never runs early. */
  eng_task_opts_init(&o);
  o.delay_ns = 2000000;
  uint64_t t0 = eng_now_ns();
  eng_future *late = NULL;
  eng_async(e, triangle, (void *)1, &o, &late);
  eng_future_wait(late, NULL);
  uint64_t waited = eng_now_ns() - t0;
  printf("delayed 2 ms: ran after %.2f ms %s\n", waited / 1e6, waited >= o.delay_ns ? "ok" : "EARLY");
  failures += waited < o.delay_ns;
  eng_future_release(late);

  eng_wait_idle(e);
  eng_stats s;
  eng_stats_read(e, &s, 0);
  printf("stats: submitted %llu, executed %llu, stolen %llu, cancelled %llu, parked %llu\n",
         (unsigned long long)s.total.submitted, (unsigned long long)s.total.executed,
         (unsigned long long)s.total.stolen, (unsigned long long)s.total.cancelled,
         (unsigned long long)s.total.parked);
  printf("queue wait: p50 %llu ns, p99 %llu ns, max %llu ns (%llu samples)\n",
         (unsigned long long)s.queue_wait.p50_ns, (unsigned long long)s.queue_wait.p99_ns,
         (unsigned long long)s.queue_wait.max_ns, (unsigned long long)s.queue_wait.count);
  printf("run time:   p50 %llu ns, p99 %llu ns, max %llu ns\n",
         (unsigned long long)s.run_time.p50_ns, (unsigned long long)s.run_time.p99_ns,
         (unsigned long long)s.run_time.max_ns);

  eng_drain_report rep;
  rc = eng_engine_destroy(e, ENG_DRAIN_FINISH, &rep);
  printf("destroy: %s (finished %llu, cancelled %llu during drain)\n", eng_strerror(rc),
         (unsigned long long)rep.finished, (unsigned long long)rep.cancelled);
  failures += rc != 0;
  printf("%s\n", failures ? "FAILED" : "all checks passed");
  return failures ? 1 : 0;
}
