/* SPDX-License-Identifier: MIT */
/*
** sched/dirty.h: the dirty pools, plain threads for long computations and
** blocking calls (design in dirty.c).
**
** A process making a dirty call switches out (BEAM__Y_DIRTY); its
** scheduler, once nothing runs on the process's stack any more, submits
** the job and goes on. A pool thread runs the call and readies the process
** on the global queue. The pools' queues are private to dirty.c: no
** scheduler holds dirty state of its own.
*/
#ifndef BEAM_SCHED_DIRTY_H
#define BEAM_SCHED_DIRTY_H

#include "../proc/proc.h"

enum { BEAM__DIRTY_CPU = 0, BEAM__DIRTY_IO = 1 };
int beam__dirty_start(unsigned cpu_threads, unsigned io_threads);
void beam__dirty_stop(void);
void beam__dirty_submit(beam__proc_t *p); /* [sched] after Y_DIRTY */

#endif
