/* monitor.c: online three-valued LTLf monitoring by formula progression, cached as a lazy automaton.
 *
 * After each step the monitor holds a residual formula r: the trace so far
 * followed by a suffix w satisfies the property iff w satisfies r (w may be
 * empty). Progression (Bacchus and Kabanza 1998, read over finite traces as
 * in De Giacomo and Vardi 2013) rewrites r by one step; residuals are kept in
 * a canonical form (hash-consed, & and | flattened, sorted and deduplicated),
 * so a formula has finitely many of them and the pairs (residual, letter) are
 * cached: after warm-up a step is one hash lookup.
 *
 * The verdict if the trace ended now is r's value on the empty suffix. It is
 * final when r is the constant true or false (Bauer, Leucker and Schallhart
 * 2011 call these the conclusive LTL3 verdicts). A constant residual can never
 * change, so a final verdict is never revised; a residual that is valid or
 * unsatisfiable without being the constant is reported as not final, which
 * is conservative (docs/ltl.md).
 *
 * Past operators are computed forwards in O(|formula|) per step (Havelund and
 * Rosu 2002) and enter progression as letters.
 */
#include <stdlib.h>
#include <string.h>

#include "ltl_internal.h"

#define MON_MAX_NODES (1u << 20)
#define MON_MAX_LETTERS 64

typedef struct mon_entry {
  uint64_t letter;
  uint32_t state; /* 0 = empty slot, else state id + 1 */
  uint32_t next;
  eng_ltl_verdict v; /* next's verdict, cached with the transition */
} mon_entry;

struct eng_ltl_monitor {
  ltl_store s;
  uint32_t init, state;
  uint32_t natoms;
  /* past-time part: nodes of the formula without future operators, in id order */
  uint32_t *past;      /* ids */
  uint32_t npast;
  int has_past;        /* any Y O H S: else the past loop is skipped */
  unsigned char *cur, *prev; /* values by node id (size nform) */
  uint32_t nform;
  int32_t *letter_of;  /* past-operator node -> letter bit, else -1 (size nform) */
  uint64_t steps;
  /* transition cache */
  mon_entry *tab;
  uint32_t tcap, tn;
  /* end values by node id: 0/1, 2 = not computed */
  unsigned char *endv;
  uint32_t endcap;
  /* progression scratch */
  uint32_t *memo, *memo_gen;
  uint32_t memocap, gen;
};

static int is_future(int op) {
  switch (op) {
  case LTL_X: case LTL_WX: case LTL_F: case LTL_G: case LTL_U: case LTL_R: case LTL_W: case LTL_M:
  case LTL_FB: case LTL_GB: case LTL_UB: case LTL_N: case LTL_WN:
    return 1;
  default:
    return 0;
  }
}

static int leaf(int op) { return op == LTL_TRUE || op == LTL_FALSE || op == LTL_ATOM; }

void eng_ltl_monitor_free(eng_ltl_monitor *m) {
  if (!m) return;
  eng__ltl_store_free(&m->s);
  free(m->past);
  free(m->cur);
  free(m->prev);
  free(m->letter_of);
  free(m->tab);
  free(m->endv);
  free(m->memo);
  free(m->memo_gen);
  free(m);
}

