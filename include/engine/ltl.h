/* engine/ltl.h: LTL over finite traces: a Spot-compatible parser and printer,
 * a bit-parallel LTLf checker (De Giacomo and Vardi 2013), an online
 * three-valued monitor (Bauer, Leucker and Schallhart 2011) and a
 * column-oriented trace with a CSV loader. docs/ltl.md has the grammar, the
 * precedence table and the semantics table.
 *
 * Every function is pure C over caller-owned memory: the objects below are
 * independent, so different objects may be used from different threads at
 * once; one object is "not thread-safe" unless stated otherwise (a formula and
 * a trace are read-only after creation and may be shared by any number of
 * concurrent checks).
 */
#ifndef ENGINE_LTL_H
#define ENGINE_LTL_H

#include <stddef.h>
#include <stdint.h>

#include "engine/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Formulas nested deeper than this (operators or parentheses) are rejected
 * with ENG_EPARSE, so no pass over a formula can exhaust a thread's stack. */
#define ENG_LTL_MAX_DEPTH 1000

/* A diagnostic: where and why parsing or loading failed. offset is a byte
 * offset into the input, line and col are 1-based (col counts bytes); row is
 * the 1-based trace row (CSV: data rows after the header; 0 when not
 * applicable) and column the column or atom name ("" when not applicable).
 * msg is the bare message ("expected formula after 'U'"). */
typedef struct eng_ltl_diag {
  int code;
  size_t offset;
  unsigned line, col;
  size_t row;
  char column[64];
  char msg[160];
} eng_ltl_diag;

/* Writes "line:col: msg", a newline, the input line and a caret line under the
 * column into buf (always NUL-terminated when n > 0). src is the parsed text
 * (may be NULL: then only the first line is written). Returns the length that
 * would have been written (snprintf style). Thread: any thread. */
ENG_EXTERN size_t eng_ltl_diag_format(const eng_ltl_diag *d, const char *src, size_t srclen, char *buf,
                                      size_t n);

/* ------------------------------------------------------------- formulas */

typedef struct eng_ltl_formula eng_ltl_formula;

/* Parses text[0..len) (Spot syntax plus WX, X[!], bounded F/G/U and past
 * Y O H S). *out receives a formula owned by the caller (eng_ltl_formula_free).
 * d may be NULL; on error it is filled.
 * Errors: ENG_EINVAL (NULL arguments), ENG_EPARSE (syntax, bounds, nesting
 * deeper than ENG_LTL_MAX_DEPTH), ENG_ENOMEM. Thread: any thread. */
ENG_EXTERN int eng_ltl_parse(const char *text, size_t len, eng_ltl_formula **out, eng_ltl_diag *d);

/* Frees f; NULL is a no-op. */
ENG_EXTERN void eng_ltl_formula_free(eng_ltl_formula *f);

/* Prints f in the syntax eng_ltl_parse reads, with the fewest parentheses
 * Spot's precedence allows; parsing the result gives the same formula. Writes
 * at most n bytes including the NUL; returns the full length (snprintf style).
 * Thread: any thread (f is only read). */
ENG_EXTERN size_t eng_ltl_print(const eng_ltl_formula *f, char *buf, size_t n);

/* A new formula equivalent to f on every finite trace (including the empty
 * one): constants folded (true & a -> a, a | true -> true), double negation,
 * idempotence (a & a -> a), complements (a & !a -> false), G G a -> G a,
 * F F a -> F a, a U false -> false, a R true -> true, ... *out is owned by the
 * caller. Errors: ENG_EINVAL, ENG_ENOMEM. Thread: any thread. */
ENG_EXTERN int eng_ltl_simplify(const eng_ltl_formula *f, eng_ltl_formula **out);

/* Structural equality: 1 when a and b are the same formula. */
ENG_EXTERN int eng_ltl_equal(const eng_ltl_formula *a, const eng_ltl_formula *b);

/* Number of operators and atoms (tree nodes, shared subformulas counted once). */
ENG_EXTERN size_t eng_ltl_size(const eng_ltl_formula *f);

typedef enum eng_ltl_cmp {
  ENG_LTL_CMP_NONE = 0, /* a plain boolean atom */
  ENG_LTL_CMP_LT, ENG_LTL_CMP_LE, ENG_LTL_CMP_GT, ENG_LTL_CMP_GE, ENG_LTL_CMP_EQ, ENG_LTL_CMP_NE
} eng_ltl_cmp;

/* An atom: a boolean proposition `name`, or a comparison `name cmp value`
 * over the numeric signal `name` (from a quoted atom such as "temp > 80"). */
