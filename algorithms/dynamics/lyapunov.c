/* lyapunov.c: largest Lyapunov exponent from a scalar series (Rosenstein 1993, Kantz 1994). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "attr_internal.h"

struct eng_lyap_plan {
  eng_lyap_opts o;
  double *x;        /* standardised copy of the series */
  size_t n;
  size_t rows;      /* delay vectors with a full future of kmax steps */
  size_t kmax;
  size_t theiler;
  size_t nref;      /* reference points used (evenly spread over rows) */
  double eps;       /* Kantz radius, in standardised units */
  double sd;        /* of the original series (eps is reported in its units) */
  unsigned blocks;
  eng_kdtree *tree; /* over rows 0..rows-1 */
  double *sum;      /* blocks x (kmax+1) sums of log distances */
  uint64_t *cnt;    /* blocks x (kmax+1) terms */
  size_t *used;     /* per block: references that contributed */
  unsigned char *done;
};

void eng_lyap_opts_init(eng_lyap_opts *o)
{
  if (!o)
    return;
  memset(o, 0, sizeof *o);
  o->method = ENG_LYAP_ROSENSTEIN;
  o->m = 2;
  o->tau = 1;
  o->theiler = ENG_LYAP_AUTO;
  o->kmax = 0;
  o->dt = 1.0;
  o->fit_lo = 0;
  o->fit_hi = 0;
  o->eps = 0.0;
  o->kantz_k = 4;
  o->min_neighbors = 2;
  o->max_neighbors = 64;
  o->nref = 0;
  o->blocks = 8;
}

void eng_lyap_plan_destroy(eng_lyap_plan *p)
{
  if (!p)
    return;
  eng_kdtree_destroy(p->tree);
  free(p->x);
  free(p->sum);
  free(p->cnt);
  free(p->used);
  free(p->done);
  free(p);
}

unsigned eng_lyap_plan_blocks(const eng_lyap_plan *p) { return p ? p->blocks : 0; }
size_t eng_lyap_plan_kmax(const eng_lyap_plan *p) { return p ? p->kmax : 0; }

static size_t ref_point(const eng_lyap_plan *p, size_t r)
{
  /* evenly spread: r * rows / nref, exact in integers */
  return (size_t)(((unsigned long long)r * p->rows) / p->nref);
}

/* Kantz auto radius: median over a sample of references of the distance to
 * the kantz_k-th neighbour outside the Theiler window (max norm). */
static int kantz_eps(eng_lyap_plan *p, double *eps)
{
  size_t k = p->o.kantz_k, sample = p->rows < 400 ? p->rows : 400;
  size_t *idx = malloc(k * sizeof *idx);
  double *dist = malloc(k * sizeof *dist), *med = malloc(sample * sizeof *med);
  double q[64];
  size_t got = 0;
  if (!idx || !dist || !med) {
    free(idx);
    free(dist);
    free(med);
    return ENG_ENOMEM;
  }
  for (size_t s = 0; s < sample; s++) {
    size_t i = (size_t)(((unsigned long long)s * p->rows) / sample), found = 0;
    for (unsigned c = 0; c < p->o.m; c++)
      q[c] = p->x[i + (size_t)c * p->o.tau];
    eng_kdtree_knn(p->tree, q, i, p->theiler, k, idx, dist, &found);
    if (found == k)
      med[got++] = dist[k - 1];
  }
  double e = 0.0;
  if (got > 0) {
    /* median by partial insertion sort: got <= 400 */
    for (size_t a = 1; a < got; a++) {
      double v = med[a];
      size_t b = a;
      while (b > 0 && med[b - 1] > v) {
        med[b] = med[b - 1];
        b--;
      }
      med[b] = v;
    }
    e = med[got / 2];
  }
  free(idx);
  free(dist);
  free(med);
  if (!(e > 0.0))
    return ENG_ERANGE;
  *eps = e;
  return 0;
}

