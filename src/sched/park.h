/* SPDX-License-Identifier: MIT */
/*
** sched/park.h: idle schedulers sleep, and are woken for new work (design
** in park.c).
**
** Go's rule: a scheduler looking for work to steal is "spinning", and at
** most half of the busy ones may spin at once; new work wakes one parked
** scheduler only if one is idle and nobody spins ('wakep'). So the state is
** split by who reads it:
**  - per scheduler, its own futex word (it sleeps on nothing shared), its
**    link on the idle list and whether it is on it (under the list's lock),
**    and whether it is counted in 'nspinning' (owner only);
**  - in beam__rt, the idle list under its lock, and the two counts every
**    submitter reads without it: 'npidle' and 'nspinning'. The submitter's
**    fence before reading 'npidle' and the parker's seq_cst increment of it
**    are the pair that keeps a wakeup from being lost.
*/
#ifndef BEAM_SCHED_PARK_H
#define BEAM_SCHED_PARK_H

#include <pthread.h>

#include "../proc/proc.h"

typedef struct beam__sched_park {
  _Atomic uint32_t word; /* futex: 1 = woken */
  beam__sched_t *next;   /* on rt.park.idle (under rt.park.lock) */
  bool listed;           /* on rt.park.idle (under rt.park.lock) */
  bool spinning;         /* counted in rt.park.nspinning (owner only) */
} beam__sched_park_t;

typedef struct beam__rt_park {
  pthread_mutex_t lock;
  beam__sched_t *idle; /* parked schedulers, newest first */
  _Atomic int npidle;
  _Atomic int nspinning;
} beam__rt_park_t;

/* Wake an idle scheduler if there is work and nobody spinning. */
void beam__sched_wakep(void);
/* Wake 's' if it is parked (it then leaves the idle list itself). */
void beam__sched_unpark(beam__sched_t *s);
/* Wake every scheduler (shutdown). */
void beam__sched_wake_all(void);
/* Park 's' until woken or 'deadline_ms' (monotonic ms, UINT64_MAX = none).*/
void beam__sched_park(beam__sched_t *s, uint64_t deadline_ms);
/* Park a benched spare: off the idle list, until unparked or the deadline. */
void beam__sched_park_benched(beam__sched_t *s, uint64_t deadline_ms);

#endif