typedef struct eng_ltl_atom {
  const char *name; /* proposition or signal name; owned by the formula */
  eng_ltl_cmp cmp;
  double value;
} eng_ltl_atom;

/* Number of distinct atoms of f, and atom i (0 <= i < count), in order of
 * first appearance. Errors: ENG_EINVAL (index out of range). */
ENG_EXTERN size_t eng_ltl_atom_count(const eng_ltl_formula *f);
ENG_EXTERN int eng_ltl_atom_get(const eng_ltl_formula *f, size_t i, eng_ltl_atom *out);

/* Evaluates a comparison atom against a signal value (x cmp value). */
ENG_EXTERN int eng_ltl_cmp_eval(eng_ltl_cmp cmp, double x, double value);

/* --------------------------------------------------------------- traces */

/* A finite trace of n steps stored by column: boolean columns as bitsets (bit
 * i of word i/64 is step i), numeric signals as doubles. Columns are copied in
 * (the caller keeps its arrays). */
typedef struct eng_ltl_trace eng_ltl_trace;

/* *out receives an empty trace of n steps (n may be 0), owned by the caller.
 * closed = 1 makes atoms absent from the trace read as false everywhere (a
 * trace given as sets of true atoms); closed = 0 makes them an error.
 * Errors: ENG_EINVAL, ENG_ENOMEM. Thread: any thread. */
ENG_EXTERN int eng_ltl_trace_create(eng_ltl_trace **out, size_t n, int closed);
ENG_EXTERN void eng_ltl_trace_free(eng_ltl_trace *t);
ENG_EXTERN size_t eng_ltl_trace_length(const eng_ltl_trace *t);

/* Adds a boolean column from n bytes (nonzero = true) or from (n+63)/64
 * pre-packed words (bits at or above n are ignored). Errors: ENG_EINVAL (NULL,
 * empty name, a column of that name already exists), ENG_ENOMEM. */
ENG_EXTERN int eng_ltl_trace_add_bool(eng_ltl_trace *t, const char *name, const unsigned char *v);
ENG_EXTERN int eng_ltl_trace_add_bits(eng_ltl_trace *t, const char *name, const uint64_t *words);

/* Adds a numeric signal from n doubles. Errors: ENG_EINVAL, ENG_ENOMEM,
 * ENG_ENAN (NaN or infinity; *bad_row, when not NULL, receives its 0-based
 * step). */
ENG_EXTERN int eng_ltl_trace_add_num(eng_ltl_trace *t, const char *name, const double *v, size_t *bad_row);

/* Reads CSV text: a header row of column names, then one row per step of
 * cells `true`/`false`/`1`/`0` or numbers (leading/trailing blanks ignored,
 * "\r\n" accepted, a final newline optional). A column whose cells are all
 * true/false/0/1 becomes boolean, any other number makes it numeric (and its
 * 0/1 cells are numbers). Errors (d names row and column): ENG_EPARSE (ragged
 * row, empty or unreadable cell, duplicate or empty column name, no header),
 * ENG_ENAN, ENG_ENOMEM, ENG_EINVAL. load_csv adds ENG_ENOENT/ENG_EIO. */
ENG_EXTERN int eng_ltl_trace_parse_csv(const char *text, size_t len, eng_ltl_trace **out, eng_ltl_diag *d);
ENG_EXTERN int eng_ltl_trace_load_csv(const char *path, eng_ltl_trace **out, eng_ltl_diag *d);

/* Column lookup for bindings: kind 1 boolean, 2 numeric, 0 absent. */
ENG_EXTERN int eng_ltl_trace_column_kind(const eng_ltl_trace *t, const char *name);
ENG_EXTERN size_t eng_ltl_trace_column_count(const eng_ltl_trace *t);
ENG_EXTERN const char *eng_ltl_trace_column_name(const eng_ltl_trace *t, size_t i);

/* -------------------------------------------------------------- checking */

/* The verdict of a finite trace (LTLf): holds = 1/0, and index = the step at
 * which the top-level operator's verdict is settled (the first violating step
 * of G, the witness of F or U, the last step when the trace's end decides),
 * -1 for the empty trace. docs/ltl.md lists the rule per operator. */
typedef struct eng_ltl_result {
  int holds;
  int64_t index;
} eng_ltl_result;

/* Reusable scratch memory for eng_ltl_check, grown as needed; keeps repeated
 * checks from allocating. Not thread-safe: one per thread. */
typedef struct eng_ltl_workspace eng_ltl_workspace;
ENG_EXTERN int eng_ltl_workspace_create(eng_ltl_workspace **out);
ENG_EXTERN void eng_ltl_workspace_free(eng_ltl_workspace *ws);

