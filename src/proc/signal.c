/* SPDX-License-Identifier: MIT */
/*
** signal.c: links, monitors, exit signals and how a process ends.
**
** Model (the BEAM's, since OTP 21): everything one process does to another
** is a *signal* pushed into the target's mailbox queue, the same queue as
** messages, so per pair all of it keeps send order (SEMANTICS O1, O4, O6).
** The target acts on a signal itself, when it drains its queue: in
** receive, or at a checkpoint of a runtime call (sleep, yield, send,
** spawn). So link, monitor and trap state belongs to one process and is
** only ever touched by it: no locks, and the rules of SEMANTICS §3-§6 fall
** out of the order in which one thread handles its queue:
**  - link(B) by A: A records B, then sends LINK; B records A on arrival.
**    unlink: A forgets B at once, then sends UNLINK. An exit signal caused
**    by a linked process's end (EXIT_LINKED) acts only if its sender is
**    still in the receiver's link set, so after unlink returns nothing from
**    that link has an effect, even a signal already in flight (L8).
**  - monitor(B) by A: A records the ref, then sends MONITOR; B records
**    (ref, A) in 'monitored_by'. B's end sends DOWN to each; A turns a DOWN
**    into a message only while it still holds the ref, so after demonitor
**    returns no DOWN appears (N15).
**  - exit signals follow the table of SEMANTICS §5 (handle_exit()).
**
** A process ends in its own context (beam__proc_terminate): exit hooks,
** then the registered name goes, then its pid leaves the table (is_alive is
** false from here), then the queue is drained one last time (a LINK or
** MONITOR that got there first is honoured), then links get EXIT and
** monitors DOWN with the reason, and the monitors it held are cancelled.
** So anyone who sees the EXIT or DOWN also sees the name gone and the pid
** dead (P8). A signal that reaches the queue after that last drain (its
** sender resolved the pid just before) is answered when the descriptor is
** reclaimed (beam__signal_dead): LINK with an exit signal 'noproc',
** MONITOR with a DOWN 'noproc', as the BEAM does for a dead target.
**
** Unlink (L7-L9, and links crossing unlinks). unlink(B) in A does not drop
** A's entry for B at once: it marks it with a fresh unlink id U and sends
** UNLINK(U); B drops its entry if it is active and answers UNLINK_ACK(U);
** A drops its entry when that ack comes back, if it still says U. While
** the entry says U, A ignores EXIT signals from B (after unlink returns,
** the old link has no effect) and a LINK from B (B sent it before it
** handled our UNLINK, which will drop B's side too); A's own link(B) makes
** the entry active again. This is the BEAM's protocol since OTP 23: without
** the id, A unlinking while B unlinks and relinks leaves a link at one end
** only (erl ends with no link at either end). An EXIT from B while the
** entry says U means B died before it saw the UNLINK: the entry goes.
**
** is_alive right after exit_signal(P, R) must tell how R ended P (P7). A
** kill ends it whatever it does: the sender counts it in the target's
** 'doomed' before pushing, nobody counts it down (the target dies of it;
** a reused descriptor starts at 0), and is_alive answers 0 once the count
** is up. Another abnormal reason ends it
** unless it traps exits *when it handles the signal*, which only the
** target knows: those are counted in 'doubtful', and while that count is
** up is_alive asks the target (a probe signal, answered after every signal
** the caller sent before it), as the BEAM's is_process_alive does.
*/
#include "../sched/sched.h"
#include "../timer/timers.h"
#include "ptab.h"
#include "../util/u64map.h"

#include <dlfcn.h>

typedef struct hook {
  beam_exit_hook_t fn;
  void *ctx;
} hook_t;

/* A link entry's value: LINK_ACTIVE, or the id of an unlink in flight
** (>= 2) whose UNLINK_ACK has not come back yet (see "Unlink" above). */
#define LINK_ACTIVE 1u

typedef struct beam__psig {
  beam__u64map_t links;        /* pid raw -> LINK_ACTIVE or unlink id */
  uint32_t next_unlink;        /* ids for unlinks: 2, 3, ... (wrapping) */
  beam__u64map_t monitors;     /* ref id -> monitored pid raw */
  beam__u64map_t mon_names;    /* ref id -> name atom raw (by name) */
  beam__u64map_t monitored_by; /* ref id -> monitoring pid raw */
  beam__u64map_t aliases;      /* ref id -> 1, while active */
  hook_t *hooks;
  size_t nhooks, hook_cap;
} beam__psig_t;


static beam__psig_t *psig(beam__proc_t *p) {
  if (!p->sig)
    p->sig = beam__calloc(1, sizeof *p->sig);
  return p->sig;
}

