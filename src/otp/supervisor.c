/* SPDX-License-Identifier: MIT */
/*
** otp/supervisor.c: Elixir's Supervisor and DynamicSupervisor, as a
** GenServer (gen_server.c) that traps exits and restarts the children it
** started when they end (docs/otp.md; SEMANTICS S1-S22).
**
** The state is one term, so that the server's collections keep it (a C
** struct would hold terms the collector cannot see, and leak on a kill):
**   {Strategy, MaxRestarts, MaxSeconds, Restarts, Children, Dynamic,
**    MaxChildren}
** A child is {Id, Pid, Start, Arg, Restart, Shutdown, Type}; Pid is a pid,
** 'undefined' (not running, the spec kept) or 'restarting' (a restart
** failed and is being tried again). A Supervisor's Children is a list in
** start order: children start first to last and stop last to first
** (S2, S19). A DynamicSupervisor's is a map Pid => child, as OTP's.
**
** A child's start function runs in the supervisor and must start a
** process linked to it (beam_gen_server_start_link, beam_task_start_link,
** beam_supervisor_start_link for a subtree...). It cannot crash the way
** an Erlang start function can be caught: C has no catch, so a start
** function returns {error, E} instead (the starts of this layer do).
**
** Restarts are counted in whole seconds of the monotonic clock with an
** inclusive window (S15, S16); more than MaxRestarts in the window and
** the supervisor stops with 'shutdown', its remaining children stopped
** last to first by its terminate. A restart that fails is retried through
** the mailbox (a cast to itself), so each attempt counts and calls that
** arrived meanwhile are served in between (S17).
*/
#include "atoms.h"
#include "fnterm.h"

#include <stdbool.h>
#include <stdio.h>

#define A beam__otp_atoms() /* atoms.h */

enum { C_ID, C_PID, C_START, C_ARG, C_RESTART, C_SHUTDOWN, C_TYPE, C_N };
enum {
  S_STRATEGY, S_MAXR, S_MAXS, S_RESTARTS, S_CHILDREN, S_DYNAMIC, S_MAXCH, S_N
};

static beam_term_t atom(const char *s) {
  return beam_atom(s);
}

static bool is_atom(beam_term_t t, const char *name) {
  return beam_is(t, name) == 1;
}

static bool is_tagged(beam_term_t t, const char *tag, size_t n) {
  return beam_is_tuple(t) && beam_tuple_size(t) == n &&
         is_atom(beam_tuple_get(t, 0), tag);
}

/* ---- Terms as records ---- */

static beam_term_t field(beam_term_t rec, int f) {
  return beam_tuple_get(rec, (size_t) f);
}

/* 'rec' with field 'f' set to 'v' (a record has at most C_N fields). */
static beam_term_t with(beam_term_t rec, int f, beam_term_t v) {
  beam_term_t e[C_N];
  _Static_assert((int) C_N >= (int) S_N, "records fit 'e'");
  size_t n = beam_tuple_size(rec);
  for (size_t i = 0; i < n; i++)
    e[i] = i == (size_t) f ? v : beam_tuple_get(rec, i);
  return beam_tuple_v(n, e);
}

static int64_t int_of(beam_term_t t) {
  int64_t v = 0;
  beam_get_int(t, &v);
  return v;
}

static bool is_nil(beam_term_t t) {
  return t.raw == beam_nil().raw;
}

/* ---- Lists by position (children lists are short; O(n) like OTP's) ---- */

static beam_term_t reverse(beam_term_t l) {
  beam_term_t r = beam_nil();
  for (; !is_nil(l); l = beam_tl(l))
    r = beam_cons(beam_hd(l), r);
  return r;
}

static beam_term_t nth(beam_term_t l, int64_t i) {
  while (i-- > 0)
    l = beam_tl(l);
  return beam_hd(l);
}

