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

#endif
