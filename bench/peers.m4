# Optional benchmark peers, included by configure.ac. None is required: each sets an
# AM_CONDITIONAL and a config.h define, and the runner prints "not built (install X)"
# in the rows of a missing one. bench_peers_summary lists what was found.
bench_peers_summary=""
bench_peer_add() { bench_peers_summary="${bench_peers_summary:+$bench_peers_summary }$1"; }

# OpenMP tasks through the compiler's runtime (gcc: libgomp).
AC_OPENMP
AS_IF([test "x$ac_cv_prog_c_openmp" != x && test "x$ac_cv_prog_c_openmp" != xunsupported],
  [have_peer_omp=yes
   AC_DEFINE([HAVE_PEER_OMP], [1], [OpenMP tasks available to the benchmarks])
   bench_peer_add omp],
  [have_peer_omp=no; bench_peer_add "omp: no (compiler without OpenMP)"])
AM_CONDITIONAL([HAVE_PEER_OMP], [test "x$have_peer_omp" = xyes])

# LLVM's libomp speaks libgomp's ABI: `make bench` reruns the OpenMP rows with it
# preloaded when it is installed (package libomp-dev).
LIBOMP_PATH=""
for f in /usr/lib/llvm-*/lib/libomp.so /usr/lib/x86_64-linux-gnu/libomp.so.5; do
  AS_IF([test -r "$f"], [LIBOMP_PATH=$f])
done
AC_SUBST([LIBOMP_PATH])
AS_IF([test "x$have_peer_omp" = xyes && test "x$LIBOMP_PATH" != x],
  [AC_DEFINE_UNQUOTED([LIBOMP_PATH], ["$LIBOMP_PATH"], [LLVM libomp used for a second OpenMP pass])
   bench_peer_add llvm-omp],
  [bench_peer_add "llvm-omp: no (install libomp-dev)"])
AM_CONDITIONAL([HAVE_LIBOMP], [test "x$have_peer_omp" = xyes && test "x$LIBOMP_PATH" != x])

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

PKG_CHECK_MODULES([LIBEVENT], [libevent], [have_peer_event=yes], [have_peer_event=no])
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
