/* SPDX-License-Identifier: MIT */
/*
** runq.c: per-scheduler FIFO run queues with stealing, and the global queue.
**
** Go's design (DESIGN-NOTES §5) rather than a Chase-Lev deque: Chase-Lev's
** owner end is LIFO, which is right for fork-join but lets a process that
** keeps waking a neighbour starve older work. Here:
**  - a 256-slot ring per scheduler; only the owner pushes (at 'tail'), the
**    owner and thieves take from 'head' with a CAS. FIFO, so every runnable
**    process gets its turn.
**  - 'runnext': a process woken by the running one is run next, so a
**    request/reply pair stays on one core and in cache. The woken process
**    inherits the rest of the slice ('took_next' tells run() not to give
**    it a fresh one); the displaced runnext goes to the ring tail, so two
**    processes ping-ponging cannot starve the ring.
**  - a full ring moves half of itself to the global queue (mutex, a linked
**    list through 'link'); each scheduler looks at the global queue first
**    once every 61 schedules, so nothing parked there starves.
**  - an idle scheduler steals half of a victim's ring.
**
** Orders: the owner publishes a slot with a release store of 'tail' after
** writing it (pairs with the acquire load of 'tail' in steal). Consumers
** read the slot before the CAS on 'head'; the CAS is acq_rel: release so
** the owner's acquire load of 'head' knows the slot is free to overwrite.
** Slots are atomics accessed relaxed: a thief may read a slot the owner is
** about to overwrite, but then its CAS on 'head' fails and the value is
** dropped.
*/
#include "runq.h"
#include "sched.h"

static uint32_t load_head(beam__runq_t *q, memory_order mo) {
  return atomic_load_explicit(&q->head, mo);
}

/* Owner: the ring is full; move half of it plus 'p' to the global queue. */
static bool push_slow(beam__sched_t *s, beam__proc_t *p, uint32_t h,
                      uint32_t t) {
  beam__runq_t *q = &s->runq;
  uint32_t n = (t - h) / 2;
  beam__proc_t *batch[BEAM__RUNQ_SIZE / 2 + 1];
  for (uint32_t i = 0; i < n; i++)
    batch[i] = atomic_load_explicit(&q->ring[(h + i) % BEAM__RUNQ_SIZE],
                                    memory_order_relaxed);
  if (!atomic_compare_exchange_strong_explicit(&q->head, &h, h + n,
                                               memory_order_acq_rel,
                                               memory_order_relaxed))
    return false; /* thieves made room meanwhile: retry the fast path */
  batch[n++] = p;
  pthread_mutex_lock(&beam__rt.gq.lock);
  for (uint32_t i = 0; i < n; i++) {
    batch[i]->link = NULL;
    if (beam__rt.gq.tail)
      beam__rt.gq.tail->link = batch[i];
    else
      beam__rt.gq.head = batch[i];
    beam__rt.gq.tail = batch[i];
  }
  atomic_fetch_add_explicit(&beam__rt.gq.len, n, memory_order_relaxed);
  pthread_mutex_unlock(&beam__rt.gq.lock);
  return true;
}

void beam__runq_push(beam__sched_t *s, beam__proc_t *p) {
  beam__runq_t *q = &s->runq;
  for (;;) {
    uint32_t h = load_head(q, memory_order_acquire);
    uint32_t t = atomic_load_explicit(&q->tail, memory_order_relaxed);
    if (t - h < BEAM__RUNQ_SIZE) {
      atomic_store_explicit(&q->ring[t % BEAM__RUNQ_SIZE], p,
                            memory_order_relaxed);
      atomic_store_explicit(&q->tail, t + 1, memory_order_release);
      return;
    }
    if (push_slow(s, p, h, t))
      return;
  }
}

bool beam__runq_push_next(beam__sched_t *s, beam__proc_t *p) {
  beam__proc_t *old =
      atomic_exchange_explicit(&s->runq.runnext, p, memory_order_acq_rel);
  if (old)
    beam__runq_push(s, old);
  return old != NULL;
}

beam__proc_t *beam__runq_get(beam__sched_t *s) {
  beam__runq_t *q = &s->runq;
  beam__proc_t *p = atomic_load_explicit(&q->runnext, memory_order_relaxed);
  if (p && atomic_compare_exchange_strong_explicit(
               &q->runnext, &p, NULL, memory_order_acq_rel,
               memory_order_relaxed)) {
    q->took_next = true;
    return p;
  }
  q->took_next = false;
  for (;;) {
    uint32_t h = load_head(q, memory_order_acquire);
    uint32_t t = atomic_load_explicit(&q->tail, memory_order_relaxed);
    if (t == h)
      return NULL;
    p = atomic_load_explicit(&q->ring[h % BEAM__RUNQ_SIZE],
                             memory_order_relaxed);
    if (atomic_compare_exchange_weak_explicit(&q->head, &h, h + 1,
                                              memory_order_acq_rel,
                                              memory_order_relaxed))
      return p;
  }
}

