/* SPDX-License-Identifier: MIT */
/*
** sched/prio.h: process priorities with Erlang's rules (design in prio.c).
**
** Max, high and low are rare, so each has one global locked FIFO (state
** private to prio.c), looked at before a scheduler's own ring; a shared
** atomic count keeps the common case, all empty, at a few relaxed loads.
** Max runs before high, high before normal and low, strictly; normal and
** low share: a scheduler takes a low process once every 8 picks, counted
** per scheduler ('low_tick', owner only) so that no shared line is written
** on each schedule, and whenever it has no normal work.
*/
#ifndef BEAM_SCHED_PRIO_H
#define BEAM_SCHED_PRIO_H

#include "../proc/proc.h"

typedef struct beam__sched_prio {
  uint64_t low_tick; /* picks, for low priority's 1 in 8 */
} beam__sched_prio_t;

void beam__prio_push(beam__proc_t *p);
beam__proc_t *beam__prio_get_urgent(void); /* max, then high */
/* A low process: once every 8 calls, or always if 'idle' (no normal work). */
beam__proc_t *beam__prio_get_low(beam__sched_t *s, bool idle);
bool beam__prio_any(void);
void beam__prio_reset(void);

#endif
