/* SPDX-License-Identifier: MIT */
/*
** sched/qsbr.h: when a dead process's descriptor may be reused (design in
** qsbr.c).
**
** Quiescent-state based reclamation: a scheduler holds descriptor pointers
** only between two passes through the top of its loop. A descriptor is
** stamped with 'rt.qsbr.epoch' when retired, and the epoch moves past the
** stamp at its scheduler's next quiescent point; each scheduler publishes
** the epoch it read at each quiescent point (0 while parked: "offline", it
** holds nothing), and a descriptor stamped E is freed once every online
** scheduler published more than E. Every reclaimer reads every published
** epoch, so each starts a cache line, apart from the fields before it that
** other threads write; beside it lies the owner's limbo list (what it
** retired, oldest first), touched by the owner alone.
*/
#ifndef BEAM_SCHED_QSBR_H
#define BEAM_SCHED_QSBR_H

#include "../proc/proc.h"

typedef struct beam__sched_qsbr {
  alignas(BEAM_CACHELINE) _Atomic uint64_t epoch; /* 0 = offline */
  beam__proc_t *limbo_head, *limbo_tail;
  size_t limbo_count;
} beam__sched_qsbr_t;

typedef struct beam__rt_qsbr {
  alignas(BEAM_CACHELINE) _Atomic uint64_t epoch;
} beam__rt_qsbr_t;

void beam__qsbr_online(beam__sched_t *s);
void beam__qsbr_offline(beam__sched_t *s);
void beam__qsbr_quiescent(beam__sched_t *s);
void beam__qsbr_retire(beam__sched_t *s, beam__proc_t *p);
void beam__qsbr_drain_all(beam__sched_t *s);

#endif