/* 'l' with element 'i' replaced by 'v', or dropped if 'v' is none. */
static beam_term_t splice(beam_term_t l, int64_t i, const beam_term_t *v) {
  beam_term_t prefix = beam_nil();
  for (; i > 0; i--, l = beam_tl(l))
    prefix = beam_cons(beam_hd(l), prefix);
  beam_term_t rest = beam_tl(l);
  if (v)
    rest = beam_cons(*v, rest);
  for (; !is_nil(prefix); prefix = beam_tl(prefix))
    rest = beam_cons(beam_hd(prefix), rest);
  return rest;
}

/* The index of the child whose field 'f' equals 'v', or -1. */
static int64_t find(beam_term_t kids, int f, beam_term_t v) {
  int64_t i = 0;
  for (; !is_nil(kids); kids = beam_tl(kids), i++)
    if (beam_equal(field(beam_hd(kids), f), v))
      return i;
  return -1;
}

/* ---- One child ---- */

static bool running(beam_term_t c) {
  return beam_is_pid(field(c, C_PID));
}

static bool is_temporary(beam_term_t c) {
  return is_atom(field(c, C_RESTART), "temporary");
}

static bool normal_class(beam_term_t reason) {
  return beam__otp_is(reason, A->normal) ||
         beam__otp_is(reason, A->shutdown) ||
         (beam_is_tuple(reason) && beam_tuple_size(reason) == 2 &&
          beam__otp_is(beam_tuple_get(reason, 0), A->shutdown));
}

/* S11-S13: whether a child that ended with 'reason' is started again. */
static bool restarts_after(beam_term_t c, beam_term_t reason) {
  beam_term_t r = field(c, C_RESTART);
  if (is_atom(r, "temporary"))
    return false;
  return !(is_atom(r, "transient") && normal_class(reason));
}

/* Run the child's start function: 0 with '*pid' a pid or 'undefined'
** (ignore, S4), or -1 with '*err' what it returned instead. */
static int start_one(beam_term_t c, beam_term_t *pid, beam_term_t *err) {
  beam_child_start_fn_t fn =
      (beam_child_start_fn_t) beam__otp_term_fn(field(c, C_START));
  beam_term_t r = fn(field(c, C_ARG));
  if (beam_is_tuple(r) && beam_tuple_size(r) >= 2 &&
      beam_tuple_size(r) <= 3 && beam__otp_is(beam_tuple_get(r, 0), A->ok) &&
      beam_is_pid(beam_tuple_get(r, 1))) {
    *pid = beam_tuple_get(r, 1);
    return 0;
  }
  if (beam__otp_is(r, A->ignore)) {
    *pid = A->undefined;
    return 0;
  }
  *err = is_tagged(r, "error", 2) ? beam_tuple_get(r, 1) : r;
  return -1;
}

static int wait_down(beam_term_t ref, int64_t timeout, beam_term_t *why) {
  return beam_receive(timeout, "{'DOWN', ~t, process, _, R}", ref, why, NULL);
}

/* An EXIT the child sent before it was unlinked must not look like a
** crash later. */
static void flush_exit(beam_pid_t pid) {
  while (beam_receive(0, "{'EXIT', ~t, _}", pid, NULL) == 0) {
  }
}

static int64_t shutdown_of(beam_term_t c) {
  beam_term_t s = field(c, C_SHUTDOWN);
  if (beam__otp_is(s, A->infinity))
    return BEAM_INFINITY;
  if (is_atom(s, "brutal_kill"))
    return BEAM_BRUTAL_KILL;
  return int_of(s);
}

/* Begin S18 on a running child: watch it, unlink it, send the signal.
** Its monitor ref. */
static beam_term_t signal_stop(beam_term_t c) {
  beam_pid_t pid = field(c, C_PID);
  beam_term_t ref = beam_monitor(pid);
  beam_unlink(pid);
  beam_exit_signal(pid, shutdown_of(c) == BEAM_BRUTAL_KILL ? A->kill
                                                           : A->shutdown);
  return ref;
}