void beam__signals_free(beam__proc_t *p) {
  beam__psig_t *g = p->sig;
  if (!g)
    return;
  beam__u64map_free(&g->links);
  beam__u64map_free(&g->monitors);
  beam__u64map_free(&g->mon_names);
  beam__u64map_free(&g->monitored_by);
  beam__u64map_free(&g->aliases);
  beam__free(g->hooks);
  beam__free(g);
  p->sig = NULL;
}

/* ---- Sending ---- */

/* Push a signal carrying a copy of 'term' to 'to'. BEAM_ENOPROC if 'to' is
** dead. [sched] */
static int sig_send(beam_pid_t to, uint32_t kind, beam_term_t term,
                    beam_pid_t from, uint32_t aux) {
  beam__proc_t *t = beam__ptab_lookup(to);
  if (!t)
    return BEAM_ENOPROC;
  int err = 0;
  beam__msg_t *m = beam__msg_new(term, &err);
  if (!m)
    return err;
  m->kind = kind;
  m->from = from;
  m->aux = aux;
  if (aux & BEAM__SIG_AUX_DOOM)
    atomic_fetch_add_explicit(&t->doomed, 1, memory_order_seq_cst);
  if (aux & BEAM__SIG_AUX_MAYBE)
    atomic_fetch_add_explicit(&t->doubtful, 1, memory_order_seq_cst);
  beam__proc_push_signal(t, m);
  return 0;
}

/* Put a message in the caller's own queue (it is running: no wake). */
static int self_message(beam__proc_t *p, beam_term_t term) {
  int err = 0;
  beam__msg_t *m = beam__msg_new(term, &err);
  if (!m)
    return err;
  m->from = p->pid;
  beam__mailbox_push(&p->mbox, m);
  return 0;
}

static beam_term_t exit_tuple(beam_pid_t from, beam_term_t reason) {
  return beam_tuple(3, beam__am_EXIT, from, reason);
}

static beam_term_t down_tuple(beam_term_t ref, beam_term_t obj,
                              beam_term_t reason) {
  return beam_tuple(5, beam__am_DOWN, ref, beam__am_process, obj, reason);
}

static beam_term_t name_object(beam_term_t name) {
  return beam_tuple(2, name, beam__am_nonode);
}

/* ---- Handling, while alive ---- */

static _Noreturn void die_of(beam__proc_t *p, beam__msg_t *m,
                             beam_term_t reason) {
  beam__heap_adopt(&p->heap, m); /* 'reason' may live in 'm' */
  p->killed_by_signal = 1;
  beam__proc_terminate(p, reason);
}

static beam__msg_t *handle_exit(beam__proc_t *p, beam__msg_t *m) {
  beam_term_t reason = beam_tuple_get(m->term, 2);
  /* A DOOM signal (a kill: beam_exit_signal) is never counted down: the
  ** process dies of it, and until its pid leaves the table 'doomed' is
  ** what tells is_alive (P7). Counting it down first left a window in
  ** which a sender saw the victim alive. */
  if (m->aux & BEAM__SIG_AUX_MAYBE)
    atomic_fetch_sub_explicit(&p->doubtful, 1, memory_order_seq_cst);
  if (m->kind == BEAM__SIG_EXIT_LINKED) {
    uint64_t v = 0;
    if (!p->sig || !beam__u64map_del(&p->sig->links, m->from.raw, &v) ||
        v != LINK_ACTIVE) {
      beam__msg_free(m); /* unlinked meanwhile (L8); no ack will come */
      return NULL;
    }
  } else if (reason.raw == beam__am_kill.raw) {
    die_of(p, m, beam__am_killed); /* untrappable (X7) */
  }
  if (atomic_load_explicit(&p->trap_exit, memory_order_relaxed)) {
    m->kind = BEAM__SIG_MSG; /* {'EXIT', From, Reason} (X3) */
    m->aux = 0;
    return m;
  }
  if (reason.raw == beam__am_normal.raw) {
    beam__msg_free(m); /* ignored (X5, L11) */
    return NULL;
  }
  die_of(p, m, reason); /* X6 */
}

static void answer_info(beam__proc_t *p, beam__msg_t *m, bool alive);

static beam__msg_t *handle_down(beam__proc_t *p, beam__msg_t *m) {
  beam_term_t ref = beam_tuple_get(m->term, 1);
  uint64_t id = beam__ref_id(ref), name;
  if (!p->sig || !beam__u64map_del(&p->sig->monitors, id, NULL)) {
    beam__msg_free(m); /* demonitored (N15) */
    return NULL;
  }
  if (beam__u64map_del(&p->sig->mon_names, id, &name)) {
    /* By name: the DOWN names {Name, Node} (N4). Rare: rebuild it. */
    beam_mark_t mark = beam_arena_mark();
    beam_term_t t = down_tuple(ref, name_object(beam__mk(name)),
                               beam_tuple_get(m->term, 4));
    int err = 0;
    beam__msg_t *n = beam__msg_new(t, &err);
    beam_arena_release(mark);
    if (n) {
      n->from = m->from;
      beam__msg_free(m);
      m = n;
    }
  }
  m->kind = BEAM__SIG_MSG;
  return m;
}

