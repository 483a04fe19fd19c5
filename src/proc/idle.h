/* SPDX-License-Identifier: MIT */
/*
** proc/idle.h: a process that waits for long gives its stack page back,
** and hibernation (design in idle.c).
**
** commit_wait stamps each wait with the idle epoch (a counter that moves
** every step) and lists the process's pid once on the scheduler it waited
** on; a pass over that list, once per step and within a budget, freezes
** the processes that have waited long enough: their live stack is saved
** compactly and the pages go back to the OS. The lists hold pids, not
** descriptors, so a process that woke or died meanwhile is simply not
** found; they are touched by their scheduler only ('in' fills, a pass
** consumes 'pass'). Hibernations are released in batches (one system call
** for many), at most 1 ms after the first, by the scheduler that gathered
** them; the process waits at once, so a batch delays only the memory.
*/
#ifndef BEAM_PROC_IDLE_H
#define BEAM_PROC_IDLE_H

#include "proc.h"

#define BEAM__HIB_BATCH 64 /* hibernations released together */

/* A growable array of raw pids. */
typedef struct beam__pidvec {
  uint64_t *v;
  size_t n, cap;
} beam__pidvec_t;

typedef struct beam__sched_idle {
  beam__pidvec_t in, pass;       /* pids that waited here, to look at */
  uint64_t next_ms;              /* the next pass is due then */
  uint64_t hib[BEAM__HIB_BATCH]; /* pids of hibernated processes whose
                                    stacks await one release */
  unsigned hib_n;
  uint64_t hib_due_ms; /* flushed by then (1 ms after the first) */
} beam__sched_idle_t;

extern _Atomic uint32_t beam__idle_epoch;
/* [boot] Freeze after 'ms' of waiting (-1: never). */
void beam__idle_configure(int64_t ms);
/* [sched] After commit_wait published the wait: list 'p' once. */
void beam__idle_list(beam__sched_t *s, beam__proc_t *p);
/* [sched] Look at listed processes if due; returns when next due. */
uint64_t beam__idle_step(beam__sched_t *s, uint64_t now_ms);
/* [sched] Put a saved stack back (or a first frame, after hibernation)
** before 'p' runs. */
void beam__idle_thaw(beam__proc_t *p);
/* [sched] 'p' switched out in beam_hibernate: give its stack back and let
** it wait (or run at once if a message is queued). */
void beam__idle_hibernated(beam__sched_t *s, beam__proc_t *p);
/* [sched] Release gathered hibernations now and let them wait. */
void beam__idle_flush(beam__sched_t *s);
/* Free a saved stack of a process that will never run again. */
void beam__idle_discard(beam__proc_t *p);
void beam__idle_thread_fini(beam__sched_t *s);
/* Processes whose stack is not in place now (saved or, hibernated,
** discarded), and the bytes of the saved ones. */
void beam__idle_stats(size_t *away, size_t *bytes);

#endif