int eng_ltl_monitor_create(const eng_ltl_formula *f, eng_ltl_monitor **out, eng_ltl_diag *d) {
  if (d) memset(d, 0, sizeof *d);
  if (!f || !out) return ENG_EINVAL;
  *out = NULL;
  eng_ltl_monitor *m = calloc(1, sizeof *m);
  if (!m || eng__ltl_store_init(&m->s)) {
    free(m);
    return ENG_ENOMEM;
  }
  int rc = ENG_ENOMEM;
  m->init = eng__ltl_import(&m->s, &f->s, f->root, 1);
  if (m->init == UINT32_MAX) goto fail;
  m->natoms = m->s.natoms;
  m->nform = m->s.n;
  unsigned char *fut = calloc(m->nform, 1);
  m->cur = calloc(m->nform, 1);
  m->prev = calloc(m->nform, 1);
  m->letter_of = malloc(m->nform * sizeof *m->letter_of);
  m->past = malloc(m->nform * sizeof *m->past);
  if (!fut || !m->cur || !m->prev || !m->letter_of || !m->past) {
    free(fut);
    goto fail;
  }
  uint32_t nletters = m->natoms;
  for (uint32_t i = 0; i < m->nform; i++) {
    const ltl_node *x = &m->s.nodes[i];
    m->letter_of[i] = -1;
    if (leaf(x->op)) {
      m->past[m->npast++] = i;
      continue;
    }
    int cf = fut[x->a] || (eng__ltl_is_binary(x->op) && fut[x->b]);
    if (eng__ltl_is_past(x->op) && cf) {
      free(fut);
      rc = ENG_EINVAL;
      eng__ltl_diag_set(d, rc, NULL, 0, "the monitor does not support future operators inside past operators");
      goto fail;
    }
    fut[i] = (unsigned char)(cf || is_future(x->op));
    if (!fut[i]) {
      m->past[m->npast++] = i;
      if (eng__ltl_is_past(x->op)) {
        if (nletters >= MON_MAX_LETTERS) {
          free(fut);
          rc = ENG_EINVAL;
          eng__ltl_diag_set(d, rc, NULL, 0, "the monitor supports at most 64 atoms and past operators");
          goto fail;
        }
        m->letter_of[i] = (int32_t)nletters++;
        m->has_past = 1;
      }
    }
  }
  free(fut);
  if (m->natoms > MON_MAX_LETTERS) {
    rc = ENG_EINVAL;
    eng__ltl_diag_set(d, rc, NULL, 0, "the monitor supports at most 64 atoms and past operators");
    goto fail;
  }
  m->tcap = 1024;
  m->tab = calloc(m->tcap, sizeof *m->tab);
  if (!m->tab) goto fail;
  m->state = m->init;
  *out = m;
  return 0;
fail:
  if (rc == ENG_ENOMEM) eng__ltl_diag_set(d, rc, NULL, 0, "out of memory");
  eng_ltl_monitor_free(m);
  return rc;
}

size_t eng_ltl_monitor_atom_count(const eng_ltl_monitor *m) { return m ? m->natoms : 0; }

void eng_ltl_monitor_reset(eng_ltl_monitor *m) {
  if (!m) return;
  m->state = m->init;
  m->steps = 0;
}

/* Value of residual id on the empty suffix, cached per node. */
static int endval(eng_ltl_monitor *m, uint32_t id) {
  if (m->endcap < m->s.n) {
    uint32_t nc = m->s.cap;
    unsigned char *ne = realloc(m->endv, nc);
    if (!ne) return -1;
    memset(ne + m->endcap, 2, nc - m->endcap);
    m->endv = ne;
    m->endcap = nc;
  }
  if (m->endv[id] != 2) return m->endv[id];
  const ltl_node *x = &m->s.nodes[id];
  unsigned char v[2] = {0, 0};
  /* eng__ltl_end_value reads operand values from an array indexed by id;
   * compute the operands first (depth is bounded by the formula's). */
  if (!leaf(x->op)) {
    int va = endval(m, x->a);
    int vb = eng__ltl_is_binary(x->op) ? endval(m, x->b) : 0;
    if (va < 0 || vb < 0) return -1;
    v[0] = (unsigned char)va;
    v[1] = (unsigned char)vb;
  }
  int r;
  switch (x->op) {
  case LTL_TRUE: r = 1; break;
  case LTL_FALSE: case LTL_ATOM: r = 0; break;
  case LTL_NOT: r = !v[0]; break;
  case LTL_AND: r = v[0] && v[1]; break;
  case LTL_OR: r = v[0] || v[1]; break;
  case LTL_IMPL: r = !v[0] || v[1]; break;
  case LTL_EQUIV: r = v[0] == v[1]; break;
  case LTL_XOR: r = v[0] != v[1]; break;
  case LTL_WX: case LTL_WN: case LTL_G: case LTL_R: case LTL_W: case LTL_GB: case LTL_H: r = 1; break;
  default: r = 0; break;
  }
  m->endv[id] = (unsigned char)r;
  return r;
}