beam__msg_t *beam__signal_handle(void *proc, beam__msg_t *m) {
  beam__proc_t *p = proc;
  uint64_t id;
  switch (m->kind) {
  case BEAM__SIG_EXIT:
  case BEAM__SIG_EXIT_LINKED:
    if (p->exiting)
      break;
    return handle_exit(p, m);
  case BEAM__SIG_DOWN:
    if (p->exiting)
      break;
    return handle_down(p, m);
  case BEAM__SIG_LINK:
    if (p->sig && beam__u64map_get(&p->sig->links, m->from.raw, NULL))
      break; /* active already, or our unlink will undo the sender's side */
    if (!psig(p) ||
        beam__u64map_put(&p->sig->links, m->from.raw, LINK_ACTIVE) != 0) {
      if (!p->exiting)
        die_of(p, m, beam__am_system_limit); /* the link could not be kept */
    }
    break;
  case BEAM__SIG_UNLINK: {
    uint64_t v;
    if (p->sig && beam__u64map_get(&p->sig->links, m->from.raw, &v) &&
        v == LINK_ACTIVE)
      beam__u64map_del(&p->sig->links, m->from.raw, NULL);
    sig_send(m->from, BEAM__SIG_UNLINK_ACK, beam_nil(), p->pid, m->aux);
    break;
  }
  case BEAM__SIG_UNLINK_ACK: {
    uint64_t v;
    if (p->sig && beam__u64map_get(&p->sig->links, m->from.raw, &v) &&
        v == m->aux)
      beam__u64map_del(&p->sig->links, m->from.raw, NULL);
    break;
  }
  case BEAM__SIG_MONITOR:
    id = beam__ref_id(m->term);
    if (!psig(p) || beam__u64map_put(&p->sig->monitored_by, id,
                                     m->from.raw) != 0) {
      if (!p->exiting)
        die_of(p, m, beam__am_system_limit);
    }
    break;
  case BEAM__SIG_DEMONITOR:
    if (p->sig)
      beam__u64map_del(&p->sig->monitored_by, beam__ref_id(m->term), NULL);
    break;
  case BEAM__SIG_INFO:
    answer_info(p, m, !p->exiting);
    break;
  case BEAM__SIG_ALIAS: /* a message, if its alias is active */
    id = beam__ref_id(beam_tuple_get(m->term, 0));
    if (p->sig && beam__u64map_get(&p->sig->aliases, id, NULL)) {
      m->term = beam_tuple_get(m->term, 1); /* inside the same block */
      m->kind = BEAM__SIG_MSG;
      return m;
    }
    break;
  default: /* a message reaching a process that is ending */
    break;
  }
  beam__msg_free(m);
  return NULL;
}

void beam__signals_drain(beam__proc_t *p) {
  /* Clear only a set flag: no fence on the message path. One set right
  ** after the load stays set, which costs a spurious check, nothing more. */
  if (atomic_load_explicit(&p->sig_pending, memory_order_relaxed))
    atomic_store_explicit(&p->sig_pending, false, memory_order_seq_cst);
  beam__mailbox_drain(&p->mbox, beam__signal_handle, p);
}

void beam__signals_check(beam__proc_t *p) {
  if (atomic_load_explicit(&p->sig_pending, memory_order_relaxed))
    beam__signals_drain(p);
}

/* ---- After the end ---- */

void beam__signal_dead(void *proc, beam__msg_t *m) {
  beam__proc_t *p = proc;
  beam_mark_t mark = beam_arena_mark();
  switch (m->kind) {
  case BEAM__SIG_LINK:
    sig_send(m->from, BEAM__SIG_EXIT_LINKED, exit_tuple(p->pid, beam__am_noproc),
             p->pid, 0);
    break;
  case BEAM__SIG_MONITOR:
    sig_send(m->from, BEAM__SIG_DOWN, down_tuple(m->term, p->pid, beam__am_noproc),
             p->pid, 0);
    break;
  case BEAM__SIG_INFO:
    answer_info(p, m, false);
    break;
  case BEAM__SIG_UNLINK: /* the sender waits for the ack to drop its side */
    sig_send(m->from, BEAM__SIG_UNLINK_ACK, beam_nil(), p->pid, m->aux);
    break;
  default:
    break;
  }
  beam_arena_release(mark);
  beam__msg_free(m);
}