/* End S18: wait until 'deadline_ms' (BEAM_INFINITY: for ever), then kill. */
static void await_stop(beam_term_t c, beam_term_t ref, int64_t deadline_ms) {
  beam_pid_t pid = field(c, C_PID);
  beam_term_t why;
  int64_t left = BEAM_INFINITY;
  if (deadline_ms != BEAM_INFINITY) {
    left = deadline_ms - beam_monotonic_ms();
    left = left < 0 ? 0 : left;
  }
  if (wait_down(ref, left, &why) != 0) {
    beam_exit_signal(pid, A->kill);
    wait_down(ref, BEAM_INFINITY, &why);
  }
  flush_exit(pid);
  bool expected = beam__otp_is(why, A->shutdown) ||
                  beam__otp_is(why, A->killed) ||
                  beam__otp_is(why, A->noproc) || beam__otp_is(why, A->normal);
  if (!expected) { /* S18: only logged */
    char id[128], text[256];
    beam_print(id, sizeof id, field(c, C_ID));
    beam_print(text, sizeof text, why);
    fprintf(stderr, "cbeam supervisor: child %s ended with %s while shut down\n",
            id, text);
  }
}

static int64_t deadline_of(beam_term_t c) {
  int64_t t = shutdown_of(c); /* brutal_kill: the kill is on its way */
  if (t == BEAM_INFINITY || t == BEAM_BRUTAL_KILL)
    return BEAM_INFINITY;
  return beam_monotonic_ms() + t;
}

/* S18 for one child; the child record, not running. */
static beam_term_t stop_one(beam_term_t c) {
  if (!running(c))
    return c;
  int64_t deadline = deadline_of(c);
  await_stop(c, signal_stop(c), deadline);
  return with(c, C_PID, A->undefined);
}

/* ---- The supervisor's state ---- */

static bool dynamic(beam_term_t s) {
  return is_atom(field(s, S_DYNAMIC), "true");
}

/* S15: record a restart now; false if that is one too many. */
static bool add_restart(beam_term_t *s) {
  int64_t now = beam_monotonic_ms() / 1000, window = int_of(field(*s, S_MAXS));
  beam_term_t kept = beam_cons(beam_int(now), beam_nil());
  int64_t n = 1;
  for (beam_term_t l = field(*s, S_RESTARTS); !is_nil(l); l = beam_tl(l))
    if (int_of(beam_hd(l)) >= now - window) {
      kept = beam_cons(beam_hd(l), kept);
      n++;
    }
  *s = with(*s, S_RESTARTS, kept);
  return n <= int_of(field(*s, S_MAXR));
}

/* Ask ourselves to try child 'key' (an id, or a dynamic child's old pid)
** again, after what is queued (S17). */
static void retry_later(beam_term_t key) {
  beam_gen_server_cast(beam_self(), beam_tuple(2, atom("$try_again"), key));
}

/* Stop children [lo, n) last to first; the list with them not running and
** the temporary ones gone (S14). */
static beam_term_t stop_range(beam_term_t kids, int64_t lo) {
  beam_term_t prefix = beam_nil(), rest = kids;
  for (int64_t i = 0; i < lo; i++, rest = beam_tl(rest))
    prefix = beam_cons(beam_hd(rest), prefix);
  beam_term_t out = beam_nil(); /* [lo, n) in start order, once stopped */
  for (beam_term_t l = reverse(rest); !is_nil(l); l = beam_tl(l)) {
    beam_term_t c = stop_one(beam_hd(l));
    if (!is_temporary(c))
      out = beam_cons(c, out);
  }
  for (; !is_nil(prefix); prefix = beam_tl(prefix))
    out = beam_cons(beam_hd(prefix), out);
  return out;
}

