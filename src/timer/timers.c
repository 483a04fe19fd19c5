/* SPDX-License-Identifier: MIT */
/*
** timers.c: receive timeouts, sleep, send_after, cancel_timer, read_timer,
** on top of one timing wheel per scheduler (wheel.c).
**
** Ownership. A scheduler fills its own wheel (a process's timeout is armed
** by the scheduler that blocks it; send_after by the scheduler running the
** caller) and fires it from its loop or when its park times out. Another
** scheduler touches a wheel only to cancel: a process woken by a message
** may resume elsewhere and must take its timer out of the wheel it was
** armed in. So each wheel has a mutex ('timers.lock'), uncontended but for
*those
** cancels; insert and cancel stay O(1).
**
** A process's timeout node is embedded in its descriptor: blocking with a
** timeout never allocates. It stays armed across spurious wake-ups (a
** message that does not match) and is cancelled when the receive returns.
** Firing and cancelling both happen under the wheel's lock, and the fired
** process is woken (CAS from WAITING/SLEEPING) before the lock is dropped,
** so the node is never touched after its owner has moved on; the
** descriptor itself outlives any such window by the grace period (qsbr.c).
**
** send_after allocates a node holding the copied message and the target
** pid, indexed by its ref id in a per-scheduler hash (under the same lock).
** The ref's low bits name the scheduler (BEAM__REF_SCHED_BITS), so
** cancel_timer and read_timer go straight to the right wheel and map.
*/
#include "timers.h"
#include "../sched/runq.h"
#include "../sched/sched.h"

struct beam__sendafter {
  beam__tnode_t node; /* first: the wheel hands back &node.t */
  uint64_t id;
  beam_pid_t to;
  beam__msg_t *msg;
  beam__sendafter_t *hnext;
};

uint64_t beam__rt_now_ms(void) {
  return (uint64_t) ((beam__now_ns() - beam__rt.start_ns) / 1000000);
}

/* The runtime clock counts whole ms since boot, rounded down; a deadline
** 'ms' from now is rounded up, so a timeout never ends early (Erlang's
** "at least T ms"): ceil((now_ns + ms * 10^6) / 10^6) = ms + ceil(now_ns /
** 10^6), computed that way so that no timeout overflows. Any 'ms' >= 0 is
** accepted (Erlang caps receive timeouts at 2^32 - 1 ms; a C caller's
** int64_t deserves better than a badarg): deadlines saturate at
** BEAM__DEADLINE_MAX, 292 million years away, which the wheel keeps on its
** far list and so never fires. */
uint64_t beam__rt_deadline_ms(int64_t ms) {
  int64_t since_boot = beam__now_ns() - beam__rt.start_ns;
  uint64_t base = (uint64_t) ((since_boot + 999999) / 1000000);
  if (ms < 0)
    ms = 0;
  if ((uint64_t) ms >= BEAM__DEADLINE_MAX - base)
    return BEAM__DEADLINE_MAX;
  return base + (uint64_t) ms;
}

/* Under timers.lock. */
static void publish_next(beam__sched_t *s) {
  atomic_store_explicit(&s->timers.next, beam__wheel_next(&s->timers.wheel),
                        memory_order_relaxed);
}

void beam__timers_init(beam__sched_t *s) {
  beam__wheel_init(&s->timers.wheel, beam__rt_now_ms());
  atomic_store_explicit(&s->timers.next, UINT64_MAX, memory_order_relaxed);
  s->timers.mask = 63;
  s->timers.count = 0;
  s->timers.map = beam__calloc(s->timers.mask + 1, sizeof *s->timers.map);
}

void beam__timers_fini(beam__sched_t *s) {
  if (!s->timers.map)
    return;
  for (size_t i = 0; i <= s->timers.mask; i++) {
    beam__sendafter_t *t = s->timers.map[i];
    while (t) {
      beam__sendafter_t *next = t->hnext;
      beam__msg_free(t->msg);
      beam__free(t);
      t = next;
    }
  }
  beam__free(s->timers.map);
  s->timers.map = NULL;
}

/* ---- The send_after map (under timers.lock) ---- */

static size_t bucket(beam__sched_t *s, uint64_t id) {
  return (size_t) ((id * UINT64_C(0x9e3779b97f4a7c15)) >> 32) & s->timers.mask;
}

static void map_grow(beam__sched_t *s) {
  size_t n = (s->timers.mask + 1) * 2;
  beam__sendafter_t **nt = beam__calloc(n, sizeof *nt);
  if (!nt)
    return; /* keep the old table: longer chains, still correct */
  beam__sendafter_t **old = s->timers.map;
  size_t oldn = s->timers.mask + 1;
  s->timers.map = nt;
  s->timers.mask = n - 1;
  for (size_t i = 0; i < oldn; i++) {
    beam__sendafter_t *t = old[i];
    while (t) {
      beam__sendafter_t *next = t->hnext;
      size_t b = bucket(s, t->id);
      t->hnext = nt[b];
      nt[b] = t;
      t = next;
    }
  }
  beam__free(old);
}

static void map_put(beam__sched_t *s, beam__sendafter_t *t) {
  if (s->timers.count >= s->timers.mask + 1)
    map_grow(s);
  size_t b = bucket(s, t->id);
  t->hnext = s->timers.map[b];
  s->timers.map[b] = t;
  s->timers.count++;
}

static beam__sendafter_t *map_find(beam__sched_t *s, uint64_t id,
                                   bool remove) {
  beam__sendafter_t **pp = &s->timers.map[bucket(s, id)];
  for (; *pp; pp = &(*pp)->hnext) {
    beam__sendafter_t *t = *pp;
    if (t->id != id)
      continue;
    if (remove) {
      *pp = t->hnext;
      s->timers.count--;
    }
    return t;
  }
  return NULL;
}