/* ---- Ending ---- */

static bool is_abnormal(beam_term_t r) {
  if (r.raw == beam__am_normal.raw || r.raw == beam__am_shutdown.raw)
    return false;
  return !(beam_is_tuple(r) && beam_tuple_size(r) == 2 &&
           beam_tuple_get(r, 0).raw == beam__am_shutdown.raw);
}

static void notify(beam__proc_t *p, beam_term_t reason) {
  beam__psig_t *g = p->sig;
  if (!g)
    return;
  uint64_t k, v;
  size_t i = 0;
  beam_mark_t mark = beam_arena_mark();
  beam_term_t exit = exit_tuple(p->pid, reason);
  while (beam__u64map_next(&g->links, &i, &k, &v)) /* L1, O6 */
    if (v == LINK_ACTIVE)
      sig_send(beam__mk(k), BEAM__SIG_EXIT_LINKED, exit, p->pid, 0);
  for (i = 0; beam__u64map_next(&g->monitored_by, &i, &k, &v);) { /* N2 */
    beam_mark_t one = beam_arena_mark();
    sig_send(beam__mk(v), BEAM__SIG_DOWN,
             down_tuple(beam__ref_make(k), p->pid, reason), p->pid, 0);
    beam_arena_release(one);
  }
  for (i = 0; beam__u64map_next(&g->monitors, &i, &k, &v);) { /* P8d */
    beam_mark_t one = beam_arena_mark();
    sig_send(beam__mk(v), BEAM__SIG_DEMONITOR, beam__ref_make(k), p->pid, 0);
    beam_arena_release(one);
  }
  beam_arena_release(mark);
}

static bool watched(beam__proc_t *p) {
  return p->sig && (p->sig->links.count > 0 || p->sig->monitored_by.count > 0);
}

_Noreturn void beam__proc_terminate(beam__proc_t *p, beam_term_t reason) {
  if (!p->exiting) {
    p->exiting = 1;
    beam__proc_timer_cancel(p);
    p->deadline_ms = -1;
    int err = 0;
    p->exit_reason = beam__msg_new(reason, &err);
  }
  beam_term_t r = p->exit_reason ? p->exit_reason->term : beam__am_system_limit;
  /* Hooks are popped before they run: one that ends the process again
  ** re-enters here and the rest still run, once each. */
  while (p->sig && p->sig->nhooks > 0) {
    hook_t h = p->sig->hooks[--p->sig->nhooks];
    h.fn(h.ctx, r);
  }
  if (p->exiting == 1) {
    p->exiting = 2;
    beam_term_t name = beam__registry_name_of(p);
    beam__registry_release(p); /* P8a: before anyone hears of the end */
    beam__ptab_remove(p);
    beam__mailbox_drain(&p->mbox, beam__signal_handle, p);
    /* The first process's end is the program's: it is reported whenever
    ** it is not 'normal', however it came (an Elixir script that dies
    ** prints why, whoever killed it). */
    bool first = p->pid.raw == beam__rt.first_pid.raw;
    if (first ? r.raw != beam__am_normal.raw
              : !p->killed_by_signal && is_abnormal(r) && !watched(p))
      beam__crash_report(p, r, name);
    notify(p, r);
    beam__signals_free(p);
  }
  beam__proc_switch_out(p, BEAM__Y_EXIT);
  BEAM_PANIC("a finished process was resumed");
}

/* ---- Spawn-time links and monitors ---- */

int beam__signals_spawn_link(beam__proc_t *parent, beam__proc_t *child) {
  if (!psig(parent) || !psig(child))
    return BEAM_ENOMEM;
  if (beam__u64map_put(&parent->sig->links, child->pid.raw, 1) != 0)
    return BEAM_ENOMEM;
  if (beam__u64map_put(&child->sig->links, parent->pid.raw, 1) != 0) {
    beam__u64map_del(&parent->sig->links, child->pid.raw, NULL);
    return BEAM_ENOMEM;
  }
  return 0;
}

int beam__signals_spawn_monitor(beam__proc_t *parent, beam__proc_t *child,
                                beam_term_t *ref) {
  beam_term_t r = beam_make_ref();
  if (beam_is_error(r))
    return beam_term_error(r);
  uint64_t id = beam__ref_id(r);
  if (!psig(parent) || !psig(child))
    return BEAM_ENOMEM;
  if (beam__u64map_put(&parent->sig->monitors, id, child->pid.raw) != 0)
    return BEAM_ENOMEM;
  if (beam__u64map_put(&child->sig->monitored_by, id, parent->pid.raw) != 0) {
    beam__u64map_del(&parent->sig->monitors, id, NULL);
    return BEAM_ENOMEM;
  }
  *ref = r;
  return 0;
}