/* Start children from index 'lo' on, in order, in one pass; on a failure
** the child is marked 'restarting' and retried later, and the rest wait
** for that. */
static beam_term_t start_range(beam_term_t kids, int64_t lo) {
  beam_term_t out = beam_nil(); /* newest first */
  bool failed = false;
  for (int64_t i = 0; !is_nil(kids); kids = beam_tl(kids), i++) {
    beam_term_t c = beam_hd(kids), pid, err;
    if (i >= lo && !failed && !running(c)) {
      if (start_one(c, &pid, &err) == 0) {
        c = with(c, C_PID, pid);
      } else {
        c = with(c, C_PID, atom("restarting"));
        retry_later(field(c, C_ID));
        failed = true;
      }
    }
    out = beam_cons(c, out);
  }
  return reverse(out);
}

/* Restart child 'i' (not running) by the strategy (S7-S9), or give up. */
static beam_term_t restart_static(beam_term_t s, int64_t i) {
  if (!add_restart(&s))
    return beam_tuple(3, A->stop, A->shutdown, s);
  beam_term_t kids = field(s, S_CHILDREN), strategy = field(s, S_STRATEGY);
  beam_term_t id = field(nth(kids, i), C_ID);
  if (is_atom(strategy, "one_for_all")) {
    kids = stop_range(kids, 0);
    kids = start_range(kids, 0);
  } else if (is_atom(strategy, "rest_for_one")) {
    kids = stop_range(kids, i + 1);
    kids = start_range(kids, find(kids, C_ID, id));
  } else {
    beam_term_t c = nth(kids, i), pid, err;
    if (start_one(c, &pid, &err) == 0) {
      c = with(c, C_PID, pid);
    } else {
      c = with(c, C_PID, atom("restarting"));
      retry_later(id);
    }
    kids = splice(kids, i, &c);
  }
  return beam_tuple(2, A->noreply, with(s, S_CHILDREN, kids));
}

/* A dynamic child ended or failed to restart: start it again, keyed by its
** new pid; on a failure it stays under 'old' and is retried. */
static beam_term_t restart_dynamic(beam_term_t s, beam_term_t old,
                                   beam_term_t c) {
  beam_term_t kids = beam_map_remove(field(s, S_CHILDREN), old);
  s = with(s, S_CHILDREN, kids);
  if (!add_restart(&s))
    return beam_tuple(3, A->stop, A->shutdown, s);
  beam_term_t pid, err;
  if (start_one(c, &pid, &err) == 0) {
    if (beam_is_pid(pid))
      kids = beam_map_put(kids, pid, with(c, C_PID, pid));
  } else {
    kids = beam_map_put(kids, old, with(c, C_PID, atom("restarting")));
    retry_later(old);
  }
  return beam_tuple(2, A->noreply, with(s, S_CHILDREN, kids));
}

static beam_term_t noreply(beam_term_t s) {
  return beam_tuple(2, A->noreply, s);
}

/* {'EXIT', Pid, Reason} from a child (the parent's is gen_server's). */
static beam_term_t child_exited(beam_term_t s, beam_pid_t pid,
                                beam_term_t reason) {
  beam_term_t kids = field(s, S_CHILDREN), c;
  if (dynamic(s)) {
    if (beam_map_get(kids, pid, &c) != 1)
      return noreply(s);
    if (!restarts_after(c, reason))
      return noreply(with(s, S_CHILDREN, beam_map_remove(kids, pid)));
    return restart_dynamic(s, pid, c);
  }
  int64_t i = find(kids, C_PID, pid);
  if (i < 0)
    return noreply(s); /* not ours (any more) */
  c = nth(kids, i);
  if (is_temporary(c)) /* S13: gone */
    return noreply(with(s, S_CHILDREN, splice(kids, i, NULL)));
  c = with(c, C_PID, A->undefined);
  s = with(s, S_CHILDREN, splice(kids, i, &c));
  if (!restarts_after(c, reason)) /* S12, S14: the spec stays */
    return noreply(s);
  return restart_static(s, i);
}

