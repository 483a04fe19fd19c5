/* SPDX-License-Identifier: MIT */
/*
** proc/memory.h: the counters behind beam_memory() (design in memory.c).
**
** Heap bytes are counted where they change hands, so that the summary
** costs O(schedulers) and no hot path writes a shared line: when a process
** switches out, its scheduler adds the change in its heap to a counter of
** its own, written by that thread only (a relaxed load and store, no
** read-modify-write) and read by beam_memory. Changes made off any
** scheduler (the final teardown) go to one shared atomic.
*/
#ifndef BEAM_PROC_MEMORY_H
#define BEAM_PROC_MEMORY_H

#include "proc.h"

typedef struct beam__sched_mem {
  _Atomic int64_t heap; /* deltas of the processes it switched out */
} beam__sched_mem_t;

extern _Atomic int64_t beam__mem_heap_other; /* deltas off any scheduler */

/* [boot] Before the schedulers' structs are freed: wait until no
** beam_memory() in another thread is reading them, and let no new one
** start (until the next beam_run opens them again). */
void beam__mem_close_scheds(void);
/* [boot] The schedulers' counters may be read. */
void beam__mem_open_scheds(void);

/* Count the change in 'p''s heap on 'm' (a scheduler's own counter), or on
** the shared one if 'm' is NULL. */
static inline void beam__mem_count_heap(beam__sched_mem_t *m, beam__proc_t *p) {
  int64_t d = (int64_t) p->heap.bytes - (int64_t) p->heap_counted;
  if (d == 0)
    return;
  p->heap_counted = p->heap.bytes;
  if (m)
    atomic_store_explicit(
        &m->heap, atomic_load_explicit(&m->heap, memory_order_relaxed) + d,
        memory_order_relaxed);
  else
    atomic_fetch_add_explicit(&beam__mem_heap_other, d, memory_order_relaxed);
}

#endif
