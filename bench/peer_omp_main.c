/* peer_omp_main.c: main of the OpenMP child programs (engine-bench-omp: libgomp, engine-bench-llvm-omp: libomp). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int bench_sched_serve(int fd);

/* Started by engine-bench as `PROG --serve FD`: FD is a socket to the parent,
 * which sends one row's parameters and then the iteration count of each run
 * (bench/cases_sched.c, "OpenMP child processes"). Not for direct use. */
int main(int argc, char **argv) {
  if (argc != 3 || strcmp(argv[1], "--serve") != 0) {
    fprintf(stderr, "usage: %s --serve FD   (started by engine-bench, not by hand)\n", argv[0]);
    return 2;
  }
  char *end;
  long fd = strtol(argv[2], &end, 10);
  if (*end || fd < 0 || fd > 1024) {
    fprintf(stderr, "%s: bad descriptor '%s'\n", argv[0], argv[2]);
    return 2;
  }
  int rc = bench_sched_serve((int)fd);
  close((int)fd);
  return rc;
}
