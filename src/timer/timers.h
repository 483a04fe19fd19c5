/* SPDX-License-Identifier: MIT */
/*
** timer/timers.h: receive and sleep timeouts, send_after, and the
** runtime's clock (design in timers.c).
**
** Each scheduler owns one timing wheel (wheel.h): it fills it (a process's
** timeout is armed by the scheduler that blocks it, send_after by the one
** running the caller) and fires it. Another thread takes the wheel's lock
** only to cancel (the timeout of a process that moved, a send_after by its
** ref), to read a send_after's time left, or to fire the due timers of a
** scheduler stuck in one process (sysmon.c): so the lock is uncontended in
** the common case, and insert and cancel stay O(1). 'next' is a hint read
** without the lock by the owner's loop and by the watchdog; the send_after
** map (by ref id) is under the same lock. A ref's low bits name the
** scheduler whose wheel and map hold the timer.
*/
#ifndef BEAM_TIMER_TIMERS_H
#define BEAM_TIMER_TIMERS_H

#include <pthread.h>

#include "../proc/proc.h"
#include "wheel.h"

typedef struct beam__sendafter beam__sendafter_t;

typedef struct beam__sched_timers {
  pthread_mutex_t lock;
  beam__wheel_t wheel;
  _Atomic uint64_t next;   /* earliest deadline (ms), a hint */
  beam__sendafter_t **map; /* send_after timers by ref id (under lock) */
  size_t mask, count;
} beam__sched_timers_t;

/* Milliseconds since the runtime started (monotonic). */
uint64_t beam__rt_now_ms(void);
/* The runtime ms at which a timeout of 'ms' from now ends, rounded up and
** saturating at BEAM__DEADLINE_MAX (a deadline that never comes). */
#define BEAM__DEADLINE_MAX ((uint64_t) INT64_MAX)
uint64_t beam__rt_deadline_ms(int64_t ms);
/* Set up 's''s timers; on failure 's->timers.map' stays NULL. */
void beam__timers_init(beam__sched_t *s);
void beam__timers_fini(beam__sched_t *s);
/* [sched] Fire what is due; returns the count. */
size_t beam__timers_run(beam__sched_t *s);
/* [sched] Fire what is due in 'owner''s wheel, readying the processes on
** 'into' (the calling scheduler): how a healthy scheduler covers for a
** stuck one (sysmon.c). */
size_t beam__timers_fire(beam__sched_t *owner, beam__sched_t *into);
/* Arm / cancel a process's own receive or sleep timeout. */
void beam__proc_timer_arm(beam__sched_t *s, beam__proc_t *p);
void beam__proc_timer_cancel(beam__proc_t *p);

#endif
