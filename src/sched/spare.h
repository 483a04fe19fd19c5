/* SPDX-License-Identifier: MIT */
/*
** sched/spare.h: spare scheduler threads, for when every scheduler is
** stuck (design and rules in spare.c).
**
** Spares are the slots nsched .. maxsched-1 of rt.sched, started by sysmon
** when no scheduler is healthy and work waits, and benched again by
** themselves when two are healthy (not one, so they do not flap). Only
** sysmon unbenches a spare and increments 'nactive'; only the spare benches
** itself and decrements it, by CAS. A benched spare parks off the idle
** list and still serves its timers, its limbo and its pinned processes.
** That a scheduler is a spare at all ('spare' in beam__sched_t) is read on
** hot paths; the rest is here.
*/
#ifndef BEAM_SCHED_SPARE_H
#define BEAM_SCHED_SPARE_H

#include "../proc/proc.h"

#define BEAM__SPARE_DEFAULT 8

typedef struct beam__sched_spare {
  bool thread_started;  /* set by sysmon once its thread runs */
  _Atomic bool benched; /* not needed; parked off the idle list */
} beam__sched_spare_t;

typedef struct beam__rt_spare {
  _Atomic unsigned nactive; /* spares started and not benched */
} beam__rt_spare_t;

bool beam__spare_start(void); /* [sysmon] */
/* Schedulers and spares at work and not stuck (sysmon's last look). */
unsigned beam__sched_healthy(void);
bool beam__spare_should_bench(void); /* [spare] healthy >= 2 */
/* [spare] If not needed: hand out its work and park once; true if it is
** still benched (the loop then runs only its pinned processes). */
bool beam__spare_benched(beam__sched_t *s);
unsigned beam__spare_join(void); /* [boot] after sysmon stopped */

#endif
