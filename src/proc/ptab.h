/* SPDX-License-Identifier: MIT */
/*
** proc/ptab.h: the process table, pid -> descriptor (design in ptab.c).
**
** A pid is a number from one counter that only grows: its entry is the
** number mod the table size, the rest is a serial, so a stale pid resolves
** to "dead", never to the process that now sits in its entry. Each entry
** keeps the raw pid beside the pointer, so any thread can answer "alive?"
** without touching a descriptor that may be freed; dereferencing 'proc' is
** safe only on a scheduler between two quiescent points (qsbr.h). The
** counter is bumped by every spawn on every scheduler, so it has a cache
** line of its own.
*/
#ifndef BEAM_PROC_PTAB_H
#define BEAM_PROC_PTAB_H

#include "proc.h"

typedef struct beam__ptab_entry {
  _Atomic(beam__proc_t *) proc;
  _Atomic uint64_t pid; /* raw pid of 'proc', 0 when free */
} beam__ptab_entry_t;

/* The table (in beam__rt): mmap'ed, a power of two at least twice the
** process limit. */
typedef struct beam__ptab {
  beam__ptab_entry_t *entries;
  uint64_t mask;
  unsigned bits;
  alignas(BEAM_CACHELINE) _Atomic uint64_t pid_counter;
} beam__ptab_t;

int beam__ptab_init(size_t limit);
void beam__ptab_fini(void);
int beam__ptab_insert(beam__proc_t *p, beam_pid_t *out);
void beam__ptab_remove(beam__proc_t *p);
/* [sched] Resolve a pid; valid until the caller's next quiescent point. */
beam__proc_t *beam__ptab_lookup(beam_pid_t pid);
bool beam__ptab_alive(beam_pid_t pid);

#endif
