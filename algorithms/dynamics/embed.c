/* embed.c: delay embedding (Takens 1981), as a copy or a no-copy view, and the shared series scan. */
#include <math.h>

#include "engine/dynamics.h"
#include "dyn_internal.h"

int eng__dyn_scan(const double *x, size_t n)
{
  int varies = 0;
  for (size_t i = 0; i < n; i++) {
    if (!isfinite(x[i])) return ENG_ENAN;
    if (x[i] != x[0]) varies = 1;
  }
  return varies ? 0 : ENG_ECONST;
}

size_t eng_embed_rows(size_t n, unsigned m, unsigned tau)
{
  if (m == 0 || tau == 0) return 0;
  size_t span = (size_t)(m - 1) * tau;
  /* span / tau recovers m-1 unless the product overflowed. */
  if (tau && span / tau != (size_t)(m - 1)) return 0;
  return n > span ? n - span : 0;
}

int eng_embed_view(const double *x, size_t n, unsigned m, unsigned tau, eng_embedding *v)
{
  if (!x || !v || m == 0 || tau == 0) return ENG_EINVAL;
  size_t rows = eng_embed_rows(n, m, tau);
  if (rows == 0) return ENG_ESHORT;
  v->base = x;
  v->rows = rows;
  v->stride = tau;
  v->m = m;
  return 0;
}

int eng_embed(const double *x, size_t n, unsigned m, unsigned tau, double *out, size_t *rows)
{
  eng_embedding v;
  if (!out) return ENG_EINVAL;
  int rc = eng_embed_view(x, n, m, tau, &v);
  if (rc) return rc;
  for (size_t i = 0; i < n; i++)
    if (!isfinite(x[i])) return ENG_ENAN;
  /* Row by row: the writes, which dominate, stay sequential, and the m reads
   * per row come from m streams the prefetcher follows. */
  for (size_t i = 0; i < v.rows; i++)
    for (unsigned j = 0; j < m; j++) out[i * m + j] = x[i + (size_t)j * tau];
  if (rows) *rows = v.rows;
  return 0;
}
