/* SPDX-License-Identifier: MIT */
/*
** proc.c: spawn, exit, send, and the small process primitives.
**
** Waking a receiver without losing a wake-up. A sender pushes its message
** and then looks at the receiver's state; a receiver that found nothing
** switches to its scheduler, which stores WAITING and then looks at the
** mailbox again (sched.c, commit_wait). Both the sender's exchange + state
** load and the scheduler's state store + mailbox load are seq_cst, so in
** the single total order at least one side sees the other:
**   - the sender sees WAITING and moves it to RUNNABLE with a CAS, or
**   - the scheduler sees the message and does that CAS itself.
** If both see each other, the CAS lets exactly one enqueue the process. A
** timer racing with a sender uses the same CAS. A process that is RUNNING
** needs no wake: it will look at its mailbox before it blocks.
**
** Exit: the process switches to its scheduler for the last time
** (BEAM__Y_EXIT); the scheduler frees what the process owned, removes its
** pid from the table and retires the descriptor (qsbr.c). A sender that
** resolved the pid just before that can still push; its message is freed
** when the descriptor is reclaimed.
**
** Spawn copies the argument into one message block (the same deep copy as
** a send), which the child adopts into its heap when it first runs: the
** parent can release its own copy at once.
*/
#include "../sched/park.h"
#include "../sched/runq.h"
#include "../sched/sched.h"
#include "../timer/timers.h"
#include "idle.h"
#include "ptab.h"
#include "stack.h"

/* ---- Entry and exit ---- */

void beam__proc_entry(void) {
  beam__ctx_started();
  beam__proc_t *p = beam__proc_current();
  if (p->pflags & BEAM__PF_HIBERNATED) {
    /* Woken from beam_hibernate: by a message, or only by a signal (a
    ** link, a monitor, process_info), which does not end hibernation. */
    p->in_receive = 1; /* process_info says waiting, as erl does */
    beam__signals_drain(p);
    p->in_receive = 0;
    if (p->mbox.inner_len == 0)
      beam__proc_switch_out(p, BEAM__Y_HIBERNATE);
    p->pflags &= ~(uint32_t) BEAM__PF_HIBERNATED;
  }
  beam_term_t arg = p->arg_term;
  if (p->arg) {
    arg = beam__heap_adopt(&p->heap, p->arg);
    p->arg = NULL;
  }
  p->fn(arg);
  beam__proc_terminate(p, beam__am_normal); /* P2 */
}

void beam__proc_switch_out(beam__proc_t *p, uint32_t reason) {
  p->yield_reason = reason;
  /* "Dying" for the sanitizers: a hibernating context never resumes
  ** either; its next run is a new context on the same stack. */
  beam__ctx_switch(&p->ctx, &p->sched->ctx,
                   reason == BEAM__Y_EXIT || reason == BEAM__Y_HIBERNATE);
}

void beam_hibernate(beam_fn_t fn, beam_term_t arg) {
  beam__proc_t *p = beam__proc_current();
  if (p == NULL) {
    fputs("cbeam: beam_hibernate() called outside a process; aborting\n",
          stderr);
    abort();
  }
  if (fn == NULL || beam__term_bad(arg) != 0 || p->in_match)
    beam__proc_terminate(p, beam__am_badarg); /* in_match: a receive frame
                                                 is still running */
  beam__signals_drain(p); /* may end it; a queued message wakes it at once */
  beam_term_t *root = &arg;
  if (beam__heap_compact(&p->heap, &root, 1) != 0)
    beam__proc_terminate(p, beam__am_system_limit);
  p->fn = fn;
  p->arg_term = arg;
  p->arg = NULL;
  p->deadline_ms = -1;
  p->pflags |= BEAM__PF_HIBERNATED;
  beam__proc_switch_out(p, BEAM__Y_HIBERNATE);
  BEAM_PANIC("a hibernated context resumed");
}

void beam_exit(beam_term_t reason) {
  beam__proc_t *p = beam__proc_current();
  if (p == NULL) {
    fputs("cbeam: beam_exit() called outside a process; aborting\n", stderr);
    abort();
  }
  /* A reason that is no term is a crash, never 'normal' (links and
  ** monitors must hear of it): system_limit when it could not be built,
  ** badarg for anything else. */
  int bad = beam__term_bad(reason);
  if (bad != 0)
    reason = bad == BEAM_ENOMEM || bad == BEAM_ESYSLIMIT ? beam__am_system_limit
                                                         : beam__am_badarg;
  beam__proc_terminate(p, reason);
}