static beam_term_t try_again(beam_term_t s, beam_term_t key) {
  beam_term_t kids = field(s, S_CHILDREN), c;
  if (dynamic(s))
    return beam_map_get(kids, key, &c) == 1 && is_atom(field(c, C_PID), "restarting")
               ? restart_dynamic(s, key, c)
               : noreply(s);
  int64_t i = find(kids, C_ID, key);
  if (i < 0 || !is_atom(field(nth(kids, i), C_PID), "restarting"))
    return noreply(s);
  return restart_static(s, i);
}

/* ---- Calls ---- */

static beam_term_t error_of(const char *what) {
  return beam_tuple(2, A->error, atom(what));
}

static beam_term_t reply(beam_term_t r, beam_term_t s) {
  return beam_tuple(3, A->reply, r, s);
}

static beam_term_t start_child_static(beam_term_t s, beam_term_t c) {
  beam_term_t kids = field(s, S_CHILDREN);
  int64_t i = find(kids, C_ID, field(c, C_ID));
  if (i >= 0) { /* S21 */
    beam_term_t old = nth(kids, i);
    return reply(running(old) ? beam_tuple(2, A->error,
                                           beam_tuple(2, atom("already_started"),
                                                      field(old, C_PID)))
                              : error_of("already_present"),
                 s);
  }
  beam_term_t pid, err;
  if (start_one(c, &pid, &err) != 0)
    return reply(beam_tuple(2, A->error, err), s);
  if (beam_is_pid(pid) || !is_temporary(c)) {
    kids = reverse(beam_cons(with(c, C_PID, pid), reverse(kids)));
    s = with(s, S_CHILDREN, kids);
  }
  return reply(beam_tuple(2, A->ok, pid), s);
}

static beam_term_t start_child_dynamic(beam_term_t s, beam_term_t c) {
  beam_term_t kids = field(s, S_CHILDREN);
  int64_t max = int_of(field(s, S_MAXCH));
  if (max > 0 && (int64_t) beam_map_size(kids) >= max) /* S22 */
    return reply(error_of("max_children"), s);
  beam_term_t pid, err;
  if (start_one(c, &pid, &err) != 0)
    return reply(beam_tuple(2, A->error, err), s);
  if (!beam_is_pid(pid))
    return reply(A->ignore, s);
  c = with(with(c, C_ID, A->undefined), C_PID, pid);
  kids = beam_map_put(kids, pid, c);
  return reply(beam_tuple(2, A->ok, pid), with(s, S_CHILDREN, kids));
}

static beam_term_t terminate_child(beam_term_t s, beam_term_t key) {
  beam_term_t kids = field(s, S_CHILDREN), c;
  if (dynamic(s)) {
    if (!beam_is_pid(key) || beam_map_get(kids, key, &c) != 1)
      return reply(error_of("not_found"), s);
    stop_one(c);
    return reply(A->ok, with(s, S_CHILDREN, beam_map_remove(kids, key)));
  }
  int64_t i = find(kids, C_ID, key);
  if (i < 0)
    return reply(error_of("not_found"), s);
  c = stop_one(nth(kids, i));
  if (is_atom(field(c, C_PID), "restarting"))
    c = with(c, C_PID, A->undefined);
  kids = is_temporary(c) ? splice(kids, i, NULL) : splice(kids, i, &c);
  return reply(A->ok, with(s, S_CHILDREN, kids));
}

static beam_term_t restart_child(beam_term_t s, beam_term_t id) {
  beam_term_t kids = field(s, S_CHILDREN);
  int64_t i = dynamic(s) ? -1 : find(kids, C_ID, id);
  if (i < 0)
    return reply(error_of("not_found"), s);
  beam_term_t c = nth(kids, i), pid, err;
  if (running(c))
    return reply(error_of("running"), s);
  if (is_atom(field(c, C_PID), "restarting"))
    return reply(error_of("restarting"), s);
  if (start_one(c, &pid, &err) != 0)
    return reply(beam_tuple(2, A->error, err), s);
  c = with(c, C_PID, pid);
  return reply(beam_tuple(2, A->ok, pid),
               with(s, S_CHILDREN, splice(kids, i, &c)));
}

