/* topology.c: hwloc discovery, worker placement (one per physical core), binding, and placement queries. */
#include "internal.h"

#include <hwloc.h>
#include <string.h>
#include <unistd.h>

/* One topology for the process, loaded on first use and kept: hwloc allows
 * concurrent queries and per-thread binding calls on a loaded topology. */
static hwloc_topology_t topo;
static int topo_ok;
static pthread_once_t topo_once = PTHREAD_ONCE_INIT;

static void topo_load(void) {
  if (hwloc_topology_init(&topo) != 0) return;
  if (hwloc_topology_load(topo) != 0) {
    hwloc_topology_destroy(topo);
    return;
  }
  topo_ok = 1;
}

static hwloc_topology_t get_topo(void) {
  pthread_once(&topo_once, topo_load);
  return topo_ok ? topo : NULL;
}

unsigned eng__online_cpus(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (unsigned)n : 1u;
}

static int numa_of(hwloc_topology_t tp, hwloc_obj_t pu) {
  hwloc_obj_t node = NULL;
  while ((node = hwloc_get_next_obj_by_type(tp, HWLOC_OBJ_NUMANODE, node)) != NULL)
    if (node->cpuset && hwloc_bitmap_isset(node->cpuset, pu->os_index)) return (int)node->os_index;
  return -1;
}

int eng__topology_plan(eng_engine *e) {
  hwloc_topology_t tp = get_topo();
  const eng_config *c = &e->cfg;
  if (c->pin && (!tp || !hwloc_topology_get_support(tp)->cpubind->set_thisthread_cpubind))
    return ENG_ENOSYS;
  unsigned nlist = 0, cap = 0;
  if (c->ncpus)
    cap = c->ncpus;
  else if (tp) {
    int nc = hwloc_get_nbobjs_by_type(tp, HWLOC_OBJ_CORE);
    int np = hwloc_get_nbobjs_by_type(tp, HWLOC_OBJ_PU);
    cap = (unsigned)(nc > 0 ? nc : (np > 0 ? np : 0));
  }
  hwloc_obj_t *list = NULL;
  if (cap) {
    list = eng__calloc(ENG__ARENA_ANY, cap * sizeof *list);
    if (!list) return ENG_ENOMEM;
  }
  if (c->ncpus) {
    for (unsigned i = 0; i < c->ncpus; i++) {
      hwloc_obj_t pu = tp ? hwloc_get_pu_obj_by_os_index(tp, c->cpus[i]) : NULL;
      if (tp && !pu) {
        eng__free(list);
        return ENG_EINVAL;
      }
      if (!tp && c->cpus[i] >= eng__online_cpus()) {
        eng__free(list);
        return ENG_EINVAL;
      }
      list[nlist++] = pu;
    }
  } else if (tp && cap) {
    /* One PU per physical core first: workers share no core while cores remain. */
    int nc = hwloc_get_nbobjs_by_type(tp, HWLOC_OBJ_CORE);
    for (unsigned i = 0; i < cap; i++) {
      hwloc_obj_t o = nc > 0 ? hwloc_get_obj_by_type(tp, HWLOC_OBJ_CORE, i)
                             : hwloc_get_obj_by_type(tp, HWLOC_OBJ_PU, i);
      hwloc_obj_t pu = o && o->type != HWLOC_OBJ_PU
                           ? hwloc_get_obj_inside_cpuset_by_type(tp, o->cpuset, HWLOC_OBJ_PU, 0)
                           : o;
      if (pu) list[nlist++] = pu;
    }
  }
  unsigned n = c->workers ? c->workers : (nlist ? nlist : eng__online_cpus());
  e->w = eng__calloc(ENG__ARENA_ANY, n * sizeof *e->w);
  if (!e->w) {
    eng__free(list);
    return ENG_ENOMEM;
  }
  e->nworkers = n;
  int rc = 0;
  for (unsigned i = 0; i < n; i++) {
    unsigned arena;
    rc = eng__arena_create(&arena);
    if (rc) break;
    eng__worker *w = eng__alloc_aligned(arena, sizeof *w, ENG__LINE);
    if (!w) {
      eng__arena_destroy(arena);
      rc = ENG_ENOMEM;
      break;
    }
    memset(w, 0, sizeof *w);
    w->e = e;
    w->idx = i;
    w->arena = arena;
    w->pu = w->core = w->numa = -1;
    e->w[i] = w;
    hwloc_obj_t pu = nlist ? list[i % nlist] : NULL;
    if (c->pin && pu) {
      w->cpuset = hwloc_bitmap_dup(pu->cpuset);
      if (!w->cpuset) {
        rc = ENG_ENOMEM;
        break;
      }
      w->pu = (int)pu->os_index;
      hwloc_obj_t core = hwloc_get_ancestor_obj_by_type(tp, HWLOC_OBJ_CORE, pu);
      w->core = core ? (int)core->logical_index : -1;
      w->numa = numa_of(tp, pu);
    }
  }
  eng__free(list);
  return rc;
}

/* Runs on the worker thread itself: HWLOC_CPUBIND_THREAD binds the caller. */
void eng__topology_bind(eng__worker *w) {
  hwloc_topology_t tp = get_topo();
  if (!w->cpuset || !tp) return;
  w->pinned = hwloc_set_cpubind(tp, (hwloc_const_bitmap_t)w->cpuset, HWLOC_CPUBIND_THREAD) == 0;
  if (!w->pinned) w->pu = w->core = w->numa = -1;
}

void eng__topology_release(eng_engine *e) {
  for (unsigned i = 0; e->w && i < e->nworkers; i++)
    if (e->w[i] && e->w[i]->cpuset) {
      hwloc_bitmap_free((hwloc_bitmap_t)e->w[i]->cpuset);
      e->w[i]->cpuset = NULL;
    }
}

int eng_topology(eng_engine *e, eng_placement *out, unsigned n, unsigned *count) {
  if (count) *count = 0;
  if (!e || (!out && n)) return ENG_EINVAL;
  if (count) *count = e->nworkers;
  for (unsigned i = 0; i < n && i < e->nworkers; i++) {
    eng__worker *w = e->w[i];
    out[i].worker = i;
    out[i].pu = w->pinned ? w->pu : -1;
    out[i].core = w->pinned ? w->core : -1;
    out[i].numa_node = w->pinned ? w->numa : -1;
    out[i].pinned = w->pinned;
#ifdef ENG_SYSTEM_ALLOC
    out[i].arena = 0;
#else
    out[i].arena = w->arena;
#endif
  }
  return 0;
}

int eng_machine_info(unsigned *pus, unsigned *cores, unsigned *numa_nodes) {
  hwloc_topology_t tp = get_topo();
  if (!tp) return ENG_ENOSYS;
  int np = hwloc_get_nbobjs_by_type(tp, HWLOC_OBJ_PU);
  int nc = hwloc_get_nbobjs_by_type(tp, HWLOC_OBJ_CORE);
  int nn = hwloc_get_nbobjs_by_type(tp, HWLOC_OBJ_NUMANODE);
  if (pus) *pus = np > 0 ? (unsigned)np : 0;
  if (cores) *cores = nc > 0 ? (unsigned)nc : (np > 0 ? (unsigned)np : 0);
  if (numa_nodes) *numa_nodes = nn > 0 ? (unsigned)nn : 1;
  return 0;
}