int eng__lyap_plan_begin(eng_lyap_plan **out, const double *x, size_t n,
                         const eng_lyap_opts *oin, unsigned *parts)
{
  eng_lyap_opts def;
  if (!oin) {
    eng_lyap_opts_init(&def);
    oin = &def;
  }
  if (!out || !x)
    return ENG_EINVAL;
  *out = NULL;
  const eng_lyap_opts *o = oin;
  if (o->m == 0 || o->tau == 0 || o->m > 64 || !(o->dt > 0.0) || !isfinite(o->dt) ||
      (o->method != ENG_LYAP_ROSENSTEIN && o->method != ENG_LYAP_KANTZ) || o->blocks == 0 ||
      o->blocks > 4096 || (o->fit_hi != 0 && o->fit_lo >= o->fit_hi) || o->eps < 0.0 ||
      isnan(o->eps) || (o->method == ENG_LYAP_KANTZ && (o->kantz_k == 0 || o->max_neighbors == 0)))
    return ENG_EINVAL;
  double mean, sd;
  int rc = eng__series_check(x, n, &mean, &sd);
  if (rc)
    return rc;
  size_t span = (size_t)(o->m - 1) * o->tau;
  if (n < span + 32)
    return ENG_ESHORT;
  size_t nvec = n - span;

  double period = eng__mean_period(x, n, mean, sd);
  size_t kmax = o->kmax;
  if (kmax == 0) {
    double kp = period > 0.0 ? 10.0 * period : 20.0;
    kmax = kp < 20.0 ? 20 : (kp > 1000.0 ? 1000 : (size_t)kp);
    if (kmax > nvec / 4)
      kmax = nvec / 4;
  }
  if (o->fit_hi > kmax || kmax + 16 > nvec)
    return o->fit_hi > kmax && kmax + 16 <= nvec ? ENG_EINVAL : ENG_ESHORT;
  size_t rows = nvec - kmax;
  size_t w = o->theiler == ENG_LYAP_AUTO ? eng__auto_theiler(period, o->m, o->tau, rows)
                                         : o->theiler;
  if (w >= rows / 2)
    return ENG_ESHORT;

  eng_lyap_plan *p = calloc(1, sizeof *p);
  if (!p)
    return ENG_ENOMEM;
  p->o = *o;
  p->n = n;
  p->rows = rows;
  p->kmax = kmax;
  p->theiler = w;
  p->sd = sd;
  p->nref = (o->nref == 0 || o->nref > rows) ? rows : o->nref;
  p->blocks = o->blocks > p->nref ? (unsigned)p->nref : o->blocks;
  p->x = malloc(n * sizeof *p->x);
  p->sum = calloc((size_t)p->blocks * (kmax + 1), sizeof *p->sum);
  p->cnt = calloc((size_t)p->blocks * (kmax + 1), sizeof *p->cnt);
  p->used = calloc(p->blocks, sizeof *p->used);
  p->done = calloc(p->blocks, 1);
  if (!p->x || !p->sum || !p->cnt || !p->used || !p->done) {
    eng_lyap_plan_destroy(p);
    return ENG_ENOMEM;
  }
  /* Standardising makes every distance O(1), so the product trick below
   * cannot overflow, and the exponent does not depend on scale or offset. */
  for (size_t i = 0; i < n; i++)
    p->x[i] = (x[i] - mean) / sd;
  eng_points pts = {p->x, rows, o->m, 1, o->tau};
  rc = eng__kdtree_begin(&p->tree, &pts,
                         o->method == ENG_LYAP_KANTZ ? ENG_NORM_MAX : ENG_NORM_EUCLID, parts);
  if (rc) {
    eng_lyap_plan_destroy(p);
    return rc;
  }
  *out = p;
  return 0;
}

void eng__lyap_plan_tree(eng_lyap_plan *p, unsigned i) { eng__kdtree_part(p->tree, i); }

int eng__lyap_plan_end(eng_lyap_plan *p)
{
  const eng_lyap_opts *o = &p->o;
  eng__kdtree_end(p->tree);
  if (o->method == ENG_LYAP_KANTZ) {
    if (o->eps > 0.0) {
      p->eps = o->eps / p->sd;
    } else {
      int rc = kantz_eps(p, &p->eps);
      if (rc)
        return rc;
    }
  }
  return 0;
}