static beam_term_t delete_child(beam_term_t s, beam_term_t id) {
  beam_term_t kids = field(s, S_CHILDREN);
  int64_t i = dynamic(s) ? -1 : find(kids, C_ID, id);
  if (i < 0)
    return reply(error_of("not_found"), s);
  beam_term_t c = nth(kids, i);
  if (running(c))
    return reply(error_of("running"), s);
  if (is_atom(field(c, C_PID), "restarting"))
    return reply(error_of("restarting"), s);
  return reply(A->ok, with(s, S_CHILDREN, splice(kids, i, NULL)));
}

/* The children in start order (a dynamic supervisor's in any order). */
static beam_term_t children_list(beam_term_t s) {
  beam_term_t kids = field(s, S_CHILDREN);
  if (!dynamic(s))
    return kids;
  beam_term_t out = beam_nil(), k, c;
  beam_map_iter_t it;
  beam_map_iter_init(&it, kids);
  while (beam_map_next(&it, &k, &c) == 1)
    out = beam_cons(c, out);
  return out;
}

static beam_term_t which_children(beam_term_t s) {
  beam_term_t out = beam_nil();
  for (beam_term_t l = reverse(children_list(s)); !is_nil(l);
       l = beam_tl(l)) {
    beam_term_t c = beam_hd(l);
    out = beam_cons(beam_tuple(4, field(c, C_ID), field(c, C_PID),
                               field(c, C_TYPE), beam_nil()),
                    out);
  }
  return out;
}

static beam_term_t count_children(beam_term_t s) {
  int64_t specs = 0, active = 0, sups = 0;
  for (beam_term_t l = children_list(s); !is_nil(l); l = beam_tl(l)) {
    beam_term_t c = beam_hd(l);
    specs++;
    active += running(c);
    sups += is_atom(field(c, C_TYPE), "supervisor");
  }
  return beam_fmt("#{specs => ~i, active => ~i, supervisors => ~i, "
                  "workers => ~i}",
                  specs, active, sups, specs - sups);
}

static beam_term_t sup_call(beam_term_t req, beam_term_t from, beam_term_t s) {
  (void) from;
  if (is_tagged(req, "start_child", 2))
    return dynamic(s) ? start_child_dynamic(s, beam_tuple_get(req, 1))
                      : start_child_static(s, beam_tuple_get(req, 1));
  if (is_tagged(req, "terminate_child", 2))
    return terminate_child(s, beam_tuple_get(req, 1));
  if (is_tagged(req, "restart_child", 2))
    return restart_child(s, beam_tuple_get(req, 1));
  if (is_tagged(req, "delete_child", 2))
    return delete_child(s, beam_tuple_get(req, 1));
  if (is_atom(req, "which_children"))
    return reply(which_children(s), s);
  if (is_atom(req, "count_children"))
    return reply(count_children(s), s);
  return reply(error_of("unknown_call"), s);
}

static beam_term_t sup_cast(beam_term_t req, beam_term_t s) {
  if (is_tagged(req, "$try_again", 2))
    return try_again(s, beam_tuple_get(req, 1));
  return noreply(s);
}

static beam_term_t sup_info(beam_term_t msg, beam_term_t s) {
  if (is_tagged(msg, "EXIT", 3) && beam_is_pid(beam_tuple_get(msg, 1)))
    return child_exited(s, beam_tuple_get(msg, 1), beam_tuple_get(msg, 2));
  return noreply(s); /* OTP logs and ignores anything else */
}