void beam__proc_cleanup(beam__proc_t *p) {
  atomic_store_explicit(&p->state, BEAM__P_EXITING, memory_order_seq_cst);
  beam__ptab_remove(p); /* already done unless the runtime is stopping */
  beam__signals_free(p);
  if (p->pid.raw == beam__rt.first_pid.raw && !beam__rt.first_exit) {
    beam__rt.first_exit = p->exit_reason; /* for beam_run's answer */
    p->exit_reason = NULL;
  }
  if (p->exit_reason) {
    beam__msg_free(p->exit_reason);
    p->exit_reason = NULL;
  }
  beam__heap_fini(&p->heap);
  beam__idle_discard(p);
  if (p->arg) {
    beam__msg_free(p->arg);
    p->arg = NULL;
  }
  beam__ctx_fini(&p->ctx);
  atomic_fetch_sub_explicit(&beam__rt.process_count, 1, memory_order_relaxed);
  if (p->pid.raw == beam__rt.first_pid.raw) {
    atomic_store(&beam__rt.stopping, true);
    beam__sched_wake_all();
  }
}

void beam__proc_reclaim(beam__sched_t *s, beam__proc_t *p) {
  /* Signals that came after its end get their answers; not at shutdown
  ** ('s' NULL), when everyone is going. */
  beam__mailbox_fini(&p->mbox, s ? beam__signal_dead : NULL, p);
  beam__stack_free(s, p);
}

/* ---- Spawn ---- */

static void exit_at_once(beam_term_t arg) {
  (void) arg;
}

int beam__proc_spawn(beam__sched_t *caller, beam_fn_t fn, beam_term_t arg,
                     const beam_spawn_opts_t *opts, beam_pid_t *out) {
  size_t stack = opts ? opts->stack_size : 0;
  unsigned flags = opts ? opts->flags : 0;
  unsigned known = BEAM_SPAWN_PINNED | BEAM_SPAWN_LINK | BEAM_SPAWN_MONITOR;
  beam__proc_t *parent = caller ? caller->current : NULL;
  if (fn == NULL || (flags & ~known) ||
      (opts && (unsigned) opts->priority > BEAM_PRIO_MAX) ||
      (stack != 0 && (stack < 16384 || stack > ((size_t) 1 << 30))))
    return BEAM_EINVAL;
  if ((flags & (BEAM_SPAWN_LINK | BEAM_SPAWN_MONITOR)) &&
      (parent == NULL ||
       ((flags & BEAM_SPAWN_MONITOR) && opts->monitor_ref == NULL)))
    return BEAM_EINVAL;
  int bad = beam__term_bad(arg);
  if (bad != 0)
    return bad;
  if (stack == beam__rt.stack_size)
    stack = 0;
  size_t n = atomic_fetch_add_explicit(&beam__rt.process_count, 1,
                                       memory_order_relaxed);
  if (n >= beam__rt.process_limit) {
    atomic_fetch_sub_explicit(&beam__rt.process_count, 1,
                              memory_order_relaxed);
    return BEAM_ESYSLIMIT;
  }
  beam__msg_t *argm = NULL;
  if (!beam__is_immediate(arg)) {
    int err = 0;
    argm = beam__msg_new(arg, &err);
    if (!argm) {
      atomic_fetch_sub_explicit(&beam__rt.process_count, 1,
                                memory_order_relaxed);
      return err;
    }
  }
  beam__proc_t *p = beam__stack_alloc(caller, stack);
  if (!p) {
    if (argm)
      beam__msg_free(argm);
    atomic_fetch_sub_explicit(&beam__rt.process_count, 1,
                              memory_order_relaxed);
    return BEAM_ENOMEM;
  }
  beam__mailbox_init(&p->mbox);
  beam__heap_init(&p->heap);
  beam__timer_init(&p->timer.t);
  p->timer.kind = BEAM__TN_PROC;
  p->fn = fn;
  p->arg = argm;
  p->arg_term = arg;
  p->flags = flags;
  p->prio = (uint8_t) (opts ? opts->priority : BEAM_PRIO_NORMAL);
  p->deadline_ms = -1;
  p->home = caller ? caller : beam__rt.sched[0];
  p->ref_mark_pos = NULL;
  beam__ctx_make(&p->ctx, beam__proc_entry);
  atomic_store_explicit(&p->state, BEAM__P_RUNNABLE, memory_order_relaxed);
  beam__ptab_insert(p, out);
  int err = 0;
  if (flags & BEAM_SPAWN_LINK)
    err = beam__signals_spawn_link(parent, p); /* before it runs: P5 */
  if (err == 0 && (flags & BEAM_SPAWN_MONITOR))
    err = beam__signals_spawn_monitor(parent, p, opts->monitor_ref); /* P6 */
  if (err != 0)
    p->fn = exit_at_once; /* nobody may wait for it: it just goes */
  beam__sched_ready(beam__tls()->sched == caller ? caller : NULL, p, false);
  return err;
}

