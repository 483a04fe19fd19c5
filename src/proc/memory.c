/* SPDX-License-Identifier: MIT */
/*
** memory.c: beam_memory(), what the runtime's memory holds.
**
** Every figure is a counter kept where the memory changes hands, so the
** summary costs O(schedulers), not O(processes), and nothing on a hot
** path takes a shared cache line:
**  - heaps: each scheduler adds the change in a process's heap bytes when
**    the process switches out (sched.c, beam__mem_count_heap), on its own
**    counter, written by its thread only; deltas off any scheduler (the
**    final teardown) go to one shared atomic. The sum is exact whenever
**    no process is running; a running one counts as of its last switch.
**  - saved stacks (idle.c), shared binaries (bin.c), atoms (atom.c): their
**    own atomics, changed on rare events.
**  - descriptors: the process count times the descriptor size.
** Resident stacks cannot be counted without asking the kernel page by page
** (mincore), so 'stacks' estimates one page per process whose stack is in
** place: a deep stack holds more, and a process that waited in a shallow
** frame after a deep call keeps those pages until it is frozen.
*/
#include "memory.h"
#include "../sched/sched.h"
#include "idle.h"
#include "stack.h"

#include <sched.h>
#include <stdbool.h>
#include <unistd.h>

_Atomic int64_t beam__mem_heap_other;

/* beam_memory may run in any thread, also while beam_run tears the
** schedulers down: a reader announces itself before it looks at
** 'sched_open', and teardown clears 'sched_open' before it waits for the
** readers to leave (both sequentially consistent, Dekker's pattern), so
** no reader is inside the scheduler structs when they are freed. */
static _Atomic unsigned readers;
static _Atomic bool sched_open;

void beam__mem_open_scheds(void) {
  atomic_store(&sched_open, true);
}

void beam__mem_close_scheds(void) {
  atomic_store(&sched_open, false);
  while (atomic_load(&readers) != 0)
    sched_yield();
}

static size_t heap_bytes(void) {
  int64_t sum = atomic_load_explicit(&beam__mem_heap_other,
                                     memory_order_relaxed);
  atomic_fetch_add(&readers, 1);
  if (atomic_load(&sched_open))
    for (unsigned i = 0; i < beam__sched_live(); i++)
      if (beam__rt.sched[i])
        sum += atomic_load_explicit(&beam__rt.sched[i]->mem.heap,
                                    memory_order_relaxed);
  atomic_fetch_sub(&readers, 1);
  return sum > 0 ? (size_t) sum : 0;
}

int beam_memory(beam_memory_t *out) {
  if (out == NULL)
    return BEAM_EINVAL;
  memset(out, 0, sizeof *out);
  size_t page = (size_t) sysconf(_SC_PAGESIZE);
  out->process_count = beam_process_count();
  beam__idle_stats(&out->idle_processes, &out->stacks_saved);
  size_t in_place = out->process_count > out->idle_processes
                        ? out->process_count - out->idle_processes
                        : 0;
  out->descriptors = out->process_count * beam__stack_desc_bytes();
  out->heaps = heap_bytes();
  out->stacks = in_place * page + out->stacks_saved;
  out->processes = out->descriptors + out->heaps + out->stacks;
  out->binaries = beam__bin_live_bytes();
  out->atoms = beam__atoms_bytes();
  out->total = out->processes + out->binaries + out->atoms;
  return 0;
}