/* One step of progression of residual id under letter. */
static uint32_t prog(eng_ltl_monitor *m, uint32_t id, uint64_t letter) {
  if (id < m->memocap && m->memo_gen[id] == m->gen) return m->memo[id];
  ltl_store *s = &m->s;
  const ltl_node x = s->nodes[id];
  const uint32_t T = eng__ltl_mk(s, LTL_TRUE, 0, 0, 0, 0), F = eng__ltl_mk(s, LTL_FALSE, 0, 0, 0, 0);
  uint32_t r, pa, pb;
  if (id < m->nform && m->letter_of[id] >= 0) {
    r = (letter >> m->letter_of[id]) & 1 ? T : F;
    goto done;
  }
  switch (x.op) {
  case LTL_TRUE: case LTL_FALSE: r = id; break;
  case LTL_ATOM: r = (letter >> x.a) & 1 ? T : F; break;
  case LTL_NOT: r = eng__ltl_smk(s, LTL_NOT, prog(m, x.a, letter), 0, 0, 0); break;
  case LTL_AND: case LTL_OR: case LTL_IMPL: case LTL_EQUIV: case LTL_XOR:
    pa = prog(m, x.a, letter);
    pb = prog(m, x.b, letter);
    r = eng__ltl_smk(s, x.op, pa, pb, 0, 0);
    break;
  case LTL_X: r = eng__ltl_smk(s, LTL_N, x.a, 0, 0, 0); break;
  case LTL_WX: r = eng__ltl_smk(s, LTL_WN, x.a, 0, 0, 0); break;
  case LTL_N: case LTL_WN: r = prog(m, x.a, letter); break;
  case LTL_F: r = eng__ltl_smk(s, LTL_OR, prog(m, x.a, letter), id, 0, 0); break;
  case LTL_G: r = eng__ltl_smk(s, LTL_AND, prog(m, x.a, letter), id, 0, 0); break;
  case LTL_U: case LTL_W:
    pb = prog(m, x.b, letter);
    pa = prog(m, x.a, letter);
    r = eng__ltl_smk(s, LTL_OR, pb, eng__ltl_smk(s, LTL_AND, pa, id, 0, 0), 0, 0);
    break;
  case LTL_R: case LTL_M:
    pb = prog(m, x.b, letter);
    pa = prog(m, x.a, letter);
    r = eng__ltl_smk(s, LTL_AND, pb, eng__ltl_smk(s, LTL_OR, pa, id, 0, 0), 0, 0);
    break;
  case LTL_FB: case LTL_GB: {
    int fb = x.op == LTL_FB;
    if (x.lo > 0) {
      r = eng__ltl_smk(s, x.op, x.a, 0, x.lo - 1, x.hi - 1);
    } else {
      pa = prog(m, x.a, letter);
      if (x.hi == 0) r = pa;
      else r = eng__ltl_smk(s, fb ? LTL_OR : LTL_AND, pa, eng__ltl_smk(s, x.op, x.a, 0, 0, x.hi - 1), 0, 0);
    }
    break;
  }
  case LTL_UB:
    if (x.lo > 0) {
      pa = prog(m, x.a, letter);
      r = eng__ltl_smk(s, LTL_AND, pa, eng__ltl_smk(s, LTL_UB, x.a, x.b, x.lo - 1, x.hi - 1), 0, 0);
    } else {
      pb = prog(m, x.b, letter);
      if (x.hi == 0) {
        r = pb;
      } else {
        pa = prog(m, x.a, letter);
        r = eng__ltl_smk(s, LTL_OR, pb,
                         eng__ltl_smk(s, LTL_AND, pa, eng__ltl_smk(s, LTL_UB, x.a, x.b, 0, x.hi - 1), 0, 0), 0, 0);
      }
    }
    break;
  default:
    r = UINT32_MAX; /* past operators are letters */
    break;
  }
done:
  if (id < m->memocap) {
    m->memo_gen[id] = m->gen;
    m->memo[id] = r;
  }
  return r;
}

static int grow_table(eng_ltl_monitor *m) {
  uint32_t nc = m->tcap * 2;
  mon_entry *nt = calloc(nc, sizeof *nt);
  if (!nt) return ENG_ENOMEM;
  for (uint32_t i = 0; i < m->tcap; i++) {
    mon_entry e = m->tab[i];
    if (!e.state) continue;
    uint64_t h = (e.letter ^ ((uint64_t)e.state * 0x9E3779B97F4A7C15ull)) * 0xD6E8FEB86659FD93ull;
    uint32_t j = (uint32_t)(h >> 32) & (nc - 1);
    while (nt[j].state) j = (j + 1) & (nc - 1);
    nt[j] = e;
  }
  free(m->tab);
  m->tab = nt;
  m->tcap = nc;
  return 0;
}