int beam_spawn_opt(beam_fn_t fn, beam_term_t arg,
                   const beam_spawn_opts_t *opts, beam_pid_t *pid) {
  beam__proc_t *self = beam__proc_current();
  if (!self)
    return BEAM_ENOTPROC;
  if (pid == NULL)
    return BEAM_EINVAL;
  beam__proc_checkpoint(self, 10);
  return beam__proc_spawn(self->sched, fn, arg, opts, pid);
}

int beam_spawn(beam_fn_t fn, beam_term_t arg, beam_pid_t *pid) {
  return beam_spawn_opt(fn, arg, NULL, pid);
}

int beam_spawn_link(beam_fn_t fn, beam_term_t arg, beam_pid_t *pid) {
  beam_spawn_opts_t o = {.flags = BEAM_SPAWN_LINK};
  return beam_spawn_opt(fn, arg, &o, pid);
}

int beam_spawn_monitor(beam_fn_t fn, beam_term_t arg, beam_pid_t *pid,
                       beam_term_t *ref) {
  beam_spawn_opts_t o = {.flags = BEAM_SPAWN_MONITOR, .monitor_ref = ref};
  if (ref == NULL)
    return BEAM_EINVAL;
  return beam_spawn_opt(fn, arg, &o, pid);
}

/* ---- Messages ---- */

bool beam__proc_wake(beam__proc_t *p, uint32_t from) {
  uint32_t expected = from;
  return atomic_compare_exchange_strong_explicit(
      &p->state, &expected, BEAM__P_RUNNABLE, memory_order_seq_cst,
      memory_order_relaxed);
}

static void deliver(beam__sched_t *s, beam__proc_t *p, beam__msg_t *m) {
  beam__mailbox_push(&p->mbox, m);
  if (atomic_load_explicit(&p->state, memory_order_seq_cst) ==
          BEAM__P_WAITING &&
      beam__proc_wake(p, BEAM__P_WAITING))
    beam__sched_ready(s, p, true);
}

void beam__proc_push_signal(beam__proc_t *p, beam__msg_t *m) {
  beam__mailbox_push(&p->mbox, m);
  /* A sleeping process wakes for signals only: the same store-then-load
  ** handshake as messages, on 'sig_pending' (sched.c, commit_wait). */
  atomic_store_explicit(&p->sig_pending, true, memory_order_seq_cst);
  uint32_t st = atomic_load_explicit(&p->state, memory_order_seq_cst);
  if ((st == BEAM__P_WAITING || st == BEAM__P_SLEEPING) &&
      beam__proc_wake(p, st))
    beam__sched_ready(beam__sched_current(), p, true);
}

void beam__proc_deliver(beam_pid_t pid, beam__msg_t *m) {
  beam__proc_t *p = beam__ptab_lookup(pid);
  if (!p) {
    beam__msg_free(m);
    return;
  }
  deliver(beam__sched_current(), p, m);
}

/* A registered name, or {Name, Node} of this node, as a pid; 0 to drop
** silently (M4), or an error (M3, M5). */
static int resolve(beam_term_t *to) {
  if (beam__is_pid(*to))
    return 1;
  if (beam_is_atom(*to)) {
    *to = beam_whereis(*to);
    return beam__is_pid(*to) ? 1 : BEAM_EBADARG;
  }
  if (beam_is_tuple(*to) && beam_tuple_size(*to) == 2 &&
      beam_is_atom(beam_tuple_get(*to, 0)) &&
      beam_tuple_get(*to, 1).raw == beam__am_nonode.raw) {
    *to = beam_whereis(beam_tuple_get(*to, 0));
    return beam__is_pid(*to) ? 1 : 0;
  }
  return BEAM_EINVAL;
}