/* ---- Firing ---- */

size_t beam__timers_run(beam__sched_t *s) {
  return beam__timers_fire(s, s);
}

size_t beam__timers_fire(beam__sched_t *s, beam__sched_t *into) {
  size_t n = 0;
  pthread_mutex_lock(&s->timers.lock);
  beam__timer_t *t = beam__wheel_advance(&s->timers.wheel, beam__rt_now_ms());
  while (t) {
    beam__timer_t *next = t->next;
    beam__tnode_t *node = (beam__tnode_t *) t;
    if (node->kind == BEAM__TN_PROC) {
      beam__proc_t *p = BEAM_CONTAINER_OF(node, beam__proc_t, timer);
      if (beam__proc_wake(p, BEAM__P_WAITING) ||
          beam__proc_wake(p, BEAM__P_SLEEPING))
        beam__sched_ready(into, p, false);
    } else {
      beam__sendafter_t *sa = (beam__sendafter_t *) node;
      map_find(s, sa->id, true);
      beam__proc_deliver(sa->to, sa->msg);
      beam__free(sa);
    }
    n++;
    t = next;
  }
  publish_next(s);
  pthread_mutex_unlock(&s->timers.lock);
  return n;
}

/* ---- A process's own timeout ---- */

void beam__proc_timer_arm(beam__sched_t *s, beam__proc_t *p) {
  pthread_mutex_lock(&s->timers.lock);
  beam__wheel_add(&s->timers.wheel, &p->timer.t, (uint64_t) p->deadline_ms);
  publish_next(s);
  pthread_mutex_unlock(&s->timers.lock);
  p->timer_sched = s;
}

void beam__proc_timer_cancel(beam__proc_t *p) {
  beam__sched_t *s = p->timer_sched;
  if (!s)
    return;
  pthread_mutex_lock(&s->timers.lock);
  beam__wheel_cancel(&s->timers.wheel, &p->timer.t);
  pthread_mutex_unlock(&s->timers.lock);
  p->timer_sched = NULL;
}

/* ---- send_after / cancel_timer / read_timer ---- */

int beam_send_after(int64_t ms, beam_pid_t to, beam_term_t msg,
                    beam_term_t *tref) {
  beam__proc_t *self = beam__proc_current();
  if (!self)
    return BEAM_ENOTPROC;
  int bad = beam__term_bad(msg);
  if (bad != 0)
    return bad;
  if (ms < 0 || !beam__is_pid(to))
    return BEAM_EINVAL;
  beam__sched_t *s = self->sched;
  beam__sendafter_t *sa = beam__malloc(sizeof *sa);
  if (!sa)
    return BEAM_ENOMEM;
  int err = 0;
  sa->msg = beam__msg_new(msg, &err);
  if (!sa->msg) {
    beam__free(sa);
    return err;
  }
  sa->msg->from = self->pid;
  sa->id = (beam__ref_next_id() << BEAM__REF_SCHED_BITS) | (s->id + 1);
  beam_term_t ref = beam__ref_make(sa->id);
  if (beam_is_error(ref)) {
    beam__msg_free(sa->msg);
    beam__free(sa);
    return beam_term_error(ref);
  }
  sa->to = to;
  beam__timer_init(&sa->node.t);
  sa->node.kind = BEAM__TN_SENDAFTER;
  pthread_mutex_lock(&s->timers.lock);
  map_put(s, sa);
  beam__wheel_add(&s->timers.wheel, &sa->node.t, beam__rt_deadline_ms(ms));
  publish_next(s);
  pthread_mutex_unlock(&s->timers.lock);
  if (tref)
    *tref = ref;
  return 0;
}

/* Find the scheduler whose map may hold the timer 'tref'. */
static beam__sched_t *timer_owner(beam_term_t tref, uint64_t *id) {
  *id = beam__ref_id(tref);
  uint64_t sid = *id & ((1u << BEAM__REF_SCHED_BITS) - 1);
  if (*id == 0 || sid == 0 || sid > beam__sched_live())
    return NULL;
  return beam__rt.sched[sid - 1];
}

static int64_t timer_op(beam_term_t tref, bool cancel) {
  if (!beam__proc_current())
    return BEAM_ENOTPROC;
  if (beam_is_error(tref))
    return beam_term_error(tref);
  if (!beam_is_ref(tref))
    return BEAM_EINVAL;
  uint64_t id;
  beam__sched_t *s = timer_owner(tref, &id);
  if (!s)
    return BEAM_ENOENT;
  beam__sendafter_t *sa = NULL;
  int64_t left = BEAM_ENOENT;
  pthread_mutex_lock(&s->timers.lock);
  sa = map_find(s, id, cancel);
  if (sa) {
    /* In ms, floor(due - now): whole ms left, never overflowing. */
    int64_t now_ns = beam__now_ns() - beam__rt.start_ns;
    uint64_t due = sa->node.t.deadline, now_ms = (uint64_t) now_ns / 1000000;
    int64_t frac = now_ns % 1000000;
    left = due <= now_ms ? 0 : (int64_t) (due - now_ms) - (frac > 0);
    if (cancel) {
      beam__wheel_cancel(&s->timers.wheel, &sa->node.t);
      publish_next(s);
    }
  }
  pthread_mutex_unlock(&s->timers.lock);
  if (sa && cancel) {
    beam__msg_free(sa->msg);
    beam__free(sa);
  }
  return left;
}

int64_t beam_cancel_timer(beam_term_t tref) {
  return timer_op(tref, true);
}

int64_t beam_read_timer(beam_term_t tref) {
  return timer_op(tref, false);
}