/* ---- The public calls ---- */

/* The calling process, charged one reduction (no yield here: link is
** the one checkpoint among these calls). */
static beam__proc_t *caller(int *err) {
  beam__proc_t *p = beam__proc_current();
  *err = p ? 0 : BEAM_ENOTPROC;
  if (p)
    beam__tls()->reds--;
  return p;
}

static int check_pid(beam_term_t pid) {
  if (beam_is_error(pid))
    return beam_term_error(pid);
  return beam__is_pid(pid) ? 0 : BEAM_EINVAL;
}

int beam_link(beam_pid_t pid) {
  int err;
  beam__proc_t *p = caller(&err);
  if (!p || (err = check_pid(pid)) < 0)
    return err;
  beam__proc_checkpoint(p, 0);
  if (pid.raw == p->pid.raw)
    return 0; /* L3 */
  if (!psig(p))
    return BEAM_ENOMEM;
  uint64_t v;
  if (beam__u64map_get(&p->sig->links, pid.raw, &v) && v == LINK_ACTIVE)
    return 0; /* L2 (an unlink in flight: linking again is a new link) */
  if (beam__u64map_put(&p->sig->links, pid.raw, LINK_ACTIVE) != 0)
    return BEAM_ENOMEM;
  err = sig_send(pid, BEAM__SIG_LINK, beam_nil(), p->pid, 0);
  if (err == 0)
    return 0;
  beam__u64map_del(&p->sig->links, pid.raw, NULL);
  if (err != BEAM_ENOPROC)
    return err;
  if (!atomic_load_explicit(&p->trap_exit, memory_order_relaxed))
    return BEAM_ENOPROC; /* L4 */
  beam_mark_t mark = beam_arena_mark();
  err = self_message(p, exit_tuple(pid, beam__am_noproc)); /* L5 */
  beam_arena_release(mark);
  return err;
}

int beam_unlink(beam_pid_t pid) {
  int err;
  beam__proc_t *p = caller(&err);
  if (!p || (err = check_pid(pid)) < 0)
    return err;
  uint64_t v;
  if (!p->sig || !beam__u64map_get(&p->sig->links, pid.raw, &v) ||
      v != LINK_ACTIVE)
    return 0; /* not linked, or an unlink already in flight */
  uint32_t id = p->sig->next_unlink < 2 ? 2 : p->sig->next_unlink;
  p->sig->next_unlink = id + 1;
  if (beam__u64map_put(&p->sig->links, pid.raw, id) != 0) {
    beam__u64map_del(&p->sig->links, pid.raw, NULL); /* no memory: forget */
    id = 0; /* at once (the ack, if any, finds nothing to drop) */
  }
  if (sig_send(pid, BEAM__SIG_UNLINK, beam_nil(), p->pid, id) != 0)
    beam__u64map_del(&p->sig->links, pid.raw, NULL); /* dead: no ack */
  return 0; /* L7 */
}

int beam_exit_signal(beam_pid_t pid, beam_term_t reason) {
  int err;
  beam__proc_t *p = caller(&err);
  if (!p || (err = check_pid(pid)) < 0)
    return err;
  if ((err = beam__term_bad(reason)) != 0)
    return err; /* before it could end the caller */
  bool kill = reason.raw == beam__am_kill.raw;
  if (pid.raw == p->pid.raw) {
    if (kill)
      beam__proc_terminate(p, beam__am_killed); /* X7 */
    if (!atomic_load_explicit(&p->trap_exit, memory_order_relaxed))
      beam__proc_terminate(p, reason); /* X5, X11 */
    beam_mark_t mark = beam_arena_mark();
    err = sig_send(pid, BEAM__SIG_EXIT, exit_tuple(p->pid, reason), p->pid,
                   0);
    beam_arena_release(mark);
    beam__signals_check(p); /* X12: in the mailbox before we return */
    return err;
  }
  beam__proc_t *t = beam__ptab_lookup(pid);
  if (!t)
    return 0; /* X1 */
  /* kill always ends it; another abnormal reason does unless it traps
  ** exits when it handles the signal, which only it can tell (P7). */
  uint32_t aux = kill ? BEAM__SIG_AUX_DOOM
                 : reason.raw != beam__am_normal.raw ? BEAM__SIG_AUX_MAYBE
                                                     : 0;
  beam_mark_t mark = beam_arena_mark();
  err = sig_send(pid, BEAM__SIG_EXIT, exit_tuple(p->pid, reason), p->pid,
                 aux);
  beam_arena_release(mark);
  return err == BEAM_ENOPROC ? 0 : err;
}

int beam_trap_exit(int on) {
  int err;
  beam__proc_t *p = caller(&err);
  if (!p)
    return err;
  return atomic_exchange_explicit(&p->trap_exit, on != 0,
                                  memory_order_relaxed);
}

