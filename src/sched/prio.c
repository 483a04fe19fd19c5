/* SPDX-License-Identifier: MIT */
/*
** prio.c: process priorities, with Erlang's rules.
**
** Four levels: max, high, normal, low. Normal processes use the fast
** per-scheduler rings (runq.c). The three others are rare, so each has one
** global FIFO (a mutex and a list through 'link'), which every scheduler
** looks at before its own ring; an atomic length makes the common case (all
** empty) three relaxed loads.
**
** Rules (the BEAM's): a runnable max process runs before any high, normal
** or low one, and a high before any normal or low: strictly, at every
** scheduling decision (a running process is not interrupted: it yields at
** the end of its slice, as on the BEAM). Normal and low share the CPU: a
** scheduler takes a low process instead of a normal one once every
** LOW_EVERY picks (so that neither starves), and whenever it has no normal
** work.
*/
#include "prio.h"
#include "sched.h"

#define LOW_EVERY 8

typedef struct prio_queue {
  pthread_mutex_t lock;
  beam__proc_t *head, *tail;
  _Atomic size_t len;
} prio_queue_t;

/* Processes in all three queues: the one load of the common case. */
static _Atomic size_t queued;

static prio_queue_t queues[BEAM_PRIO_MAX + 1] = {
    [BEAM_PRIO_LOW] = {.lock = PTHREAD_MUTEX_INITIALIZER},
    [BEAM_PRIO_HIGH] = {.lock = PTHREAD_MUTEX_INITIALIZER},
    [BEAM_PRIO_MAX] = {.lock = PTHREAD_MUTEX_INITIALIZER},
};

void beam__prio_push(beam__proc_t *p) {
  prio_queue_t *q = &queues[p->prio];
  p->link = NULL;
  pthread_mutex_lock(&q->lock);
  if (q->tail)
    q->tail->link = p;
  else
    q->head = p;
  q->tail = p;
  atomic_fetch_add_explicit(&q->len, 1, memory_order_seq_cst);
  atomic_fetch_add_explicit(&queued, 1, memory_order_seq_cst);
  pthread_mutex_unlock(&q->lock);
}

static beam__proc_t *pop(unsigned prio) {
  prio_queue_t *q = &queues[prio];
  if (!atomic_load_explicit(&q->len, memory_order_seq_cst))
    return NULL;
  pthread_mutex_lock(&q->lock);
  beam__proc_t *p = q->head;
  if (p) {
    q->head = p->link;
    if (!q->head)
      q->tail = NULL;
    atomic_fetch_sub_explicit(&q->len, 1, memory_order_relaxed);
    atomic_fetch_sub_explicit(&queued, 1, memory_order_relaxed);
  }
  pthread_mutex_unlock(&q->lock);
  return p;
}

beam__proc_t *beam__prio_get_urgent(void) {
  if (BEAM_LIKELY(!atomic_load_explicit(&queued, memory_order_relaxed)))
    return NULL;
  beam__proc_t *p = pop(BEAM_PRIO_MAX);
  return p ? p : pop(BEAM_PRIO_HIGH);
}

beam__proc_t *beam__prio_get_low(beam__sched_t *s, bool idle) {
  if (BEAM_LIKELY(!atomic_load_explicit(&queued, memory_order_relaxed)))
    return NULL;
  if (!idle && ++s->prio.low_tick % LOW_EVERY != 0)
    return NULL;
  return pop(BEAM_PRIO_LOW);
}

bool beam__prio_any(void) {
  return atomic_load_explicit(&queued, memory_order_seq_cst) != 0;
}

/* Runtime teardown: the queues point into processes that are reaped. */
void beam__prio_reset(void) {
  for (unsigned i = BEAM_PRIO_LOW; i <= BEAM_PRIO_MAX; i++) {
    queues[i].head = queues[i].tail = NULL;
    atomic_store(&queues[i].len, 0);
  }
  atomic_store(&queued, 0);
}

int beam_set_priority(beam_priority_t prio) {
  beam__proc_t *p = beam__proc_current();
  if (!p)
    return BEAM_ENOTPROC;
  if ((unsigned) prio > BEAM_PRIO_MAX)
    return BEAM_EINVAL;
  int old = p->prio;
  p->prio = (uint8_t) prio; /* read by whoever readies it next */
  return old;
}
