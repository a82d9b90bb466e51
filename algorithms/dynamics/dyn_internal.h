/* dyn_internal.h: helpers shared inside algorithms/dynamics (equations side). */
#ifndef ENGINE_DYN_INTERNAL_H
#define ENGINE_DYN_INTERNAL_H

#include "engine/dynamics.h"

/* Vector field of a flow (Lorenz, Rossler) at x into f. */
void eng__dyn_field(const eng_system *s, const double *x, double *f);
/* One classical RK4 step of length h of a flow, in place. */
void eng__dyn_rk4(const eng_system *s, double *x, double h);
/* One iteration of a map (Henon, logistic), in place. */
void eng__dyn_map(const eng_system *s, double *x);
/* 0, ENG_EINVAL or ENG_ENAN for the fields every system kernel relies on. */
int eng__dyn_check(const eng_system *s);
/* Scans x: ENG_ENAN on a non-finite value, ENG_ECONST when all equal, else 0. */
int eng__dyn_scan(const double *x, size_t n);

/* ------------------------------------------------- nearest-neighbour core
 * A k-d tree over n points of dimension m read through a strided view
 * (coordinate c of point i is base[i * pstride + c * cstride]), built in
 * neighbors.c and shared by FNN/Cao and the public eng_kdtree. Points are
 * copied into leaves of ENG__NN_LEAF slots, coordinate-major inside a leaf,
 * so one leaf's distances are a short fixed-length loop the compiler turns
 * into vector code; median splits keep every leaf full but the last. */
#define ENG__NN_LEAF 16

typedef struct eng__nn {
  size_t n, nleaf;
  unsigned m;
  int maxnorm;      /* 1: max norm, 0: Euclidean (distances kept squared) */
  double *leaf;     /* nleaf x m x LEAF coordinates; padding slots hold +inf */
  size_t *idx;      /* nleaf x LEAF: slot -> point index (SIZE_MAX: padding) */
  size_t *slot;     /* n: point index -> slot */
  double *box;      /* (2 nleaf - 1) nodes x (m minima, m maxima), preorder */
  unsigned char *sdim; /* per node: the coordinate it splits on */
  int avx2;         /* 1: self queries scan leaves with AVX2 (set by eng__nn_build
                       from the CPU; 0 forces the portable path, same results) */
  /* Build state (eng__nn_build_top to eng__nn_build_finish): the view, the
   * split keys by slot, and the number of independent parts. */
  const double *base;
  size_t pstride, cstride;
  double *key;
  unsigned parts;
} eng__nn;

/* 1 where the AVX2 leaf scan is compiled in (GCC/clang on x86). */
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define ENG__NN_AVX2 1
#else
#define ENG__NN_AVX2 0
#endif

/* Bytes of workspace eng__nn_build needs (aligned inside). */
size_t eng__nn_work_size(size_t n, unsigned m);

/* Builds t over the view in work (eng__nn_work_size(n, m) bytes); t borrows
 * work, not the view. n >= 1, m >= 1. */
void eng__nn_build(eng__nn *t, void *work, const double *base, size_t n, unsigned m,
                   size_t pstride, size_t cstride, int maxnorm);

/* The same build in stages, so that two threads can share it: _top lays out
 * work and splits the root, returning the number of parts (1 or 2; t borrows
 * the view until _finish); _part builds part i's subtree, leaves and boxes
 * (parts touch disjoint memory: any thread, any order, concurrently); _finish
 * joins the parts. The tree is the one eng__nn_build makes. */
unsigned eng__nn_build_top(eng__nn *t, void *work, const double *base, size_t n, unsigned m,
                           size_t pstride, size_t cstride, int maxnorm);
void eng__nn_build_part(eng__nn *t, unsigned i);
void eng__nn_build_finish(eng__nn *t);

/* Nearest neighbour j of point i of the set (m <= 256) at a POSITIVE distance, with
 * |j - i| > theiler; ties go to the smaller j. hint (ncand entries, any may be
 * SIZE_MAX or out of range) names likely answers: they only tighten the
 * starting bound, the result does not depend on them. Returns j (SIZE_MAX
 * when none) and its raw distance (squared for Euclidean) in *dist. */
size_t eng__nn_self(const eng__nn *t, size_t i, size_t theiler, const size_t *hint,
                    unsigned ncand, double *dist);

#endif