/* Checks f on trace t under LTLf semantics in O(|f| * n / 64) word operations
 * (O(|f| * n) for numeric comparisons, which are packed first). ws may be NULL
 * (memory is then allocated for the call). d may be NULL.
 * A comparison over a boolean column compares its 0/1 values; a plain atom
 * over a numeric column reads it as a boolean when every value is 0 or 1.
 * Errors: ENG_EINVAL (NULL), ENG_ENOENT (an atom, or the signal of a
 * comparison, is not a column of the trace (absent plain atoms of a closed
 * trace read false); d->column names it), ENG_ETYPE (a plain atom over a
 * numeric column with a value other than 0 or 1; d->row (1-based) and
 * d->column name the first), ENG_ENOMEM.
 * Thread: any thread with its own ws; f and t may be shared. */
ENG_EXTERN int eng_ltl_check(const eng_ltl_formula *f, const eng_ltl_trace *t, eng_ltl_workspace *ws,
                             eng_ltl_result *res, eng_ltl_diag *d);

/* --------------------------------------------------------------- monitor */

/* An online monitor: feed one step at a time; after each step it reports the
 * verdict if the trace ended now, and whether that verdict is final (no
 * continuation can change it). Finality is sound (a final verdict is never
 * revised) and exact when the residual obligation simplifies to a constant
 * (safety, co-safety and bounded properties); docs/ltl.md says where it is
 * conservative. Past operators may not contain future ones (ENG_EINVAL). */
typedef struct eng_ltl_monitor eng_ltl_monitor;

typedef struct eng_ltl_verdict {
  int holds; /* the verdict of the trace so far, as a finished trace */
  int final; /* 1 when every continuation gives the same verdict */
} eng_ltl_verdict;

/* Creates a monitor for f (f may be freed afterwards). The verdict before any
 * step is that of the empty trace. Errors: ENG_EINVAL, ENG_ENOMEM. */
ENG_EXTERN int eng_ltl_monitor_create(const eng_ltl_formula *f, eng_ltl_monitor **out, eng_ltl_diag *d);
ENG_EXTERN void eng_ltl_monitor_free(eng_ltl_monitor *m);

/* Consumes one step: atoms[i] is the truth of atom i of the formula
 * (eng_ltl_atom_get order; comparisons already evaluated). Errors: ENG_EINVAL,
 * ENG_ENOMEM (allocation failed, or the residual formulas passed 2^20 nodes;
 * the transition cache is flushed when it reaches 2^20 entries, not grown).
 * Not thread-safe. */
ENG_EXTERN int eng_ltl_monitor_step(eng_ltl_monitor *m, const unsigned char *atoms, eng_ltl_verdict *out);

/* The current verdict without consuming a step; resets to the empty trace. */
ENG_EXTERN void eng_ltl_monitor_verdict(const eng_ltl_monitor *m, eng_ltl_verdict *out);
ENG_EXTERN void eng_ltl_monitor_reset(eng_ltl_monitor *m);
ENG_EXTERN size_t eng_ltl_monitor_atom_count(const eng_ltl_monitor *m);

/* A copy of f (for a job that must outlive the caller's formula). Errors:
 * ENG_EINVAL, ENG_ENOMEM. Thread: any thread. */
ENG_EXTERN int eng_ltl_formula_copy(const eng_ltl_formula *f, eng_ltl_formula **out);

/* ------------------------------------------------------- scheduled checks */

typedef struct eng_engine eng_engine;

/* Called after each trace is done with the number of (trace, formula) pairs
 * checked so far and the total; may run on any worker, concurrently. */
typedef void (*eng_ltl_progress_fn)(void *ud, size_t done, size_t total);

/* Checks every formula on every trace as tasks on e (one trace per task, each
 * task with its own workspace; the calling thread takes part, so it may be a
 * worker of e). results[t * nformulas + f] receives pair (t, f); status (may
 * be NULL) receives each pair's 0 or error code. progress may be NULL. e may
 * be NULL (everything runs on the calling thread). formulas, traces and the
 * output arrays are borrowed for the duration of the call.
 * Returns 0, or the first pair's error in (t, f) order (ENG_ENOENT, ENG_ETYPE,
 * ENG_ENOMEM), or ENG_EINVAL. Thread: any thread. */
ENG_EXTERN int eng_ltl_check_many(eng_engine *e, const eng_ltl_formula *const *formulas, size_t nformulas,
                                  const eng_ltl_trace *const *traces, size_t ntraces, eng_ltl_result *results,
                                  int *status, eng_ltl_progress_fn progress, void *ud);

#ifdef __cplusplus
}
#endif
#endif