int eng_ltl_monitor_step(eng_ltl_monitor *m, const unsigned char *atoms, eng_ltl_verdict *out) {
  if (!m || (!atoms && m->natoms) || !out) return ENG_EINVAL;
  uint64_t letter = 0;
  for (uint32_t i = 0; i < m->natoms; i++) letter |= (uint64_t)(atoms[i] != 0) << i;
  /* past-time values at this step, operands first */
  if (m->has_past) {
    const int first = m->steps == 0;
    unsigned char *cur = m->cur, *prev = m->prev;
    for (uint32_t k = 0; k < m->npast; k++) {
      uint32_t id = m->past[k];
      const ltl_node *x = &m->s.nodes[id];
      int a = leaf(x->op) ? 0 : cur[x->a], b = eng__ltl_is_binary(x->op) ? cur[x->b] : 0, v;
      switch (x->op) {
      case LTL_TRUE: v = 1; break;
      case LTL_FALSE: v = 0; break;
      case LTL_ATOM: v = atoms[x->a] != 0; break;
      case LTL_NOT: v = !a; break;
      case LTL_AND: v = a && b; break;
      case LTL_OR: v = a || b; break;
      case LTL_IMPL: v = !a || b; break;
      case LTL_EQUIV: v = a == b; break;
      case LTL_XOR: v = a != b; break;
      case LTL_Y: v = !first && prev[x->a]; break;
      case LTL_O: v = a || (!first && prev[id]); break;
      case LTL_H: v = a && (first || prev[id]); break;
      case LTL_S: v = b || (a && !first && prev[id]); break;
      default: v = 0; break;
      }
      cur[id] = (unsigned char)v;
      if (m->letter_of[id] >= 0 && v) letter |= (uint64_t)1 << m->letter_of[id];
    }
  }
  uint64_t h = (letter ^ ((uint64_t)(m->state + 1) * 0x9E3779B97F4A7C15ull)) * 0xD6E8FEB86659FD93ull;
  uint32_t j = (uint32_t)(h >> 32) & (m->tcap - 1);
  while (m->tab[j].state) {
    if (m->tab[j].state == m->state + 1 && m->tab[j].letter == letter) goto found;
    j = (j + 1) & (m->tcap - 1);
  }
  {
    /* a new transition: progress the residual once and cache it */
    if (m->s.n >= MON_MAX_NODES) return ENG_ENOMEM;
    if (m->tn >= MON_MAX_NODES) {
      /* many atoms can make many distinct letters: the cache is only a
       * cache, so start it afresh rather than grow without bound */
      memset(m->tab, 0, m->tcap * sizeof *m->tab);
      m->tn = 0;
      j = (uint32_t)(h >> 32) & (m->tcap - 1);
    }
    if (m->memocap < m->s.n) {
      uint32_t nc = m->s.cap;
      uint32_t *a = realloc(m->memo, nc * sizeof *a);
      if (!a) return ENG_ENOMEM;
      m->memo = a;
      uint32_t *g = realloc(m->memo_gen, nc * sizeof *g);
      if (!g) return ENG_ENOMEM;
      memset(g + m->memocap, 0, (nc - m->memocap) * sizeof *g);
      m->memo_gen = g;
      m->memocap = nc;
    }
    m->gen++;
    uint32_t next = prog(m, m->state, letter);
    if (next == UINT32_MAX) return ENG_ENOMEM;
    int ev = endval(m, next);
    if (ev < 0) return ENG_ENOMEM;
    if (2 * (m->tn + 1) > m->tcap) {
      if (grow_table(m)) return ENG_ENOMEM;
      j = (uint32_t)(h >> 32) & (m->tcap - 1);
      while (m->tab[j].state) j = (j + 1) & (m->tcap - 1);
    }
    const int op = m->s.nodes[next].op;
    m->tab[j] = (mon_entry){letter, m->state + 1, next, {ev, op == LTL_TRUE || op == LTL_FALSE}};
    m->tn++;
  }
found:
  if (m->has_past) {
    unsigned char *t = m->cur;
    m->cur = m->prev;
    m->prev = t;
  }
  m->state = m->tab[j].next;
  m->steps++;
  *out = m->tab[j].v;
  return 0;
}

void eng_ltl_monitor_verdict(const eng_ltl_monitor *m, eng_ltl_verdict *out) {
  if (!m || !out) return;
  eng_ltl_monitor *mm = (eng_ltl_monitor *)m; /* the end-value cache is filled lazily */
  int ev = endval(mm, m->state);
  out->holds = ev > 0;
  out->final = m->s.nodes[m->state].op == LTL_TRUE || m->s.nodes[m->state].op == LTL_FALSE;
}