/* S19: last to first; a dynamic supervisor's all at once (S22). */
static void sup_terminate(beam_term_t reason, beam_term_t s) {
  (void) reason;
  if (!dynamic(s)) {
    stop_range(field(s, S_CHILDREN), 0);
    return;
  }
  beam_term_t waits = beam_nil();
  for (beam_term_t l = children_list(s); !is_nil(l); l = beam_tl(l)) {
    beam_term_t c = beam_hd(l);
    if (!running(c))
      continue;
    int64_t deadline = deadline_of(c);
    beam_term_t ref = signal_stop(c);
    waits = beam_cons(beam_tuple(3, c, ref, beam_int(deadline)), waits);
  }
  for (; !is_nil(waits); waits = beam_tl(waits)) {
    beam_term_t w = beam_hd(waits);
    await_stop(field(w, 0), field(w, 1), int_of(field(w, 2)));
  }
}

/* ---- Starting ---- */

/* S3: stop what started, last to first, and say which child failed. */
static beam_term_t start_failed(beam_term_t started, beam_term_t c,
                                beam_term_t err) {
  stop_range(reverse(started), 0);
  return beam_tuple(2, A->stop,
                    beam_tuple(2, A->shutdown,
                               beam_tuple(3, atom("failed_to_start_child"),
                                          field(c, C_ID), err)));
}

/* The argument: {StateWithoutChildren, ChildList}. */
static beam_term_t sup_init(beam_term_t arg) {
  beam_trap_exit(1);
  beam_term_t s = beam_tuple_get(arg, 0), specs = beam_tuple_get(arg, 1);
  if (dynamic(s))
    return beam_tuple(2, A->ok, with(s, S_CHILDREN, beam_map_new()));
  beam_term_t started = beam_nil(); /* newest first */
  for (beam_term_t l = specs; !is_nil(l); l = beam_tl(l)) {
    beam_term_t id = field(beam_hd(l), C_ID);
    if (find(beam_tl(l), C_ID, id) >= 0) /* S5 */
      return beam_fmt("{stop, {start_spec, {duplicate_child_name, ~t}}}", id);
  }
  for (beam_term_t l = specs; !is_nil(l); l = beam_tl(l)) {
    beam_term_t c = beam_hd(l), pid, err;
    if (start_one(c, &pid, &err) != 0)
      return start_failed(started, c, err);
    if (beam_is_pid(pid) || !is_temporary(c)) /* S4 */
      started = beam_cons(with(c, C_PID, pid), started);
  }
  return beam_tuple(2, A->ok, with(s, S_CHILDREN, reverse(started)));
}

static const beam_gen_server_t sup_callbacks = {
    .init = sup_init,
    .handle_call = sup_call,
    .handle_cast = sup_cast,
    .handle_info = sup_info,
    .terminate = sup_terminate,
};

/* A child record from a spec; an error term if the spec is bad. */
static beam_term_t child_of(const beam_child_spec_t *spec) {
  static const char *restarts[] = {"permanent", "transient", "temporary"};
  static const char *types[] = {"worker", "supervisor"};
  if (spec == NULL || spec->start == NULL || spec->restart < 0 ||
      spec->restart > BEAM_TEMPORARY || spec->type < 0 ||
      spec->type > BEAM_SUPERVISOR || beam_is_error(spec->id) ||
      beam_is_error(spec->arg) ||
      (spec->shutdown_ms < 0 && spec->shutdown_ms != BEAM_INFINITY &&
       spec->shutdown_ms != BEAM_BRUTAL_KILL))
    return beam_error_term(BEAM_EINVAL);
  beam_term_t shutdown =
      spec->shutdown_ms == BEAM_INFINITY      ? A->infinity
      : spec->shutdown_ms == BEAM_BRUTAL_KILL ? atom("brutal_kill")
      : spec->shutdown_ms > 0                 ? beam_int(spec->shutdown_ms)
      : spec->type == BEAM_SUPERVISOR         ? A->infinity
                                              : beam_int(5000); /* S1 */
  return beam_tuple(C_N, spec->id, A->undefined,
                    beam__otp_fn_term((beam__otp_fn_t) spec->start), spec->arg,
                    atom(restarts[spec->restart]), shutdown,
                    atom(types[spec->type]));
}