beam_term_t beam_monitor(beam_term_t target) {
  int err;
  beam__proc_t *p = caller(&err);
  if (!p)
    return beam_error_term(err);
  if (beam_is_error(target))
    return target;
  beam_term_t name = {0}, pid = target;
  if (beam_is_tuple(target) && beam_tuple_size(target) == 2 &&
      beam_is_atom(beam_tuple_get(target, 0)) &&
      beam_tuple_get(target, 1).raw == beam__am_nonode.raw)
    target = beam_tuple_get(target, 0); /* {Name, Node} of this node (N8) */
  if (beam_is_atom(target)) {
    name = target;
    pid = beam_whereis(name);
  } else if (!beam__is_pid(target)) {
    return beam_error_term(BEAM_EINVAL); /* N8 (other nodes: no distribution) */
  }
  beam_term_t ref = beam_make_ref();
  if (beam_is_error(ref) || pid.raw == p->pid.raw)
    return ref; /* N6 */
  uint64_t id = beam__ref_id(ref);
  beam_term_t obj = name.raw ? name_object(name) : pid;
  if (beam__is_pid(pid)) {
    if (!psig(p) || beam__u64map_put(&p->sig->monitors, id, pid.raw) != 0)
      return beam_error_term(BEAM_ENOMEM);
    if (name.raw && beam__u64map_put(&p->sig->mon_names, id, name.raw) != 0) {
      beam__u64map_del(&p->sig->monitors, id, NULL);
      return beam_error_term(BEAM_ENOMEM);
    }
    err = sig_send(pid, BEAM__SIG_MONITOR, ref, p->pid, 0);
    if (err == 0)
      return ref;
    beam__u64map_del(&p->sig->monitors, id, NULL);
    beam__u64map_del(&p->sig->mon_names, id, NULL);
    if (err != BEAM_ENOPROC)
      return beam_error_term(err);
  }
  err = self_message(p, down_tuple(ref, obj, beam__am_noproc)); /* N3, N4 */
  return err ? beam_error_term(err) : ref;
}

static bool is_down_for(beam_term_t msg, void *ref) {
  return beam_is_tuple(msg) && beam_tuple_size(msg) == 5 &&
         beam_tuple_get(msg, 0).raw == beam__am_DOWN.raw &&
         beam_equal(beam_tuple_get(msg, 1), *(beam_term_t *) ref);
}

int beam_demonitor(beam_term_t ref, unsigned opts) {
  int err;
  beam__proc_t *p = caller(&err);
  if (!p)
    return err;
  if (beam_is_error(ref))
    return beam_term_error(ref);
  if (!beam_is_ref(ref) ||
      (opts & ~(unsigned) (BEAM_DEMONITOR_FLUSH | BEAM_DEMONITOR_INFO)))
    return BEAM_EINVAL;
  if ((opts & BEAM_DEMONITOR_FLUSH) && p->in_match)
    return BEAM_ECALLBACK; /* before anything changes */
  uint64_t id = beam__ref_id(ref), target;
  bool active = id != 0 && p->sig &&
                beam__u64map_del(&p->sig->monitors, id, &target);
  if (active) {
    beam__u64map_del(&p->sig->mon_names, id, NULL);
    sig_send(beam__mk(target), BEAM__SIG_DEMONITOR, ref, p->pid, 0);
  }
  if (opts & BEAM_DEMONITOR_FLUSH)
    beam__mailbox_remove_if(p, is_down_for, &ref); /* N10 */
  return (opts & BEAM_DEMONITOR_INFO) ? active : 1; /* N11-N13 */
}

/* ---- Exit hooks ---- */

int beam_exit_by_signal(void) {
  beam__proc_t *p = beam__proc_current();
  return p && p->killed_by_signal;
}

int beam_on_exit(beam_exit_hook_t fn, void *ctx) {
  int err;
  beam__proc_t *p = caller(&err);
  if (!p)
    return err;
  if (!fn)
    return BEAM_EINVAL;
  beam__psig_t *g = psig(p);
  if (!g)
    return BEAM_ENOMEM;
  if (g->nhooks == g->hook_cap) {
    size_t cap = g->hook_cap ? g->hook_cap * 2 : 4;
    hook_t *h = beam__realloc(g->hooks, cap * sizeof *h);
    if (!h)
      return BEAM_ENOMEM;
    g->hooks = h;
    g->hook_cap = cap;
  }
  g->hooks[g->nhooks].fn = fn;
  g->hooks[g->nhooks++].ctx = ctx;
  return 0;
}

