/* parallel.h: eng__parallel_for, the one loop every scheduled kernel job uses to spread items over the workers. */
#ifndef ENG_PARALLEL_H
#define ENG_PARALLEL_H

#include <stddef.h>

#include "engine.h"

/* Runs item i of the job; *scratch starts NULL for each participant (the
 * caller or a helper task) and may be set to memory the participant reuses
 * across its items. Returns 0 or a negative ENG_E* code. */
typedef int (*eng__item_fn)(void *ctx, size_t i, void **scratch);

/* Runs item(ctx, i, ...) once for every i < count, spread over e's workers,
 * and returns when all have finished: the first item error, or 0.
 *
 * A caller on one of e's workers works as one of the participants. A foreign
 * caller only submits helpers and sleeps until the items are done: working
 * beside every worker would put one thread more than there are cores on the
 * machine and slow every participant down. If no helper can be submitted
 * (queue full, shutting down) or e is NULL, the caller runs the items itself,
 * so the result is complete either way.
 *
 * Never waits for a helper that has not started: items are claimed from a
 * counter, and helpers still queued when the last item finishes are cancelled.
 * ctx is not touched after this returns; scratch_free (NULL: free) releases
 * each participant's scratch and must not depend on ctx. */
int eng__parallel_for(eng_engine *e, size_t count, eng__item_fn item, void *ctx,
                      void (*scratch_free)(void *), const eng_task_opts *opts);

#endif
