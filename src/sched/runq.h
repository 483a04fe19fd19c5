/* SPDX-License-Identifier: MIT */
/*
** sched/runq.h: where runnable normal processes wait (design in runq.c).
**
** Three queues, told apart by who may push and who may take:
**  - each scheduler's ring (Go's per-P ring): only the owner pushes, at
**    'tail'; the owner and thieves take at 'head' with a CAS. 'head' and
**    'tail' each start a cache line of their own, so a thief's CAS does not
**    evict the line the owner pushes on, and the owner-only 'took_next'
**    starts a third. 'runnext' holds the process most recently woken by
**    this scheduler, run next so a message ping-pong stays on one core.
**  - each scheduler's pinned queue: processes pinned to it
**    (BEAM_SPAWN_PINNED) that another thread readied. They may run on that
**    thread only, so nobody steals them; a mutex, and 'has' so that the
**    owner's loop and its parking skip the lock while it is empty.
**  - the global queue: overflow of full rings, boot, and wakeups from
**    threads that are not schedulers. A mutex and a list through the
**    descriptors' 'link'; 'len' lets a look at an empty queue (every
**    schedule, in the common case) skip the lock.
** Max, high and low priority processes wait in prio.h's queues instead,
** unless they are pinned.
*/
#ifndef BEAM_SCHED_RUNQ_H
#define BEAM_SCHED_RUNQ_H

#include <pthread.h>

#include "../proc/proc.h"

#define BEAM__RUNQ_SIZE 256

typedef struct beam__runq {
  alignas(BEAM_CACHELINE) _Atomic uint32_t head;
  alignas(BEAM_CACHELINE) _Atomic uint32_t tail;
  _Atomic(beam__proc_t *) runnext;
  _Atomic(beam__proc_t *) ring[BEAM__RUNQ_SIZE];
  /* Owner only, apart from what thieves read: the last get took runnext,
  ** whose process inherits the rest of the slice (sched.c, run). */
  alignas(BEAM_CACHELINE) bool took_next;
} beam__runq_t;

/* A scheduler's pinned processes woken by other threads (under 'lock'). */
typedef struct beam__pinned {
  pthread_mutex_t lock;
  beam__proc_t *head, *tail;
  _Atomic bool has;
} beam__pinned_t;

/* The global run queue (in beam__rt). */
typedef struct beam__gq {
  pthread_mutex_t lock;
  beam__proc_t *head, *tail;
  _Atomic size_t len;
} beam__gq_t;

/* Make a runnable process run somewhere: on 's' (the waker's scheduler), on
** its home if pinned, or on the global queue when 's' is NULL; wakes an idle
** scheduler if one should come for it. The policy over every queue, with
** the pinned ones it alone touches, is the scheduler's (sched.c). [any] */
void beam__sched_ready(beam__sched_t *s, beam__proc_t *p, bool next);

/* [owner] unless said. */
void beam__runq_push(beam__sched_t *s, beam__proc_t *p);
/* Returns true if it displaced an earlier runnext into the ring. */
bool beam__runq_push_next(beam__sched_t *s, beam__proc_t *p);
beam__proc_t *beam__runq_get(beam__sched_t *s);
/* [any] Take about half of 'victim''s queue into 's'; returns one to run. */
beam__proc_t *beam__runq_steal(beam__sched_t *s, beam__sched_t *victim,
                               bool take_next);
bool beam__runq_empty(beam__sched_t *s);
void beam__gq_push(beam__proc_t *p);
beam__proc_t *beam__gq_get(beam__sched_t *s, size_t max);

#endif
