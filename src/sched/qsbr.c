/* SPDX-License-Identifier: MIT */
/*
** qsbr.c: when a dead process's descriptor may be reused.
**
** Senders resolve a pid to a descriptor without locks (ptab.c) and push
** into its mailbox; the process may exit at the same moment. The BEAM
** solves this with "thread progress"; we use the same idea, quiescent-state
** based reclamation: a scheduler holds descriptor pointers only while it
** runs one process (or one timer batch), never across the top of its loop,
** which is its quiescent point. A runtime call made by the running process
** that holds no descriptor but its caller's is one too (stack.c uses this
** when a spawn finds its slot cache empty, so that a process that spawns
** without pause does not stall reclamation on every scheduler).
**
**  - 'rt.qsbr.epoch' is a global counter. At each quiescent point a scheduler
**    publishes the epoch it read ('s->qsbr.epoch'); a parked scheduler
**    publishes 0, "offline", and holds nothing.
**  - Retiring a descriptor (after its pid was removed from the table)
**    stamps it with the current epoch E and bumps the epoch once, so that
**    E+1 exists.
**  - It may be reclaimed when every online scheduler has published an epoch
**    > E: each has then passed a quiescent point after the removal, so no
**    pointer to it survives anywhere.
** Reclaiming frees messages pushed after the exit, and recycles the slot.
**
** Orders: the stamp load and the publish store are seq_cst, and so are the
** table removal and a scheduler's return online; that total order is what
** the argument above walks along. A long-running process delays reuse of
** slots (never correctness); a parked scheduler does not.
*/
#include "qsbr.h"
#include "sched.h"

static uint64_t min_online_epoch(void) {
  uint64_t min = UINT64_MAX;
  for (unsigned i = 0; i < beam__sched_live(); i++) {
    uint64_t e = atomic_load_explicit(&beam__rt.sched[i]->qsbr.epoch,
                                      memory_order_seq_cst);
    if (e != 0 && e < min)
      min = e;
  }
  return min;
}

static void reclaim(beam__sched_t *s, bool all) {
  uint64_t min = all ? UINT64_MAX : min_online_epoch();
  while (s->qsbr.limbo_head &&
         (all || s->qsbr.limbo_head->retire_epoch < min)) {
    beam__proc_t *p = s->qsbr.limbo_head;
    s->qsbr.limbo_head = p->link;
    if (!s->qsbr.limbo_head)
      s->qsbr.limbo_tail = NULL;
    s->qsbr.limbo_count--;
    beam__proc_reclaim(s, p);
  }
}

void beam__qsbr_online(beam__sched_t *s) {
  atomic_store_explicit(
      &s->qsbr.epoch,
      atomic_load_explicit(&beam__rt.qsbr.epoch, memory_order_seq_cst),
      memory_order_seq_cst);
}

void beam__qsbr_offline(beam__sched_t *s) {
  atomic_store_explicit(&s->qsbr.epoch, 0, memory_order_seq_cst);
}

void beam__qsbr_quiescent(beam__sched_t *s) {
  uint64_t e = atomic_load_explicit(&beam__rt.qsbr.epoch, memory_order_seq_cst);
  /* Our newest retiree needs the epoch to move past its stamp. */
  if (s->qsbr.limbo_tail && s->qsbr.limbo_tail->retire_epoch == e)
    e = atomic_fetch_add_explicit(&beam__rt.qsbr.epoch, 1,
                                  memory_order_seq_cst) +
        1;
  if (atomic_load_explicit(&s->qsbr.epoch, memory_order_relaxed) != e)
    atomic_store_explicit(&s->qsbr.epoch, e, memory_order_seq_cst);
  if (s->qsbr.limbo_head)
    reclaim(s, false);
}

void beam__qsbr_retire(beam__sched_t *s, beam__proc_t *p) {
  p->retire_epoch =
      atomic_load_explicit(&beam__rt.qsbr.epoch, memory_order_seq_cst);
  p->link = NULL;
  if (s->qsbr.limbo_tail)
    s->qsbr.limbo_tail->link = p;
  else
    s->qsbr.limbo_head = p;
  s->qsbr.limbo_tail = p;
  s->qsbr.limbo_count++;
}

void beam__qsbr_drain_all(beam__sched_t *s) {
  reclaim(s, true);
}