int eng_lyap_plan_create(eng_lyap_plan **out, const double *x, size_t n, const eng_lyap_opts *o)
{
  unsigned parts = 0;
  int rc = eng__lyap_plan_begin(out, x, n, o, &parts);
  if (rc)
    return rc;
  for (unsigned i = 0; i < parts; i++)
    eng__lyap_plan_tree(*out, i);
  rc = eng__lyap_plan_end(*out);
  if (rc) {
    eng_lyap_plan_destroy(*out);
    *out = NULL;
  }
  return rc;
}

/* Sums of logs are accumulated as running products folded into a log only
 * when they leave [1e-120, 1e120]: one log per ~30 terms instead of one per
 * term. Every factor is a squared (standardised) distance or an average
 * distance, bounded above by ~100 and skipped when below 1e-100. */
static inline void acc_log(double *prod, double *sum, double v)
{
  if (v < 1e-100) {
    *sum += log(v);
    return;
  }
  double q = *prod * v;
  if (q < 1e-120 || q > 1e120) {
    *sum += log(q);
    q = 1.0;
  }
  *prod = q;
}

typedef struct kantz_collect {
  size_t *idx, cap, n;
} kantz_collect;

static void kantz_add(void *ud, size_t j)
{
  kantz_collect *c = ud;
  if (c->n < c->cap)
    c->idx[c->n++] = j;
}

int eng_lyap_plan_run(eng_lyap_plan *p, unsigned b)
{
  if (!p || b >= p->blocks)
    return ENG_EINVAL;
  size_t K = p->kmax + 1;
  /* The block accumulates in memory of its own and copies its curve out at
   * the end: neighbouring blocks' rows of p->sum and p->cnt share a cache
   * line, and updating them in place from two workers made every block 40%
   * slower (false sharing on one line, written once per reference point). */
  double *prod = malloc(K * (2 * sizeof(double) + sizeof(uint64_t)));
  size_t cap = p->o.method == ENG_LYAP_KANTZ ? p->o.max_neighbors : 4;
  size_t *nb = malloc(cap * sizeof *nb);
  if (!prod || !nb) {
    free(prod);
    free(nb);
    return ENG_ENOMEM;
  }
  double *sum = prod + K;
  uint64_t *cnt = (uint64_t *)(sum + K);
  for (size_t k = 0; k < K; k++) {
    prod[k] = 1.0;
    sum[k] = 0.0;
    cnt[k] = 0;
  }
  const double *x = p->x;
  unsigned m = p->o.m;
  size_t tau = p->o.tau, last = (size_t)(m - 1) * tau;
  size_t r0 = (size_t)(((unsigned long long)b * p->nref) / p->blocks);
  size_t r1 = (size_t)(((unsigned long long)(b + 1) * p->nref) / p->blocks);
  size_t used = 0;
  double q[64], dist[4];
  for (size_t r = r0; r < r1; r++) {
    size_t i = ref_point(p, r);
    for (unsigned c = 0; c < m; c++)
      q[c] = x[i + (size_t)c * tau];
    if (p->o.method == ENG_LYAP_ROSENSTEIN) {
      /* Rosenstein et al. 1993 eq. (2)-(3): the nearest neighbour outside the
       * Theiler window; an exact duplicate (distance 0) has no log, so the
       * nearest neighbour at a positive distance is taken. */
      size_t found = 0, j = 0;
      /* one neighbour first: a k = 1 search prunes far more of the tree,
       * and only an exact duplicate needs the wider search */
      eng_kdtree_knn(p->tree, q, i, p->theiler, 1, nb, dist, &found);
      if (found == 1 && !(dist[0] > 0.0))
        eng_kdtree_knn(p->tree, q, i, p->theiler, 4, nb, dist, &found);
      size_t a = 0;
      while (a < found && !(dist[a] > 0.0))
        a++;
      if (a == found)
        continue;
      j = nb[a];
      used++;
      const double *xi = x + i, *xj = x + j;
      for (size_t k = 0; k < K; k++) {
        double d2 = 0.0;
        for (size_t c = 0; c <= last; c += tau) {
          double d = xi[k + c] - xj[k + c];
          d2 += d * d;
        }
        if (d2 > 0.0) {
          acc_log(&prod[k], &sum[k], d2);
          cnt[k]++;
        }
      }
    } else {
      /* Kantz 1994: S(k) = < ln( mean_{j in U_eps(i)} ||y_{i+k} - y_{j+k}|| ) >_i
       * (Euclidean distance of the delay vectors k steps later): the log is
       * taken of the neighbourhood AVERAGE distance, not averaged over logs. */
      kantz_collect col = {nb, cap, 0};
      eng__kdtree_visit(p->tree, q, i, p->theiler, 0, p->eps, kantz_add, &col);
      if (col.n < p->o.min_neighbors)
        continue;
      used++;
      double inv = 1.0 / (double)col.n;
      const double *xi = x + i;
      for (size_t k = 0; k < K; k++) {
        double s = 0.0;
        for (size_t a = 0; a < col.n; a++) {
          const double *xj = x + nb[a];
          double d2 = 0.0;
          for (size_t c = 0; c <= last; c += tau) {
            double d = xi[k + c] - xj[k + c];
            d2 += d * d;
          }
          s += sqrt(d2);
        }
        s *= inv;
        if (s > 0.0) {
          acc_log(&prod[k], &sum[k], s);
          cnt[k]++;
        }
      }
    }
  }
  for (size_t k = 0; k < K; k++)
    if (prod[k] != 1.0)
      sum[k] += log(prod[k]);
  if (p->o.method == ENG_LYAP_ROSENSTEIN)
    for (size_t k = 0; k < K; k++)
      sum[k] *= 0.5; /* logs of squared distances */
  memcpy(p->sum + (size_t)b * K, sum, K * sizeof *sum);
  memcpy(p->cnt + (size_t)b * K, cnt, K * sizeof *cnt);
  p->used[b] = used;
  p->done[b] = 1;
  free(prod);
  free(nb);
  return 0;
}