int beam_send(beam_pid_t to, beam_term_t msg) {
  beam__proc_t *self = beam__proc_current();
  if (!self)
    return BEAM_ENOTPROC;
  int bad = beam__term_bad(msg);
  if (bad != 0)
    return bad; /* even when 'to' is dead */
  if (beam_is_error(to))
    return beam_term_error(to);
  beam__proc_checkpoint(self, 1); /* before the lookup: it may yield */
  int r = resolve(&to);
  if (r <= 0)
    return r;
  beam__proc_t *p = beam__ptab_lookup(to);
  if (!p)
    return 0; /* a dead pid: dropped silently, as in Erlang (M2) */
  int err = 0;
  beam__msg_t *m = beam__msg_new(msg, &err);
  if (!m)
    return err;
  m->from = self->pid;
  beam__tls()->reds -= (int64_t) (m->size / 256); /* the copy's cost */
  deliver(self->sched, p, m);
  return 0;
}

/* ---- Small primitives ---- */

beam_pid_t beam_self(void) {
  beam__proc_t *p = beam__proc_current();
  return p ? p->pid : beam_error_term(BEAM_ENOTPROC);
}

int beam_is_alive(beam_pid_t pid) {
  if (!beam__is_pid(pid))
    return beam_is_error(pid) ? beam_term_error(pid) : BEAM_EINVAL;
  if (!beam__ptab_alive(pid))
    return 0;
  /* P7: an exit signal the caller sent that will end it counts as done.
  ** Only a scheduler may look at the descriptor (qsbr.c). */
  beam__proc_t *p = beam__sched_current() ? beam__ptab_lookup(pid) : NULL;
  if (!p)
    return 1;
  if (atomic_load_explicit(&p->doomed, memory_order_seq_cst))
    return 0;
  beam__proc_t *self = beam__proc_current();
  if (self && self != p &&
      atomic_load_explicit(&p->doubtful, memory_order_seq_cst))
    return beam__signals_probe_alive(self, pid); /* only it can tell */
  return 1;
}

/* ---- Reductions ---- */

static bool checkpoint(beam__tls_t *t, beam__proc_t *p, int64_t cost) {
  t->reds -= cost;
  beam__signals_check(p);
  if (BEAM_LIKELY(t->reds > 0))
    return false;
  beam__proc_switch_out(p, BEAM__Y_YIELD);
  beam__signals_check(p);
  return true;
}

bool beam__proc_checkpoint(beam__proc_t *p, int64_t cost) {
  return checkpoint(beam__tls(), p, cost);
}

uint64_t beam__proc_reductions(const beam__proc_t *p) {
  return p->reductions + (uint64_t) (p->sched->reds_start - beam__tls()->reds);
}

int beam_consume(int64_t reductions) {
  beam__tls_t *t = beam__tls();
  if (!t->heap || reductions < 0) /* not in a process: nothing to share */
    return reductions < 0 ? BEAM_EINVAL : 0;
  return checkpoint(t, t->sched->current, reductions) ? 1 : 0;
}

int beam_yield_check(void) {
  return beam_consume(1);
}

int beam_yield(void) {
  beam__proc_t *p = beam__proc_current();
  if (!p)
    return BEAM_ENOTPROC;
  beam__proc_switch_out(p, BEAM__Y_YIELD);
  p = beam__proc_current(); /* maybe another thread now */
  beam__signals_check(p);
  return 0;
}

int beam_sleep(int64_t ms) {
  beam__proc_t *p = beam__proc_current();
  if (!p)
    return BEAM_ENOTPROC;
  if (ms < 0)
    return BEAM_EINVAL;
  if (ms == 0)
    return beam_yield();
  p->deadline_ms = (int64_t) beam__rt_deadline_ms(ms);
  beam__signals_check(p);
  while ((int64_t) beam__rt_now_ms() < p->deadline_ms) {
    p->in_receive = 1; /* process_info shows a sleeper as waiting */
    beam__proc_switch_out(p, BEAM__Y_SLEEP);
    p = beam__proc_current();
    beam__signals_check(p); /* X16: exit signals act during a sleep; an
                               info request is answered 'waiting' */
    p->in_receive = 0;
  }
  beam__proc_timer_cancel(p);
  p->deadline_ms = -1;
  return 0;
}

beam_term_t beam_make_ref(void) {
  uint64_t id = beam__ref_next_id() << BEAM__REF_SCHED_BITS;
  beam_term_t ref = beam__ref_make(id);
  beam__proc_t *p = beam__proc_current();
  if (p && !beam_is_error(ref)) {
    /* Messages already in the inner queue cannot hold this new ref. */
    p->ref_mark_id = id;
    p->ref_mark_pos = p->mbox.lastp;
  }
  return ref;
}