bool beam__runq_empty(beam__sched_t *s) {
  beam__runq_t *q = &s->runq;
  return load_head(q, memory_order_acquire) ==
             atomic_load_explicit(&q->tail, memory_order_acquire) &&
         atomic_load_explicit(&q->runnext, memory_order_acquire) == NULL;
}

/* Any thread: take about half of 'victim''s ring into 's''s ring (which the
** caller owns and which is empty). Returns one process to run now. */
beam__proc_t *beam__runq_steal(beam__sched_t *s, beam__sched_t *victim,
                               bool take_next) {
  beam__runq_t *vq = &victim->runq, *q = &s->runq;
  for (;;) {
    uint32_t h = load_head(vq, memory_order_acquire);
    uint32_t t = atomic_load_explicit(&vq->tail, memory_order_acquire);
    uint32_t n = t - h;
    n -= n / 2;
    if (n == 0) {
      if (!take_next)
        return NULL;
      beam__proc_t *p =
          atomic_load_explicit(&vq->runnext, memory_order_acquire);
      if (p && atomic_compare_exchange_strong_explicit(
                   &vq->runnext, &p, NULL, memory_order_acq_rel,
                   memory_order_relaxed))
        return p;
      return NULL;
    }
    if (n > BEAM__RUNQ_SIZE / 2)
      continue; /* inconsistent h/t read: retry */
    uint32_t mt = atomic_load_explicit(&q->tail, memory_order_relaxed);
    for (uint32_t i = 0; i < n; i++) {
      beam__proc_t *p = atomic_load_explicit(
          &vq->ring[(h + i) % BEAM__RUNQ_SIZE], memory_order_relaxed);
      atomic_store_explicit(&q->ring[(mt + i) % BEAM__RUNQ_SIZE], p,
                            memory_order_relaxed);
    }
    if (!atomic_compare_exchange_strong_explicit(&vq->head, &h, h + n,
                                                 memory_order_acq_rel,
                                                 memory_order_relaxed))
      continue;
    /* Keep the last one to run now; publish the rest. */
    n--;
    beam__proc_t *run = atomic_load_explicit(
        &q->ring[(mt + n) % BEAM__RUNQ_SIZE], memory_order_relaxed);
    if (n > 0)
      atomic_store_explicit(&q->tail, mt + n, memory_order_release);
    return run;
  }
}

void beam__gq_push(beam__proc_t *p) {
  p->link = NULL;
  pthread_mutex_lock(&beam__rt.gq.lock);
  if (beam__rt.gq.tail)
    beam__rt.gq.tail->link = p;
  else
    beam__rt.gq.head = p;
  beam__rt.gq.tail = p;
  atomic_fetch_add_explicit(&beam__rt.gq.len, 1, memory_order_seq_cst);
  pthread_mutex_unlock(&beam__rt.gq.lock);
}

/* Take one process from the global queue, and move up to 'max' - 1 more to
** 's''s ring so the lock is not taken once per process. The periodic
** fairness check passes 1: its ring is not empty, and a batch would only
** overflow it back into the global queue. */
beam__proc_t *beam__gq_get(beam__sched_t *s, size_t max) {
  if (atomic_load_explicit(&beam__rt.gq.len, memory_order_seq_cst) == 0)
    return NULL;
  pthread_mutex_lock(&beam__rt.gq.lock);
  beam__proc_t *p = beam__rt.gq.head;
  size_t len = atomic_load_explicit(&beam__rt.gq.len, memory_order_relaxed);
  size_t take =
      len / (beam__rt.nsched + atomic_load_explicit(&beam__rt.spare.nactive,
                                                    memory_order_relaxed)) +
      1;
  if (take > BEAM__RUNQ_SIZE / 2)
    take = BEAM__RUNQ_SIZE / 2;
  if (take > max)
    take = max;
  size_t got = 0;
  beam__proc_t *batch[BEAM__RUNQ_SIZE / 2];
  while (beam__rt.gq.head && got < take) {
    batch[got++] = beam__rt.gq.head;
    beam__rt.gq.head = beam__rt.gq.head->link;
  }
  if (!beam__rt.gq.head)
    beam__rt.gq.tail = NULL;
  atomic_fetch_sub_explicit(&beam__rt.gq.len, got, memory_order_relaxed);
  pthread_mutex_unlock(&beam__rt.gq.lock);
  if (got == 0)
    return NULL;
  p = batch[0];
  for (size_t i = 1; i < got; i++)
    beam__runq_push(s, batch[i]);
  return p;
}
