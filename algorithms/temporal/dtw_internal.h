/* dtw_internal.h: helpers shared by the DTW kernel files (not installed). */
#ifndef ENGINE_DTW_INTERNAL_H
#define ENGINE_DTW_INTERNAL_H

#include <stddef.h>

#include "engine/temporal.h"

/* 0 when every x[i] is finite, else ENG_ENAN. */
int eng__dtw_finite(const double *x, size_t n);

/* 0, or ENG_EINVAL for a bad cost, a negative window or a NaN cutoff. */
int eng__dtw_check_opts(const eng_dtw_opts *o);

/* The effective band radius: opts->window capped at the longer length and
 * widened to |na - nb| so that a warping path always exists. */
size_t eng__dtw_radius(const eng_dtw_opts *o, size_t na, size_t nb);

/* Streaming envelope: for i < nout, lower[i]/upper[i] = min/max of
 * x[max(0, i-r) .. min(nx-1, i+r)] (every such window must be non-empty).
 * ring holds 2 * cap size_t, cap a power of two >= min(nx, 2r + 1) + 1 (half of
 * eng_dtw_envelope_workspace). */
void eng__dtw_envelope(const double *x, size_t nx, size_t r, size_t nout, double *lower,
                       double *upper, size_t *ring, size_t cap);

#endif