int eng_lyap_fit(const double *y, size_t lo, size_t hi, double *slope, double *intercept,
                 double *r2)
{
  if (!y || hi <= lo)
    return ENG_EINVAL;
  double n = (double)(hi - lo + 1), sx = 0, sy = 0;
  for (size_t k = lo; k <= hi; k++) {
    if (!isfinite(y[k]))
      return ENG_ERANGE;
    sx += (double)k;
    sy += y[k];
  }
  double mx = sx / n, my = sy / n, sxx = 0, sxy = 0, syy = 0;
  for (size_t k = lo; k <= hi; k++) {
    double dx = (double)k - mx, dy = y[k] - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  double b = sxy / sxx;
  if (slope)
    *slope = b;
  if (intercept)
    *intercept = my - b * mx;
  if (r2)
    *r2 = syy > 0.0 ? (sxy * sxy) / (sxx * syy) : 1.0;
  return 0;
}

/* The automatic fit range. With D = max(y) - y[0] the total divergence, the
 * linear (exponential-growth) region lies between the end of the initial
 * alignment transient and the approach to saturation: from the first k with
 * y - y[0] >= 0.15 D to the last k before y - y[0] first reaches 0.65 D.
 * A curve with D < 0.7 (less than a factor 2 of divergence) has no growth
 * region: the whole curve is fitted (its slope is then ~0). */
int eng_lyap_fit_auto(const double *y, size_t len, size_t *lo, size_t *hi)
{
  if (!y || len < 3 || !lo || !hi)
    return ENG_EINVAL;
  double y0 = y[0], ymax = y[0];
  size_t kmaxat = 0;
  for (size_t k = 1; k < len; k++)
    if (y[k] > ymax) {
      ymax = y[k];
      kmaxat = k;
    }
  double D = ymax - y0;
  if (!(D >= 0.7)) {
    *lo = 0;
    *hi = len - 1;
    return 0;
  }
  size_t a = 0, b = kmaxat;
  while (a < kmaxat && y[a] - y0 < 0.15 * D)
    a++;
  b = a;
  while (b < kmaxat && y[b + 1] - y0 < 0.65 * D)
    b++;
  if (a > 0 && b - a < 2)
    a--;
  if (b - a < 2)
    b = a + 2 < len ? a + 2 : len - 1;
  *lo = a;
  *hi = b;
  return 0;
}

int eng_lyap_plan_finish(eng_lyap_plan *p, double *curve, size_t cap, eng_lyap_result *res)
{
  if (!p || !res)
    return ENG_EINVAL;
  for (unsigned b = 0; b < p->blocks; b++)
    if (!p->done[b])
      return ENG_EINVAL;
  size_t K = p->kmax + 1;
  double *y = malloc(K * sizeof *y), *yb = malloc(K * sizeof *yb);
  double *bs = malloc(p->blocks * sizeof *bs);
  if (!y || !yb || !bs) {
    free(y);
    free(yb);
    free(bs);
    return ENG_ENOMEM;
  }
  int rc = 0;
  size_t used = 0;
  for (unsigned b = 0; b < p->blocks; b++)
    used += p->used[b];
  for (size_t k = 0; k < K && !rc; k++) {
    double s = 0.0;
    uint64_t c = 0;
    for (unsigned b = 0; b < p->blocks; b++) {
      s += p->sum[(size_t)b * K + k];
      c += p->cnt[(size_t)b * K + k];
    }
    if (c == 0)
      rc = ENG_ERANGE;
    else
      y[k] = s / (double)c;
  }
  if (used == 0)
    rc = ENG_ERANGE;
  if (!rc) {
    memset(res, 0, sizeof *res);
    size_t lo = p->o.fit_lo, hi = p->o.fit_hi;
    if (hi == 0)
      eng_lyap_fit_auto(y, K, &lo, &hi);
    rc = eng_lyap_fit(y, lo, hi, &res->lambda, &res->intercept, &res->r2);
    if (!rc) {
      /* Confidence interval: the same fit on each block's curve; the block
       * slopes are treated as independent estimates (Student t). */
      size_t nb = 0;
      for (unsigned b = 0; b < p->blocks; b++) {
        int ok = 1;
        for (size_t k = lo; k <= hi; k++) {
          uint64_t c = p->cnt[(size_t)b * K + k];
          if (c == 0) {
            ok = 0;
            break;
          }
          yb[k] = p->sum[(size_t)b * K + k] / (double)c;
        }
        if (ok && eng_lyap_fit(yb, lo, hi, &bs[nb], NULL, NULL) == 0)
          nb++;
      }
      double half = INFINITY;
      if (nb >= 2) {
        double mu = 0.0, v = 0.0;
        for (size_t i = 0; i < nb; i++)
          mu += bs[i];
        mu /= (double)nb;
        for (size_t i = 0; i < nb; i++)
          v += (bs[i] - mu) * (bs[i] - mu);
        v /= (double)(nb - 1);
        half = eng__t975(nb - 1) * sqrt(v / (double)nb);
      }
      res->ci_lo = res->lambda - half;
      res->ci_hi = res->lambda + half;
      res->lambda_time = res->lambda / p->o.dt;
      res->fit_lo = lo;
      res->fit_hi = hi;
      res->kmax = p->kmax;
      res->theiler = p->theiler;
      res->eps = p->o.method == ENG_LYAP_KANTZ ? p->eps * p->sd : 0.0;
      res->nref = used;
      double ymax = y[0];
      for (size_t k = 1; k < K; k++)
        if (y[k] > ymax)
          ymax = y[k];
      res->rise = ymax - y[0];
      /* curves are reported in the units of the series */
      if (curve) {
        double shift = log(p->sd);
        for (size_t k = 0; k < K && k < cap; k++)
          curve[k] = y[k] + shift;
      }
      res->intercept += log(p->sd);
    }
  }
  free(y);
  free(yb);
  free(bs);
  return rc;
}

int eng_lyapunov(const double *x, size_t n, const eng_lyap_opts *o, double *curve, size_t cap,
                 eng_lyap_result *res)
{
  if (!res)
    return ENG_EINVAL;
  eng_lyap_plan *p;
  int rc = eng_lyap_plan_create(&p, x, n, o);
  if (rc)
    return rc;
  for (unsigned b = 0; b < p->blocks && !rc; b++)
    rc = eng_lyap_plan_run(p, b);
  if (!rc)
    rc = eng_lyap_plan_finish(p, curve, cap, res);
  eng_lyap_plan_destroy(p);
  return rc;
}
