/* trace.c: column-oriented finite traces (bitset and numeric columns) and the CSV loader. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ltl_trace.h"

int eng_ltl_trace_create(eng_ltl_trace **out, size_t n, int closed) {
  if (!out) return ENG_EINVAL;
  *out = NULL;
  if (n > ((size_t)1 << 40)) return ENG_EINVAL;
  eng_ltl_trace *t = calloc(1, sizeof *t);
  if (!t) return ENG_ENOMEM;
  t->n = n;
  t->words = (n + 63) / 64;
  t->closed = closed != 0;
  *out = t;
  return 0;
}

void eng_ltl_trace_free(eng_ltl_trace *t) {
  if (!t) return;
  for (size_t i = 0; i < t->ncols; i++) {
    free(t->cols[i].name);
    free(t->cols[i].bits);
    free(t->cols[i].num);
  }
  free(t->cols);
  free(t);
}

size_t eng_ltl_trace_length(const eng_ltl_trace *t) { return t ? t->n : 0; }

const ltl_column *eng__ltl_trace_find(const eng_ltl_trace *t, const char *name) {
  for (size_t i = 0; i < t->ncols; i++)
    if (strcmp(t->cols[i].name, name) == 0) return &t->cols[i];
  return NULL;
}

static ltl_column *add_col(eng_ltl_trace *t, const char *name, int *rc) {
  *rc = ENG_EINVAL;
  if (!t || !name || !*name || eng__ltl_trace_find(t, name)) return NULL;
  *rc = ENG_ENOMEM;
  if (t->ncols == t->cap) {
    size_t nc = t->cap ? t->cap * 2 : 8;
    ltl_column *n = realloc(t->cols, nc * sizeof *n);
    if (!n) return NULL;
    t->cols = n;
    t->cap = nc;
  }
  ltl_column *c = &t->cols[t->ncols];
  memset(c, 0, sizeof *c);
  c->name = strdup(name);
  c->nonbool = SIZE_MAX;
  /* one spare word so readers may look one word past the end */
  c->bits = calloc(t->words + 1, sizeof *c->bits);
  if (!c->name || !c->bits) {
    free(c->name);
    free(c->bits);
    return NULL;
  }
  *rc = 0;
  return c;
}

int eng_ltl_trace_add_bool(eng_ltl_trace *t, const char *name, const unsigned char *v) {
  int rc;
  if (t && t->n && !v) return ENG_EINVAL;
  ltl_column *c = add_col(t, name, &rc);
  if (!c) return rc;
  c->kind = 1;
  for (size_t i = 0; i < t->n; i++)
    if (v[i]) c->bits[i / 64] |= (uint64_t)1 << (i % 64);
  t->ncols++;
  return 0;
}

int eng_ltl_trace_add_bits(eng_ltl_trace *t, const char *name, const uint64_t *words) {
  int rc;
  if (t && t->n && !words) return ENG_EINVAL;
  ltl_column *c = add_col(t, name, &rc);
  if (!c) return rc;
  c->kind = 1;
  if (t->words) {
    memcpy(c->bits, words, t->words * sizeof *words);
    if (t->n % 64) c->bits[t->words - 1] &= ((uint64_t)1 << (t->n % 64)) - 1;
  }
  t->ncols++;
  return 0;
}

int eng_ltl_trace_add_num(eng_ltl_trace *t, const char *name, const double *v, size_t *bad_row) {
  int rc;
  if (t && t->n && !v) return ENG_EINVAL;
  for (size_t i = 0; t && i < t->n; i++) {
    if (!isfinite(v[i])) {
      if (bad_row) *bad_row = i;
      return ENG_ENAN;
    }
  }
  ltl_column *c = add_col(t, name, &rc);
  if (!c) return rc;
  c->kind = 2;
  c->num = malloc((t->n ? t->n : 1) * sizeof *c->num);
  if (!c->num) {
    free(c->name);
    free(c->bits);
    return ENG_ENOMEM;
  }
  if (t->n) memcpy(c->num, v, t->n * sizeof *v);
  /* The 0/1 view, for a plain atom naming this signal; nonbool remembers the
   * first step that has another value (an error if such an atom is used). */
  c->nonbool = SIZE_MAX;
  for (size_t i = 0; i < t->n; i++) {
    if (v[i] == 1.0) c->bits[i / 64] |= (uint64_t)1 << (i % 64);
    else if (v[i] != 0.0 && c->nonbool == SIZE_MAX) c->nonbool = i;
  }
  t->ncols++;
  return 0;
}

int eng_ltl_trace_column_kind(const eng_ltl_trace *t, const char *name) {
  if (!t || !name) return 0;
  const ltl_column *c = eng__ltl_trace_find(t, name);
  return c ? c->kind : 0;
}

