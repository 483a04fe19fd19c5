/* SPDX-License-Identifier: MIT */
/*
** sched/qsbr.h: when a dead process's descriptor may be reused (design in
** qsbr.c).
**
** Quiescent-state based reclamation: a scheduler holds descriptor pointers
** only between two passes through the top of its loop. 'rt.qsbr.epoch' is
** bumped once per retirement; each scheduler publishes the epoch it read at
** each quiescent point (0 while parked: "offline", it holds nothing), and a
** descriptor retired at E is freed once every online scheduler published
** more than E. The published epochs are read by every reclaimer, so each
** starts a cache line of its own, away from the owner's limbo list (the
** descriptors it retired, oldest first, that wait for their grace period).
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