static beam_term_t start_sup(const beam_child_spec_t *specs, size_t n,
                             const beam_supervisor_opts_t *opts,
                             bool is_dynamic) {
  static const char *strategies[] = {"one_for_one", "one_for_all",
                                     "rest_for_one"};
  beam_supervisor_opts_t o = opts ? *opts : (beam_supervisor_opts_t){0};
  if ((n > 0 && specs == NULL) || o.strategy < 0 ||
      o.strategy > BEAM_REST_FOR_ONE || o.max_seconds < 0 ||
      (is_dynamic && o.strategy != BEAM_ONE_FOR_ONE))
    return beam_error_term(BEAM_EINVAL);
  beam_term_t kids = beam_nil();
  for (size_t i = n; i-- > 0;) {
    beam_term_t c = child_of(&specs[i]);
    if (beam_is_error(c))
      return c;
    kids = beam_cons(c, kids);
  }
  int64_t max_r = o.max_restarts == 0 ? 3 : o.max_restarts < 0 ? 0 : o.max_restarts;
  beam_term_t s = beam_tuple(S_N, atom(strategies[o.strategy]), beam_int(max_r),
                             beam_int(o.max_seconds ? o.max_seconds : 5),
                             beam_nil(), beam_nil(),
                             atom(is_dynamic ? "true" : "false"),
                             beam_int((int64_t) o.max_children));
  beam_gen_server_opts_t go = {.name = o.name};
  return beam_gen_server_start_link(&sup_callbacks, beam_tuple(2, s, kids),
                                    &go);
}

beam_term_t beam_supervisor_start_link(const beam_child_spec_t *children,
                                       size_t n,
                                       const beam_supervisor_opts_t *opts) {
  return start_sup(children, n, opts, false);
}

beam_term_t beam_dynamic_supervisor_start_link(
    const beam_supervisor_opts_t *opts) {
  return start_sup(NULL, 0, opts, true);
}

/* ---- Calls from clients ---- */

static beam_term_t call(beam_term_t sup, beam_term_t req) {
  return beam_gen_server_call(sup, req, BEAM_INFINITY);
}

beam_term_t beam_supervisor_start_child(beam_term_t sup,
                                        const beam_child_spec_t *spec) {
  beam_term_t c = child_of(spec);
  return beam_is_error(c) ? c : call(sup, beam_tuple(2, atom("start_child"), c));
}

beam_term_t beam_dynamic_supervisor_start_child(beam_term_t sup,
                                                const beam_child_spec_t *spec) {
  return beam_supervisor_start_child(sup, spec);
}

beam_term_t beam_supervisor_terminate_child(beam_term_t sup, beam_term_t id) {
  return call(sup, beam_tuple(2, atom("terminate_child"), id));
}

beam_term_t beam_supervisor_restart_child(beam_term_t sup, beam_term_t id) {
  return call(sup, beam_tuple(2, atom("restart_child"), id));
}

beam_term_t beam_supervisor_delete_child(beam_term_t sup, beam_term_t id) {
  return call(sup, beam_tuple(2, atom("delete_child"), id));
}

beam_term_t beam_supervisor_which_children(beam_term_t sup) {
  return call(sup, atom("which_children"));
}

beam_term_t beam_supervisor_count_children(beam_term_t sup) {
  return call(sup, atom("count_children"));
}

int beam_supervisor_stop(beam_term_t sup, beam_term_t reason,
                         int64_t timeout_ms) {
  return beam_gen_server_stop(sup, reason, timeout_ms);
}
