# Optional benchmark peers, included by configure.ac. None is required: each sets an
# AM_CONDITIONAL and a config.h define, and the runner prints "not built (install X)"
# in the rows of a missing one. bench_peers_summary lists what was found.
bench_peers_summary=""
bench_peer_add() { bench_peers_summary="${bench_peers_summary:+$bench_peers_summary }$1"; }

# OpenMP tasks through the compiler's runtime (gcc: libgomp), in a child program.
AC_OPENMP
AS_IF([test "x$ac_cv_prog_c_openmp" != x && test "x$ac_cv_prog_c_openmp" != xunsupported],
  [have_peer_omp=yes
   AC_DEFINE([HAVE_PEER_OMP], [1], [OpenMP tasks available to the benchmarks])
   bench_peer_add omp],
  [have_peer_omp=no; bench_peer_add "omp: no (compiler without OpenMP)"])
AM_CONDITIONAL([HAVE_PEER_OMP], [test "x$have_peer_omp" = xyes])

# LLVM's libomp speaks libgomp's ABI (the GOMP_* entry points gcc emits), so the
# same OpenMP code, compiled by gcc and linked against libomp instead of libgomp,
# is the llvm-omp column (package libomp-dev). The two runtimes cannot share a
# process: each OpenMP column is a child program of the runner (bench/Makemodule.am).
LIBOMP_LIBS=""
have_libomp=no
AS_IF([test "x$have_peer_omp" = xyes], [
  for f in /usr/lib/llvm-*/lib/libomp.so /usr/lib/x86_64-linux-gnu/libomp.so.5 /usr/lib/libomp.so; do
    AS_IF([test -r "$f"], [libomp_path=$f])
  done
  AS_IF([test -n "$libomp_path"], [
    AC_MSG_CHECKING([whether OpenMP tasks link against $libomp_path])
    libomp_dir=`dirname "$libomp_path"`
    cat >conftest-omp.c <<_ACEOF
#include <omp.h>
int main(void) {
  int x = 0;
#pragma omp parallel num_threads(2)
#pragma omp single
  {
#pragma omp task shared(x) priority(1)
    x = omp_get_num_threads();
#pragma omp taskwait
  }
  return x == 2 ? 0 : 1;
}
_ACEOF
    # Compiled with the OpenMP flag, linked without it (it would add libgomp).
    AS_IF([$CC $CFLAGS $ac_cv_prog_c_openmp -c conftest-omp.c -o conftest-omp.o >&AS_MESSAGE_LOG_FD 2>&1 &&
           $CC $CFLAGS $LDFLAGS conftest-omp.o -o conftest-omp$EXEEXT "$libomp_path" -Wl,-rpath,"$libomp_dir"              -lpthread >&AS_MESSAGE_LOG_FD 2>&1],
      [have_libomp=yes; LIBOMP_LIBS="$libomp_path -Wl,-rpath,$libomp_dir"])
    rm -f conftest-omp.c conftest-omp.o conftest-omp$EXEEXT
    AC_MSG_RESULT([$have_libomp])
  ])
])
AC_SUBST([LIBOMP_LIBS])
AS_IF([test "x$have_libomp" = xyes],
  [AC_DEFINE([HAVE_LIBOMP], [1], [LLVM libomp available to the benchmarks (the llvm-omp column)])
   bench_peer_add llvm-omp],
  [bench_peer_add "llvm-omp: no (install libomp-dev)"])
AM_CONDITIONAL([HAVE_LIBOMP], [test "x$have_libomp" = xyes])

# oneTBB task_group / task_arena: needs a working C++ compiler (AC_PROG_CXX ran already).
have_peer_tbb=no
AS_IF([test "x$CXX" != x && $CXX --version >/dev/null 2>&1],
  [PKG_CHECK_MODULES([TBB], [tbb], [have_peer_tbb=yes], [have_peer_tbb=no])])
AS_IF([test "x$have_peer_tbb" = xyes],
  [AC_DEFINE([HAVE_PEER_TBB], [1], [oneTBB available to the benchmarks])
   bench_peer_add tbb],
  [bench_peer_add "tbb: no (install libtbb-dev)"])
AM_CONDITIONAL([HAVE_PEER_TBB], [test "x$have_peer_tbb" = xyes])

# libuv and libevent: the event-loop workloads.
PKG_CHECK_MODULES([LIBUV], [libuv], [have_peer_uv=yes], [have_peer_uv=no])
AS_IF([test "x$have_peer_uv" = xyes],
  [AC_DEFINE([HAVE_PEER_UV], [1], [libuv available to the benchmarks]) bench_peer_add uv],
  [bench_peer_add "uv: no (install libuv1-dev)"])
AM_CONDITIONAL([HAVE_PEER_UV], [test "x$have_peer_uv" = xyes])

# libevent_pthreads: the executor rows activate events from other threads.
PKG_CHECK_MODULES([LIBEVENT], [libevent libevent_pthreads], [have_peer_event=yes], [have_peer_event=no])
AS_IF([test "x$have_peer_event" = xyes],
  [AC_DEFINE([HAVE_PEER_EVENT], [1], [libevent available to the benchmarks]) bench_peer_add event],
  [bench_peer_add "event: no (install libevent-dev)"])
AM_CONDITIONAL([HAVE_PEER_EVENT], [test "x$have_peer_event" = xyes])

# edlib: the sequence kernels' reference peer (C API over a C++ library).
have_edlib=no
EDLIB_LIBS=""
AC_CHECK_HEADER([edlib.h],
  [AC_CHECK_LIB([edlib], [edlibAlign], [have_edlib=yes; EDLIB_LIBS="-ledlib"], [], [-lstdc++])])
AS_IF([test "x$have_edlib" = xyes],
  [AC_DEFINE([HAVE_EDLIB], [1], [edlib available to the benchmarks]) bench_peer_add edlib],
  [bench_peer_add "edlib: no (install libedlib-dev)"])
AC_SUBST([EDLIB_LIBS])
AM_CONDITIONAL([HAVE_EDLIB], [test "x$have_edlib" = xyes])

# gnuplot draws the SVG plots of `make bench-report`.
AC_PATH_PROG([GNUPLOT], [gnuplot], [])
AC_ARG_VAR([GNUPLOT], [gnuplot used by make bench-report])