size_t eng_ltl_trace_column_count(const eng_ltl_trace *t) { return t ? t->ncols : 0; }

const char *eng_ltl_trace_column_name(const eng_ltl_trace *t, size_t i) {
  return t && i < t->ncols ? t->cols[i].name : NULL;
}

/* ------------------------------------------------------------------ CSV */

typedef struct cellref {
  const char *p;
  size_t len;
} cellref;

static void trim(const char **p, size_t *len) {
  while (*len && isspace((unsigned char)(*p)[0])) (*p)++, (*len)--;
  while (*len && isspace((unsigned char)(*p)[*len - 1])) (*len)--;
}

/* Splits line [p, e) into cells; returns the count (cells may be NULL to count). */
static size_t split(const char *p, const char *e, cellref *cells, size_t max) {
  size_t k = 0;
  const char *s = p;
  for (const char *q = p;; q++) {
    if (q == e || *q == ',') {
      if (cells && k < max) {
        cells[k].p = s;
        cells[k].len = (size_t)(q - s);
        trim(&cells[k].p, &cells[k].len);
      }
      k++;
      s = q + 1;
      if (q == e) break;
    }
  }
  return k;
}

static int blank(const char *p, const char *e) {
  for (; p < e; p++)
    if (!isspace((unsigned char)*p)) return 0;
  return 1;
}

static int csv_fail(eng_ltl_diag *d, int code, const char *text, size_t off, size_t row, const char *col,
                    const char *fmt, const char *arg) {
  eng__ltl_diag_set(d, code, text, off, fmt, arg ? arg : "");
  if (d) {
    d->row = row;
    snprintf(d->column, sizeof d->column, "%s", col ? col : "");
  }
  return code;
}

