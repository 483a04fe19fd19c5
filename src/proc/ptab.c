/* SPDX-License-Identifier: MIT */
/*
** ptab.c: the process table, pid -> descriptor.
**
** A pid is not a pointer: it is a number N from one global counter that
** only grows. The entry index is N mod the table size and the serial is the
** rest (term.h), so a new pid never equals an old one until a 35-bit serial
** wraps, and a stale pid resolves to "dead" instead of to whatever process
** now sits in its entry (the BEAM's ptab does the same).
**
** Spawn takes the next N whose entry is free (one CAS; the table has twice
** as many entries as the process limit, so on average fewer than two tries).
** The table is mmap'ed with MAP_NORESERVE: untouched entries cost nothing.
**
** Each entry keeps the raw pid beside the pointer so 'beam_is_alive' can
** answer from any thread without dereferencing a descriptor that might be
** freed. Dereferencing 'proc' is safe only on a scheduler between two
** quiescent points (qsbr.c): the descriptor lives until every scheduler has
** passed one after its removal.
**
** Orders: insert publishes the descriptor with a release store of 'pid'
** after 'proc' (pairs with the acquire load in lookup); remove clears both
** with seq_cst stores before the process is retired, so that any lookup
** that starts after the retirement epoch is read sees NULL.
*/
#include "ptab.h"
#include "../sched/sched.h"

#include <sys/mman.h>

int beam__ptab_init(size_t limit) {
  unsigned bits = 10;
  while (((size_t) 1 << bits) < limit * 2 && bits < BEAM__PID_INDEX_BITS)
    bits++;
  size_t n = (size_t) 1 << bits;
  void *t = mmap(NULL, n * sizeof(beam__ptab_entry_t), PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (t == MAP_FAILED)
    return BEAM_ENOMEM;
  beam__rt.ptab.entries = t;
  beam__rt.ptab.bits = bits;
  beam__rt.ptab.mask = n - 1;
  /* Start at 1 so that no pid has the raw value of '[]' patterns, and
  ** reserve <0.0.0> for "nobody". */
  atomic_store_explicit(&beam__rt.ptab.pid_counter, 1, memory_order_relaxed);
  return 0;
}

void beam__ptab_fini(void) {
  if (beam__rt.ptab.entries)
    munmap(beam__rt.ptab.entries,
           (beam__rt.ptab.mask + 1) * sizeof(beam__ptab_entry_t));
  beam__rt.ptab.entries = NULL;
}

int beam__ptab_insert(beam__proc_t *p, beam_pid_t *out) {
  for (;;) {
    /* Relaxed: the counter only has to hand out distinct numbers. */
    uint64_t n = atomic_fetch_add_explicit(&beam__rt.ptab.pid_counter, 1,
                                           memory_order_relaxed);
    uint64_t index = n & beam__rt.ptab.mask;
    uint64_t serial = n >> beam__rt.ptab.bits;
    beam__ptab_entry_t *e = &beam__rt.ptab.entries[index];
    beam__proc_t *expected = NULL;
    if (atomic_load_explicit(&e->proc, memory_order_relaxed) != NULL)
      continue;
    if (!atomic_compare_exchange_strong_explicit(
            &e->proc, &expected, p, memory_order_acq_rel, memory_order_relaxed))
      continue;
    p->pid = beam__pid_make(index, serial);
    atomic_store_explicit(&e->pid, p->pid.raw, memory_order_release);
    *out = p->pid;
    return 0;
  }
}

void beam__ptab_remove(beam__proc_t *p) {
  beam__ptab_entry_t *e = &beam__rt.ptab.entries[beam__pid_index(p->pid)];
  /* Idempotent: the entry may already hold a newer process. */
  if (atomic_load_explicit(&e->proc, memory_order_relaxed) != p)
    return;
  atomic_store_explicit(&e->pid, 0, memory_order_seq_cst);
  atomic_store_explicit(&e->proc, NULL, memory_order_seq_cst);
}

beam__proc_t *beam__ptab_lookup(beam_pid_t pid) {
  if (!beam__is_pid(pid) || beam__rt.ptab.entries == NULL)
    return NULL;
  uint64_t index = beam__pid_index(pid);
  if (index > beam__rt.ptab.mask)
    return NULL;
  beam__ptab_entry_t *e = &beam__rt.ptab.entries[index];
  if (atomic_load_explicit(&e->pid, memory_order_acquire) != pid.raw)
    return NULL;
  beam__proc_t *p = atomic_load_explicit(&e->proc, memory_order_acquire);
  if (p == NULL || p->pid.raw != pid.raw)
    return NULL;
  return p;
}

bool beam__ptab_alive(beam_pid_t pid) {
  if (beam__rt.ptab.entries == NULL)
    return false;
  uint64_t index = beam__pid_index(pid);
  if (index > beam__rt.ptab.mask)
    return false;
  return atomic_load_explicit(&beam__rt.ptab.entries[index].pid,
                              memory_order_acquire) == pid.raw;
}
