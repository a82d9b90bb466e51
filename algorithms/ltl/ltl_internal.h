/* ltl_internal.h: the node store shared by the ltl parser, printer, checker and monitor. */
#ifndef ENGINE_LTL_INTERNAL_H
#define ENGINE_LTL_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "engine/ltl.h"

/* Operators. Children always have smaller node ids than their parents, so a
 * loop over ids in increasing order visits operands first (no recursion). */
enum {
  LTL_TRUE, LTL_FALSE, LTL_ATOM,
  LTL_NOT, LTL_AND, LTL_OR, LTL_IMPL, LTL_EQUIV, LTL_XOR,
  LTL_X, LTL_WX, LTL_F, LTL_G, LTL_U, LTL_R, LTL_W, LTL_M,
  LTL_FB, LTL_GB, LTL_UB,            /* bounded: lo, hi */
  LTL_Y, LTL_O, LTL_H, LTL_S,        /* past */
  LTL_N, LTL_WN,                     /* monitor residuals: a step must follow / may follow */
  LTL_OPCOUNT
};

typedef struct ltl_node {
  uint8_t op;
  uint32_t a, b;   /* operands (b for binary), or the atom index for LTL_ATOM */
  uint32_t lo, hi; /* bounds of LTL_FB/GB/UB */
} ltl_node;

typedef struct ltl_atom {
  char *name;
  eng_ltl_cmp cmp;
  double value;
} ltl_atom;

/* A hash-consed node store: identical nodes share one id. */
typedef struct ltl_store {
  ltl_node *nodes;
  uint32_t *depth;
  uint32_t n, cap;
  uint32_t *hash; /* open addressing over node ids + 1, 0 = empty */
  uint32_t hcap;
  ltl_atom *atoms;
  uint32_t natoms, acap;
} ltl_store;

struct eng_ltl_formula {
  ltl_store s;
  uint32_t root;
};

int eng__ltl_store_init(ltl_store *s);
void eng__ltl_store_free(ltl_store *s);
/* The id of node (op, a, b, lo, hi), created when new; UINT32_MAX on ENOMEM. */
uint32_t eng__ltl_mk(ltl_store *s, int op, uint32_t a, uint32_t b, uint32_t lo, uint32_t hi);
/* The atom index for (name, cmp, value), added when new; UINT32_MAX on ENOMEM. */
uint32_t eng__ltl_atom(ltl_store *s, const char *name, size_t len, eng_ltl_cmp cmp, double value);
/* Simplifying constructors (semantics kept on every finite trace, empty included). */
uint32_t eng__ltl_smk(ltl_store *s, int op, uint32_t a, uint32_t b, uint32_t lo, uint32_t hi);
/* Copies node r of src (and what it uses) into dst, simplifying when simp. */
uint32_t eng__ltl_import(ltl_store *dst, const ltl_store *src, uint32_t r, int simp);
int eng__ltl_is_binary(int op);
int eng__ltl_is_past(int op);
/* The value of a node on the empty suffix (LTLf "after the end"). */
int eng__ltl_end_value(const ltl_store *s, uint32_t id, const unsigned char *vals);
void eng__ltl_diag_set(eng_ltl_diag *d, int code, const char *src, size_t off, const char *fmt, ...)
#if defined(__GNUC__)
  __attribute__((format(printf, 5, 6)))
#endif
  ;

/* ---- lexer (lex.c) */
enum {
  TK_EOF, TK_LP, TK_RP, TK_ATOM, TK_TRUE, TK_FALSE,
  TK_NOT, TK_AND, TK_OR, TK_IMPL, TK_EQUIV, TK_XOR,
  TK_UNARY, TK_BINARY, TK_ERROR
};

typedef struct ltl_token {
  int kind;
  int op;            /* LTL_* for TK_UNARY / TK_BINARY */
  uint32_t lo, hi;   /* bounds (op LTL_FB, LTL_GB, LTL_UB) */
  size_t start, end; /* byte range in the input */
  /* TK_ATOM: the atom's name (decoded for a quoted atom) and comparison */
  char *text;
  size_t textlen;
  eng_ltl_cmp cmp;
  double value;
} ltl_token;

typedef struct ltl_lexer {
  const char *src;
  size_t len, pos;
  char *buf; /* decoded quoted atoms */
  size_t bufcap;
} ltl_lexer;

/* Reads the next token. On TK_ERROR, d is filled. */
int eng__ltl_lex(ltl_lexer *lx, ltl_token *t, eng_ltl_diag *d);

#endif