int eng_ltl_trace_parse_csv(const char *text, size_t len, eng_ltl_trace **out, eng_ltl_diag *d) {
  if (d) memset(d, 0, sizeof *d);
  if (!out || (!text && len)) return ENG_EINVAL;
  *out = NULL;
  if (!text) text = "";
  const char *end = text + len;
  /* header */
  const char *p = text;
  while (p < end) {
    const char *e = memchr(p, '\n', (size_t)(end - p));
    if (!e) e = end;
    if (!blank(p, e)) break;
    p = e < end ? e + 1 : end;
  }
  if (p >= end) return csv_fail(d, ENG_EPARSE, text, 0, 0, NULL, "no header row", NULL);
  const char *he = memchr(p, '\n', (size_t)(end - p));
  if (!he) he = end;
  size_t ncols = split(p, he, NULL, 0);
  cellref *hdr = calloc(ncols, sizeof *hdr);
  cellref *cells = calloc(ncols, sizeof *cells);
  char **names = calloc(ncols, sizeof *names);
  size_t maxrows = 1;
  for (const char *q = he; q < end; q++) maxrows += *q == '\n';
  double *vals = NULL;
  unsigned char *isbool = NULL, *isnum = NULL;
  int rc = ENG_ENOMEM;
  eng_ltl_trace *t = NULL;
  if (!hdr || !cells || !names) goto out;
  vals = malloc(ncols * maxrows * sizeof *vals);
  isbool = calloc(ncols, 1); /* saw true/false */
  isnum = calloc(ncols, 1);  /* saw a number other than 0 or 1 */
  if (!vals || !isbool || !isnum) goto out;
  split(p, he, hdr, ncols);
  for (size_t c = 0; c < ncols; c++) {
    if (hdr[c].len && hdr[c].p[hdr[c].len - 1] == '\r') hdr[c].len--;
    names[c] = malloc(hdr[c].len + 1);
    if (!names[c]) goto out;
    memcpy(names[c], hdr[c].p, hdr[c].len);
    names[c][hdr[c].len] = 0;
    if (!hdr[c].len) {
      rc = csv_fail(d, ENG_EPARSE, text, (size_t)(hdr[c].p - text), 0, NULL, "empty column name", NULL);
      goto out;
    }
    for (size_t k = 0; k < c; k++) {
      if (strcmp(names[k], names[c]) == 0) {
        rc = csv_fail(d, ENG_EPARSE, text, (size_t)(hdr[c].p - text), 0, names[c], "duplicate column '%s'",
                      names[c]);
        goto out;
      }
    }
  }
  size_t rows = 0;
  for (p = he < end ? he + 1 : end; p < end;) {
    const char *e = memchr(p, '\n', (size_t)(end - p));
    if (!e) e = end;
    const char *le = e;
    if (le > p && le[-1] == '\r') le--;
    if (!blank(p, le)) {
      size_t k = split(p, le, cells, ncols);
      if (k != ncols) {
        char msg[96];
        snprintf(msg, sizeof msg, "row %zu has %zu cells, the header has %zu", rows + 1, k, ncols);
        rc = csv_fail(d, ENG_EPARSE, text, (size_t)(p - text), rows + 1, k > ncols ? NULL : names[k], "%s",
                      msg);
        goto out;
      }
      for (size_t c = 0; c < ncols; c++) {
        const char *cp = cells[c].p;
        size_t cl = cells[c].len;
        size_t off = (size_t)(cp - text);
        double v;
        if (cl == 0) {
          rc = csv_fail(d, ENG_EPARSE, text, off, rows + 1, names[c], "empty cell in column '%s'", names[c]);
          goto out;
        }
        if ((cl == 4 && strncasecmp(cp, "true", 4) == 0) || (cl == 5 && strncasecmp(cp, "false", 5) == 0)) {
          v = cl == 4;
          isbool[c] = 1;
        } else {
          char tmp[80], *ep;
          if (cl >= sizeof tmp) {
            rc = csv_fail(d, ENG_EPARSE, text, off, rows + 1, names[c], "cell too long in column '%s'", names[c]);
            goto out;
          }
          memcpy(tmp, cp, cl);
          tmp[cl] = 0;
          errno = 0;
          v = strtod(tmp, &ep);
          if (ep == tmp || *ep) {
            rc = csv_fail(d, ENG_EPARSE, text, off, rows + 1, names[c],
                          "column '%s': expected true, false or a number", names[c]);
            goto out;
          }
          if (!isfinite(v)) {
            rc = csv_fail(d, ENG_ENAN, text, off, rows + 1, names[c], "column '%s': NaN or infinity", names[c]);
            goto out;
          }
          if (v != 0.0 && v != 1.0) isnum[c] = 1;
        }
        if (isbool[c] && isnum[c]) {
          rc = csv_fail(d, ENG_ETYPE, text, off, rows + 1, names[c],
                        "column '%s' mixes true/false with numbers", names[c]);
          goto out;
        }
        vals[c * maxrows + rows] = v;
      }
      rows++;
    }
    p = e < end ? e + 1 : end;
  }
  rc = eng_ltl_trace_create(&t, rows, 0);
  if (rc) goto out;
  for (size_t c = 0; c < ncols && !rc; c++) {
    if (isnum[c]) {
      rc = eng_ltl_trace_add_num(t, names[c], vals + c * maxrows, NULL);
    } else {
      unsigned char *b = malloc(rows ? rows : 1);
      if (!b) {
        rc = ENG_ENOMEM;
        break;
      }
      for (size_t r = 0; r < rows; r++) b[r] = vals[c * maxrows + r] != 0.0;
      rc = eng_ltl_trace_add_bool(t, names[c], b);
      free(b);
    }
  }
  if (rc) {
    if (d) eng__ltl_diag_set(d, rc, NULL, 0, "%s", eng_strerror(rc));
    eng_ltl_trace_free(t);
    t = NULL;
  }
out:
  if (rc == ENG_ENOMEM && d && !d->code) eng__ltl_diag_set(d, rc, NULL, 0, "out of memory");
  if (names)
    for (size_t c = 0; c < ncols; c++) free(names[c]);
  free(names);
  free(hdr);
  free(cells);
  free(vals);
  free(isbool);
  free(isnum);
  if (!rc) *out = t;
  return rc;
}

int eng_ltl_trace_load_csv(const char *path, eng_ltl_trace **out, eng_ltl_diag *d) {
  if (d) memset(d, 0, sizeof *d);
  if (!path || !out) return ENG_EINVAL;
  *out = NULL;
  FILE *fp = fopen(path, "rb");
  if (!fp) {
    int rc = errno == ENOENT ? ENG_ENOENT : ENG_EIO;
    eng__ltl_diag_set(d, rc, NULL, 0, "cannot open '%s'", path);
    return rc;
  }
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap);
  int rc = 0;
  while (buf) {
    if (n == cap) {
      char *nb = realloc(buf, cap * 2);
      if (!nb) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = nb;
      cap *= 2;
    }
    size_t k = fread(buf + n, 1, cap - n, fp);
    n += k;
    if (k == 0) break;
  }
  if (!buf) rc = ENG_ENOMEM;
  else if (ferror(fp)) rc = ENG_EIO;
  fclose(fp);
  if (rc) {
    free(buf);
    eng__ltl_diag_set(d, rc, NULL, 0, "cannot read '%s'", path);
    return rc;
  }
  rc = eng_ltl_trace_parse_csv(buf, n, out, d);
  free(buf);
  return rc;
}
