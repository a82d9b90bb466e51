/* dtw_internal.h: helpers shared by the DTW kernel files (not installed). */
#ifndef ENGINE_DTW_INTERNAL_H
#define ENGINE_DTW_INTERNAL_H

#include <math.h>
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

/* Point cost: squared or absolute difference. */
static inline double eng__dtw_cost(double a, double b, int sq)
{
  double t = a - b;
  return sq ? t * t : fabs(t);
}

#if defined(__SSE2__)
#include <emmintrin.h>
/* max(v, 0) as one maxsd: gcc otherwise emits a poorly predicted branch here. */
static inline double eng__pos0(double v)
{
  return _mm_cvtsd_f64(_mm_max_sd(_mm_set_sd(v), _mm_setzero_pd()));
}
#else
static inline double eng__pos0(double v) { return v > 0 ? v : 0.0; }
#endif

/* Cost of a point against an envelope [lo, hi] (LB_Keogh, Keogh 2002).
 * Branch-free: with lo <= hi at most one of the two gaps is positive. */
static inline double eng__dtw_outside(double a, double lo, double hi, int sq)
{
  double t = eng__pos0(a - hi) + eng__pos0(lo - a);
  return sq ? t * t : t;
}

/* The checks every two-series entry point makes, with opts defaulted into
 * *def when NULL: 0, ENG_EINVAL or ENG_ENAN. */
int eng__dtw_check_pair(const double *a, size_t na, const double *b, size_t nb,
                        const eng_dtw_opts **opts, eng_dtw_opts *def);

/* The internal bound for the raw (unnormalised) sum. With normalisation the
 * scaled cutoff is nudged up a little so pruning never abandons a distance
 * the final, exact comparison would accept. */
static inline double eng__dtw_raw_bound(const eng_dtw_opts *o, size_t na, size_t nb)
{
  if (!o->normalize || isinf(o->cutoff))
    return o->cutoff;
  double s = o->cutoff * (double)(na + nb);
  return s + fabs(s) * 1e-12 + 1e-300;
}

/* The raw sum as the caller sees it (normalised when asked), checked against
 * the cutoff: 0 with *dist, or ENG_ECUTOFF. */
static inline int eng__dtw_finish(const eng_dtw_opts *o, size_t na, size_t nb, double raw,
                                  double *dist)
{
  double v = o->normalize ? raw / (double)(na + nb) : raw;
  if (v > o->cutoff)
    return ENG_ECUTOFF;
  *dist = v;
  return 0;
}

#endif