int beam_on_exit_remove(beam_exit_hook_t fn, void *ctx) {
  int err;
  beam__proc_t *p = caller(&err);
  if (!p)
    return err;
  beam__psig_t *g = p->sig;
  for (size_t i = g ? g->nhooks : 0; i-- > 0;) {
    if (g->hooks[i].fn == fn && g->hooks[i].ctx == ctx) {
      memmove(&g->hooks[i], &g->hooks[i + 1],
              (g->nhooks - i - 1) * sizeof *g->hooks);
      g->nhooks--;
      return 0;
    }
  }
  return BEAM_ENOENT;
}

/* ---- Aliases ---- */

beam_term_t beam_alias(void) {
  int err = 0;
  beam__proc_t *p = caller(&err);
  if (!p)
    return beam_error_term(err);
  beam_term_t ref = beam_make_ref();
  if (beam_is_error(ref))
    return ref;
  if (!psig(p) || beam__u64map_put(&p->sig->aliases, beam__ref_id(ref), 1))
    return beam_error_term(BEAM_ENOMEM);
  return ref;
}

int beam_unalias(beam_term_t alias) {
  int err = 0;
  beam__proc_t *p = caller(&err);
  if (!p)
    return err;
  if (!beam_is_ref(alias))
    return BEAM_EBADARG;
  return p->sig && beam__u64map_del(&p->sig->aliases, beam__ref_id(alias),
                                    NULL)
             ? 1
             : 0;
}

int beam_send_alias(beam_pid_t owner, beam_term_t alias, beam_term_t msg) {
  beam__proc_t *self = beam__proc_current();
  if (!self)
    return BEAM_ENOTPROC;
  if (!beam__is_pid(owner) || !beam_is_ref(alias))
    return BEAM_EBADARG;
  int bad = beam__term_bad(msg);
  if (bad != 0)
    return bad;
  beam__proc_checkpoint(self, 1); /* before the lookup: it may yield */
  int err = 0;
  beam__msg_t *m = beam__msg_new(beam_tuple(2, alias, msg), &err);
  if (!m)
    return err;
  m->kind = BEAM__SIG_ALIAS;
  m->from = self->pid;
  beam__proc_deliver(owner, m); /* a message's wake-up, not a signal's */
  return 0;
}

/* ---- process_info ---- */

static beam_term_t pid_list(const beam__u64map_t *m, bool values) {
  beam_term_t l = beam_nil();
  uint64_t k, v;
  for (size_t i = 0; m && beam__u64map_next(m, &i, &k, &v);)
    if (values || v == LINK_ACTIVE) /* links: not those being unlinked */
      l = beam_cons(beam__mk(values ? v : k), l);
  return l;
}

static beam_term_t monitor_list(beam__proc_t *p) {
  beam_term_t l = beam_nil();
  uint64_t k, v, name;
  for (size_t i = 0; p->sig && beam__u64map_next(&p->sig->monitors, &i, &k, &v);) {
    beam_term_t obj = beam__u64map_get(&p->sig->mon_names, k, &name)
                          ? name_object(beam__mk(name))
                          : beam__mk(v);
    l = beam_cons(beam_tuple(2, beam__am_process, obj), l);
  }
  return l;
}

const char *beam__fn_name(beam_fn_t fn) {
  Dl_info info;
  if (dladdr((void *) (uintptr_t) fn, &info) && info.dli_sname)
    return info.dli_sname;
  return "?";
}

/* The queued messages as a list (their terms, not copies) and their
** bytes. */
static size_t mailbox_bytes(beam__proc_t *p, beam_term_t *msgs) {
  size_t bytes = 0, n = 0, i = 0;
  beam__msg_t *m;
  for (m = beam__link_get(&p->mbox.first); m; m = beam__link_get(&m->next))
    n++;
  beam_term_t *v = n ? beam__malloc(n * sizeof *v) : NULL;
  for (m = beam__link_get(&p->mbox.first); m; m = beam__link_get(&m->next)) {
    bytes += m->size;
    if (v)
      v[i++] = m->term;
  }
  *msgs = v || n == 0 ? beam_list_v(n, v) : beam_error_term(BEAM_ENOMEM);
  beam__free(v);
  return bytes;
}

