/* SPDX-License-Identifier: MIT */
/*
** sched/sysmon.h: the watchdog, for a scheduler stuck in one process
** (design in sysmon.c).
**
** C code cannot be preempted, so a process that never calls the runtime
** keeps its thread. One thread outside the schedulers watches each one's
** 'slice_seq', which the owner bumps when a process is switched in and
** again when it comes back (odd while one runs): odd and unchanged for
** BEAM__STUCK_MS means stuck. sysmon then sets 'stuck' (the owner clears
** it when its process returns) and the healthy schedulers fire the stuck
** one's timers and steal its queue. 'slice_seq' is written by the owner at
** every switch and read by sysmon, relaxed (a look that is a little late
** only delays the verdict); 'stuck' is read by the helpers. The counts in
** beam__rt are sysmon's last look, read by the spares (spare.h).
*/
#ifndef BEAM_SCHED_SYSMON_H
#define BEAM_SCHED_SYSMON_H

#include "../proc/proc.h"

/* A scheduler running one process for this long without coming back is
** stuck. */
#define BEAM__STUCK_MS 10

typedef struct beam__sched_sysmon {
  _Atomic uint64_t slice_seq;
  _Atomic bool stuck;
} beam__sched_sysmon_t;

/* Schedulers sysmon found stuck in one process: all of them, and those of
** them that are not benched spares. */
typedef struct beam__rt_sysmon {
  _Atomic unsigned nstuck;
  _Atomic unsigned nstuck_active;
} beam__rt_sysmon_t;

int beam__sysmon_start(void);
void beam__sysmon_stop(void);
/* [sched] Fire the due timers of stuck schedulers into 's'; returns how
** many fired (stealing their queues is find_work's). */
size_t beam__sched_help_stuck(beam__sched_t *s);
/* The earliest due timer of a stuck scheduler (for a helper's park). */
uint64_t beam__sched_stuck_deadline(void);

#endif
