/* ltl_trace.h: the layout of eng_ltl_trace, shared by trace.c, check.c and the job adapters. */
#ifndef ENGINE_LTL_TRACE_H
#define ENGINE_LTL_TRACE_H

#include "ltl_internal.h"

typedef struct ltl_column {
  char *name;
  int kind;       /* 1 boolean, 2 numeric */
  uint64_t *bits; /* words + 1 words: the column (boolean) or its 0/1 view (numeric) */
  double *num;    /* numeric: n values */
  size_t nonbool; /* numeric: first step whose value is not 0 or 1, SIZE_MAX if none */
} ltl_column;

struct eng_ltl_trace {
  size_t n, words;
  int closed;
  ltl_column *cols;
  size_t ncols, cap;
};

const ltl_column *eng__ltl_trace_find(const eng_ltl_trace *t, const char *name);

#endif
