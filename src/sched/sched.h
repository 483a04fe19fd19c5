/* SPDX-License-Identifier: MIT */
/*
** sched/sched.h: the scheduler, and the runtime's global state.
**
** Glossary (after Go's proc.go): a *scheduler* is one OS thread with its
** own run queue, timer wheel and stack cache; a *process* runs on whichever
** scheduler dequeued it. The runtime ('beam__rt') holds what all schedulers
** share.
**
** Each subsystem owns a header with its slice of that state and its
** functions (runq.h, park.h, qsbr.h, prio.h, dirty.h, sysmon.h, spare.h;
** timer/timers.h; proc/stack.h, ptab.h, idle.h, memory.h). A scheduler and
** the runtime are assembled here from those slices, embedded by value, so
** a hot-path access is one offset from 's' or from 'beam__rt', as before
** the split. A file includes the slice headers it calls into, and this one
** only if it reaches into a scheduler or the runtime.
*/
#ifndef BEAM_SCHED_SCHED_H
#define BEAM_SCHED_SCHED_H

#include <pthread.h>

#include "../proc/idle.h"
#include "../proc/memory.h"
#include "../proc/proc.h"
#include "../proc/ptab.h"
#include "../proc/stack.h"
#include "../timer/timers.h"
#include "dirty.h"
#include "park.h"
#include "prio.h"
#include "qsbr.h"
#include "runq.h"
#include "spare.h"
#include "sysmon.h"

struct beam__sched {
  unsigned id;
  pthread_t thread;
  bool spare;               /* a watchdog's extra thread (spare.h) */
  beam__ctx_t ctx;          /* the scheduler loop's own context */
  beam__proc_t *current;    /* process running now, or NULL */
  uint64_t tick;            /* schedules done (for the 1-in-61 global check) */
  int64_t reds_start;       /* the running process's budget when it began
                               (less than a slice when inherited: run()) */
  uint32_t rand;            /* xorshift state for victim choice */
  bool in_fault; /* the fault handler is deciding (a nested fault is fatal,
                    fault.c) */
  /* Read at every pick: on the line of the fields above, not after the
  ** ring (whose size rounds up to whole lines). */
  beam__sched_prio_t prio;

  beam__runq_t runq;
  beam__sched_timers_t timers;
  beam__pinned_t pinned;
  beam__sched_park_t park;
  beam__sched_spare_t bench;
  beam__sched_qsbr_t qsbr; /* starts a cache line */
  beam__sched_stacks_t stacks;
  beam__sched_idle_t idle;
  beam__sched_mem_t mem;
  beam__sched_sysmon_t sysmon;
};

typedef struct beam__rt {
  unsigned nsched;          /* schedulers asked for (beam_config_t) */
  unsigned maxsched;        /* nsched + the spare limit: size of 'sched' */
  beam__sched_t **sched;
  /* Normal schedulers whose thread could not start at boot (they stay
  ** empty; the watchdog's arithmetic leaves them out). Set before sysmon
  ** starts, read by sysmon and spares only. */
  unsigned nsched_down;
  /* Slots of 'sched' in use: nsched, plus the spares sysmon has started.
  ** A slot's pointer is written before nlive counts it; nlive shrinks back
  ** only when a spare's thread fails to start (its slot never ran). */
  _Atomic unsigned nlive;
  /* Read by every readying on one scheduler: with the read-mostly fields,
  ** not beside the global queue's, which every push writes. */
  beam__rt_spare_t spare;
  _Atomic bool running;
  _Atomic bool stopping;
  int64_t start_ns; /* the runtime clock's origin (timers.h) */

  beam__gq_t gq;
  beam__rt_sysmon_t sysmon;
  beam__rt_park_t park;

  beam__ptab_t ptab; /* starts a cache line */
  /* Processes (proc.c). */
  alignas(BEAM_CACHELINE) _Atomic size_t process_count;
  size_t process_limit;
  size_t stack_size; /* default usable bytes */
  beam_pid_t first_pid;
  beam__msg_t *first_exit; /* the first process's exit reason, kept for
                              beam_run's answer (proc.c cleanup) */

  beam__rt_qsbr_t qsbr; /* starts a cache line */
} beam__rt_t;

extern beam__rt_t beam__rt;

/* The scheduler of the calling thread, or NULL. */
beam__sched_t *beam__sched_current(void);

/* How many slots of rt.sched to look at (loops over all schedulers). */
static inline unsigned beam__sched_live(void) {
  return atomic_load_explicit(&beam__rt.nlive, memory_order_seq_cst);
}

/* A scheduler's struct, set up but not started (sched.c). */
beam__sched_t *beam__sched_new(unsigned id);
void beam__sched_free(beam__sched_t *s);
/* A scheduler thread's body: 'arg' is its beam__sched_t. */
void *beam__sched_thread_main(void *arg);

/* [sched] Everything 's' may run next, stealing and parking if need be;
** NULL once the runtime stops (or a spare must bench). */
beam__proc_t *beam__sched_find_work(beam__sched_t *s);
/* [sched] Publish 'st' (WAITING or SLEEPING) for 'p', which switched out
** or was frozen, and wake it if what it waits for came meanwhile. */
void beam__sched_commit_wait(beam__sched_t *s, beam__proc_t *p, uint32_t st,
                             bool list_idle);

#endif
