/* SPDX-License-Identifier: MIT */
/*
** park.c: idle schedulers sleep, and wake within microseconds of new work.
**
** The hard problem (Go's proc.go states it best): when work is submitted
** we want to wake a sleeping scheduler only if nobody else will pick the
** work up, or we pay a futex wake (~2 us) per message and burn CPU on
** schedulers that find nothing; but if we fail to wake one, runnable work
** sits while a core is idle.
**
** Rejected: waking a scheduler on every submission (thundering herd, and
** ~0% idle CPU becomes impossible); never waking and letting idle
** schedulers poll (burns CPU, and the issue asks for ~0% when idle).
**
** Chosen (Go's rule): a scheduler that looks for work to steal is
** "spinning", and at most half of the busy schedulers may spin at once.
** Submission wakes one parked scheduler only if there is an idle one and no
** spinner ('wakep'); the woken one starts out spinning. A spinner that
** finds work stops spinning and, if it was the last spinner, wakes another,
** so that a burst of work fans out one scheduler at a time.
**
** The racy transition: a submitter pushes work then reads 'npidle'; a
** parking scheduler publishes itself idle ('npidle' += 1) then re-reads
** every run queue. Both sides have a full barrier between their store and
** their load (a seq_cst fence in beam__sched_ready, the seq_cst increment
** here), so at least one of them sees the other: either the submitter sees
** the idle scheduler and wakes it, or the parker sees the work and stays up.
**
** Each scheduler sleeps on its own futex word, with the timeout of its next
** timer; its processes' timers are only ever in its own wheel.
*/
#include "park.h"
#include "../timer/timers.h"
#include "prio.h"
#include "qsbr.h"
#include "runq.h"
#include "sched.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static void futex_wait(_Atomic uint32_t *word, uint32_t val,
                       const struct timespec *rel) {
  syscall(SYS_futex, (uint32_t *) word, FUTEX_WAIT_PRIVATE, val, rel, NULL,
          0);
}

static void futex_wake(_Atomic uint32_t *word) {
  syscall(SYS_futex, (uint32_t *) word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

void beam__sched_unpark(beam__sched_t *s) {
  atomic_store_explicit(&s->park.word, 1, memory_order_release);
  futex_wake(&s->park.word);
}

/* Under rt.park.lock: take one parked scheduler off the idle list. */
static beam__sched_t *pop_idle(void) {
  beam__sched_t *s = beam__rt.park.idle;
  if (s) {
    beam__rt.park.idle = s->park.next;
    s->park.listed = false;
    atomic_fetch_sub_explicit(&beam__rt.park.npidle, 1, memory_order_seq_cst);
  }
  return s;
}

/* Under rt.park.lock: remove 's' if it is still listed. */
static bool remove_idle(beam__sched_t *s) {
  if (!s->park.listed)
    return false;
  beam__sched_t **pp = &beam__rt.park.idle;
  while (*pp != s)
    pp = &(*pp)->park.next;
  *pp = s->park.next;
  s->park.listed = false;
  atomic_fetch_sub_explicit(&beam__rt.park.npidle, 1, memory_order_seq_cst);
  return true;
}

void beam__sched_wakep(void) {
  if (atomic_load_explicit(&beam__rt.park.npidle, memory_order_seq_cst) == 0)
    return;
  int zero = 0;
  _Atomic int *spinning = &beam__rt.park.nspinning;
  if (atomic_load_explicit(spinning, memory_order_seq_cst) != 0 ||
      !atomic_compare_exchange_strong_explicit(spinning, &zero, 1,
                                               memory_order_seq_cst,
                                               memory_order_relaxed))
    return;
  pthread_mutex_lock(&beam__rt.park.lock);
  beam__sched_t *s = pop_idle();
  if (s)
    s->park.spinning = true; /* the nspinning we took is now its */
  pthread_mutex_unlock(&beam__rt.park.lock);
  if (s)
    beam__sched_unpark(s);
  else
    atomic_fetch_sub_explicit(&beam__rt.park.nspinning, 1,
                              memory_order_seq_cst);
}

void beam__sched_wake_all(void) {
  for (unsigned i = 0; i < beam__sched_live(); i++)
    beam__sched_unpark(beam__rt.sched[i]);
}

static bool any_work(beam__sched_t *self) {
  if (atomic_load_explicit(&beam__rt.gq.len, memory_order_seq_cst) > 0)
    return true;
  if (atomic_load_explicit(&self->pinned.has, memory_order_seq_cst))
    return true;
  if (beam__prio_any())
    return true;
  for (unsigned i = 0; i < beam__sched_live(); i++)
    if (!beam__runq_empty(beam__rt.sched[i]))
      return true;
  return false;
}

/* Offline for reclamation, sleep until unparked, stopping or the deadline. */
static void sleep_until(beam__sched_t *s, uint64_t deadline_ms) {
  beam__qsbr_offline(s);
  while (atomic_load_explicit(&s->park.word, memory_order_acquire) == 0 &&
         !atomic_load(&beam__rt.stopping)) {
    if (deadline_ms == UINT64_MAX) {
      futex_wait(&s->park.word, 0, NULL);
    } else {
      uint64_t now = beam__rt_now_ms();
      if (now >= deadline_ms)
        break;
      uint64_t ms = deadline_ms - now;
      struct timespec rel = {(time_t) (ms / 1000),
                             (long) (ms % 1000) * 1000000L};
      futex_wait(&s->park.word, 0, &rel);
    }
  }
  atomic_store_explicit(&s->park.word, 0, memory_order_relaxed);
  beam__qsbr_online(s);
}

/* A benched spare (spare.c) sleeps off the idle list: wakep must not pick
** it; sysmon, a pinned process's wakeup or shutdown unpark it. */
void beam__sched_park_benched(beam__sched_t *s, uint64_t deadline_ms) {
  sleep_until(s, deadline_ms);
}

void beam__sched_park(beam__sched_t *s, uint64_t deadline_ms) {
  pthread_mutex_lock(&beam__rt.park.lock);
  s->park.listed = true;
  s->park.next = beam__rt.park.idle;
  beam__rt.park.idle = s;
  atomic_fetch_add_explicit(&beam__rt.park.npidle, 1, memory_order_seq_cst);
  pthread_mutex_unlock(&beam__rt.park.lock);

  /* Re-check after publishing ourselves idle (see the top comment). */
  if (any_work(s) || atomic_load(&beam__rt.stopping)) {
    /* If a waker took us off the list meanwhile, it also made us a
    ** spinner ('spinning' set under the lock): that slot is ours now. */
    pthread_mutex_lock(&beam__rt.park.lock);
    remove_idle(s);
    pthread_mutex_unlock(&beam__rt.park.lock);
    return;
  }

  sleep_until(s, deadline_ms);
  pthread_mutex_lock(&beam__rt.park.lock);
  remove_idle(s); /* woke by timeout: nobody took us off the list */
  pthread_mutex_unlock(&beam__rt.park.lock);
}