/* The info tuple, built on the current heap by 'p' itself:
** {Status, QLen, Msgs, Stack, Heap, MBox, Reds, Links, Mons, MonBy, Name,
**  Trap, FnAddr} */
static beam_term_t info_tuple(beam__proc_t *p, beam_term_t status) {
  char here;
  beam_term_t msgs;
  size_t mb = mailbox_bytes(p, &msgs);
  size_t stack = (size_t) ((char *) p->ctx.stack_lo + p->ctx.stack_size -
                           &here);
  beam_term_t name = beam__registry_name_of(p);
  beam_term_t e[16] = {
      status,
      beam_int(p->mbox.inner_len),
      msgs,
      beam_uint(stack),
      beam_uint(p->heap.bytes),
      beam_uint(mb),
      beam_uint(beam__proc_reductions(p)),
      pid_list(p->sig ? &p->sig->links : NULL, false),
      monitor_list(p),
      pid_list(p->sig ? &p->sig->monitored_by : NULL, true),
      name.raw ? name : beam_nil(),
      atomic_load_explicit(&p->trap_exit, memory_order_relaxed)
          ? beam__am_true
          : beam__am_false,
      beam_uint((uint64_t) (uintptr_t) p->fn),
      beam_uint(p->heap.live_after_gc),
      beam_uint(p->heap.minor_gcs),
      beam_uint(p->heap.major_gcs),
  };
  return beam_tuple_v(16, e);
}

static void answer_info(beam__proc_t *p, beam__msg_t *m, bool alive) {
  beam_mark_t mark = beam_arena_mark();
  beam_term_t body = beam__am_undefined;
  if (alive)
    body = m->aux & BEAM__SIG_AUX_PROBE
               ? beam__am_true
               : info_tuple(p, p->in_receive ? beam__am_waiting
                                                : beam__am_runnable);
  beam_term_t reply = beam_tuple(2, m->term, body);
  int err = 0;
  beam__msg_t *r = beam__msg_new(reply, &err);
  beam_arena_release(mark);
  if (r) {
    r->from = p->pid;
    beam__proc_deliver(m->from, r);
  }
}

static int fill_info(beam_term_t t, beam_process_info_t *o) {
  int64_t v;
  uint64_t u[5];
  o->status = beam_tuple_get(t, 0);
  beam_get_int(beam_tuple_get(t, 1), &v);
  o->message_queue_len = v;
  o->messages = beam_tuple_get(t, 2);
  for (int i = 0; i < 4; i++) {
    beam_get_int(beam_tuple_get(t, (size_t) (3 + i)), &v);
    u[i] = (uint64_t) v;
  }
  o->stack_bytes = u[0];
  o->heap_bytes = u[1];
  o->mailbox_bytes = u[2];
  o->reductions = u[3];
  o->links = beam_tuple_get(t, 7);
  o->monitors = beam_tuple_get(t, 8);
  o->monitored_by = beam_tuple_get(t, 9);
  o->registered_name = beam_tuple_get(t, 10);
  o->trap_exit = beam_tuple_get(t, 11).raw == beam__am_true.raw;
  beam_get_int(beam_tuple_get(t, 12), &v);
  o->initial_function = beam__fn_name((beam_fn_t) (uintptr_t) (uint64_t) v);
  uint64_t g[3];
  for (int i = 0; i < 3; i++)
    if (beam_get_uint(beam_tuple_get(t, (size_t) (13 + i)), &g[i]) != 0)
      g[i] = 0;
  o->heap_live_bytes = (size_t) g[0];
  o->minor_gcs = g[1];
  o->major_gcs = g[2];
  return 0;
}

int beam__signals_probe_alive(beam__proc_t *self, beam_pid_t pid) {
  if (self->in_match)
    return BEAM_ECALLBACK; /* before the probe goes out */
  beam_term_t ref = beam_make_ref(), body = beam_nil();
  if (beam_is_error(ref))
    return beam_term_error(ref);
  int err = sig_send(pid, BEAM__SIG_INFO, ref, self->pid, BEAM__SIG_AUX_PROBE);
  if (err)
    return err == BEAM_ENOPROC ? 0 : err;
  err = beam_receive(BEAM_INFINITY, "{~t, Alive}", ref, &body, NULL);
  if (err < 0)
    return err;
  return body.raw == beam__am_true.raw;
}

int beam_process_info(beam_pid_t pid, beam_process_info_t *info) {
  int err;
  beam__proc_t *p = caller(&err);
  if (!p || (err = check_pid(pid)) < 0)
    return err;
  if (!info)
    return BEAM_EINVAL;
  if (pid.raw == p->pid.raw)
    return fill_info(info_tuple(p, beam__am_running), info);
  if (p->in_match)
    return BEAM_ECALLBACK; /* before the request goes out */
  beam_term_t ref = beam_make_ref(), body;
  if (beam_is_error(ref))
    return beam_term_error(ref);
  err = sig_send(pid, BEAM__SIG_INFO, ref, p->pid, 0);
  if (err)
    return err;
  err = beam_receive(BEAM_INFINITY, "{~t, Info}", ref, &body, NULL);
  if (err < 0)
    return err;
  if (!beam_is_tuple(body))
    return BEAM_ENOPROC; /* it ended first (I1) */
  return fill_info(body, info);
}
