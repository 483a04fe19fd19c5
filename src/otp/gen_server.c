/* SPDX-License-Identifier: MIT */
/*
** otp/gen_server.c: Elixir's GenServer, on the public API only: a process
** that keeps a state and runs one callback at a time, in mailbox order
** (docs/otp.md; SEMANTICS G1-G20).
**
** Wire format, as OTP's: a call is {'$gen_call', From, Request} with From
** = {CallerPid, Alias}; a reply is {Alias, Reply} sent to the caller's
** alias, so that a reply after the call gave up is dropped (G6); a cast is
** {'$gen_cast', Request}; stop/3 sends {'$gen_stop', Reason}; everything
** else goes to handle_info.
**
** Callback results are the terms Elixir's callbacks return ({reply, R,
** S}, {noreply, S, Timeout | hibernate | {continue, C}}, {stop, R, S},
** ...), built with beam_fmt or beam_tuple; anything else stops the server
** with {bad_return_value, V} (G11).
**
** terminate(Reason, State) runs when a callback asks to stop, when
** stop/3 is called, when the parent's exit signal reaches a server that
** traps exits (G16, G19), and when a callback ends the process itself
** (beam_exit in it, a fault): an exit hook, skipped when another process's
** exit signal ends the server (G17: kill, or any signal to a server that
** does not trap exits). Then an abnormal reason is reported with the last
** message and the state (G20, beam_report_crash).
**
** Memory: after each callback the server collects its heap when due, with
** the state (and a pending continue) as roots (beam_gc_maybe): callbacks
** never manage memory. A term a callback keeps outside the state (a From
** in a C struct) must be in the state instead. init may collect (it builds
** the state): the starter's alias is kept off the heap meanwhile (kept.h).
** Other callbacks must not, since the request and 'from' would go too.
*/
#include "atoms.h"
#include "fnterm.h"
#include "kept.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#define A beam__otp_atoms() /* atoms.h */

/* The server's own record, in its first frame. */
typedef struct server {
  const beam_gen_server_t *cb;
  beam_term_t state;
  beam_pid_t parent;
  int64_t timeout;  /* of the next wait: BEAM_INFINITY or ms */
  beam_term_t cont; /* a pending {continue, C}'s C, or [] */
  beam_term_t last; /* the message being handled, for a crash report */
  bool has_cont, hibernate, in_callback;
} server_t;

static beam_term_t atom(const char *s) {
  return beam_atom(s);
}

/* ---- Ending ---- */

static bool is_abnormal(beam_term_t reason) {
  return !beam__otp_is(reason, A->normal) &&
         !beam__otp_is(reason, A->shutdown) &&
         !(beam_is_tuple(reason) && beam_tuple_size(reason) == 2 &&
           beam__otp_is(beam_tuple_get(reason, 0), A->shutdown));
}

/* G20: an abnormal end is reported with the last message and the state
** (as format_status shows it), as OTP's "** Generic server terminating"
** report. */
static void report(server_t *g, beam_term_t reason) {
  if (!is_abnormal(reason))
    return;
  char msg[600], state[600], extra[1300];
  beam_print(msg, sizeof msg, g->last);
  beam_print(state, sizeof state,
             g->cb->format_status ? g->cb->format_status(g->state) : g->state);
  snprintf(extra, sizeof extra,
           "    generic server terminating\n    last message: %s\n"
           "    state: %s\n",
           msg, state);
  beam_report_crash(reason, extra);
}

static void terminate_hook(void *ctx, beam_term_t reason) {
  server_t *g = ctx;
  /* G17: not for an end another process's exit signal caused. */
  if (g->in_callback && !beam_exit_by_signal()) {
    g->in_callback = false;
    if (g->cb->terminate)
      g->cb->terminate(reason, g->state);
    report(g, reason);
  }
}

static _Noreturn void stop_with(server_t *g, beam_term_t reason) {
  beam_on_exit_remove(terminate_hook, g);
  if (g->cb->terminate)
    g->cb->terminate(reason, g->state);
  report(g, reason);
  beam_exit(reason);
}

/* ---- Results ---- */

static bool is_tagged(beam_term_t r, beam_term_t tag, size_t n) {
  return beam_is_tuple(r) && beam_tuple_size(r) == n &&
         beam__otp_is(beam_tuple_get(r, 0), tag);
}

/* The part after the state: a timeout, hibernate or {continue, C}.
** false if it is none of these. */
static bool take_action(server_t *g, beam_term_t a) {
  int64_t ms;
  if (beam__otp_is(a, A->hibernate)) {
    g->hibernate = true;
  } else if (beam__otp_is(a, A->infinity)) {
    g->timeout = BEAM_INFINITY;
  } else if (beam_get_int(a, &ms) == 0 && ms >= 0) {
    g->timeout = ms;
  } else if (is_tagged(a, A->continue_, 2)) {
    g->cont = beam_tuple_get(a, 1);
    g->has_cont = true;
  } else {
    return false;
  }
  return true;
}

/* {Tag, ..., S} or {Tag, ..., S, Action}: take S (at 'at') and the action;
** false if the shape is wrong. */
static bool take_state(server_t *g, beam_term_t r, size_t at) {
  size_t n = beam_tuple_size(r);
  if (n != at + 1 && n != at + 2)
    return false;
  if (n == at + 2 && !take_action(g, beam_tuple_get(r, at + 1)))
    return false;
  g->state = beam_tuple_get(r, at);
  return true;
}

static _Noreturn void bad_return(server_t *g, beam_term_t r) {
  stop_with(g, beam_tuple(2, atom("bad_return_value"), r));
}

/* {noreply, S[, Action]} | {stop, R, S}: handle_cast/info/continue. */
static void noreply_result(server_t *g, beam_term_t r) {
  g->timeout = BEAM_INFINITY;
  if (beam_is_tuple(r) && beam__otp_is(beam_tuple_get(r, 0), A->noreply) &&
      take_state(g, r, 1))
    return;
  if (is_tagged(r, A->stop, 3)) {
    g->state = beam_tuple_get(r, 2);
    stop_with(g, beam_tuple_get(r, 1));
  }
  bad_return(g, r);
}

int beam_gen_server_reply(beam_term_t from, beam_term_t reply) {
  if (!beam_is_tuple(from) || beam_tuple_size(from) != 2)
    return BEAM_EBADARG;
  beam_term_t alias = beam_tuple_get(from, 1);
  return beam_send_alias(beam_tuple_get(from, 0), alias,
                         beam_tuple(2, alias, reply));
}

static void call_result(server_t *g, beam_term_t from, beam_term_t r) {
  g->timeout = BEAM_INFINITY;
  if (beam_is_tuple(r) && beam__otp_is(beam_tuple_get(r, 0), A->reply) &&
      beam_tuple_size(r) >= 3) {
    beam_term_t reply = beam_tuple_get(r, 1);
    if (!take_state(g, r, 2))
      bad_return(g, r);
    beam_gen_server_reply(from, reply);
    return;
  }
  if (is_tagged(r, A->stop, 4)) { /* G9: terminate, then the reply */
    g->state = beam_tuple_get(r, 3);
    beam_on_exit_remove(terminate_hook, g);
    if (g->cb->terminate)
      g->cb->terminate(beam_tuple_get(r, 1), g->state);
    beam_gen_server_reply(from, beam_tuple_get(r, 2));
    report(g, beam_tuple_get(r, 1));
    beam_exit(beam_tuple_get(r, 1));
  }
  noreply_result(g, r); /* {noreply, ...}, {stop, R, S} (G10), or bad */
}

/* ---- The loop ---- */

static bool traps_exits(void) {
  beam_process_info_t info;
  return beam_process_info(beam_self(), &info) == 0 && info.trap_exit;
}

static void default_info(beam_term_t msg) {
  char text[256];
  beam_print(text, sizeof text, msg);
  fprintf(stderr, "cbeam gen_server: unexpected message in handle_info: %s\n",
          text);
}

static void dispatch(server_t *g, beam_term_t msg) {
  const beam_gen_server_t *cb = g->cb;
  g->in_callback = true;
  if (is_tagged(msg, A->gen_call, 3)) {
    beam_term_t req = beam_tuple_get(msg, 2), from = beam_tuple_get(msg, 1);
    if (!cb->handle_call) /* G15: a missing handle_call crashes it */
      stop_with(g, beam_tuple(2, atom("bad_call"), req));
    call_result(g, from, cb->handle_call(req, from, g->state));
  } else if (is_tagged(msg, A->gen_cast, 2)) {
    beam_term_t req = beam_tuple_get(msg, 1);
    if (!cb->handle_cast)
      stop_with(g, beam_tuple(2, atom("bad_cast"), req));
    noreply_result(g, cb->handle_cast(req, g->state));
  } else if (is_tagged(msg, A->gen_stop, 2)) {
    stop_with(g, beam_tuple_get(msg, 1)); /* G18 */
  } else if (is_tagged(msg, A->EXIT, 3) &&
             beam_equal(beam_tuple_get(msg, 1), g->parent) && traps_exits()) {
    stop_with(g, beam_tuple_get(msg, 2)); /* G19: the parent's exit */
  } else if (cb->handle_info) {
    noreply_result(g, cb->handle_info(msg, g->state));
  } else {
    default_info(msg); /* G15 */
  }
  g->in_callback = false;
}

static _Noreturn void serve(server_t *g);

/* After beam_hibernate: {CbAddr, State, Parent}. */
static void resume(beam_term_t a) {
  server_t g = {beam__otp_term_ptr(beam_tuple_get(a, 0)), beam_tuple_get(a, 1),
                beam_tuple_get(a, 2), BEAM_INFINITY, beam_nil(), beam_nil(),
                false, false, false};
  serve(&g);
}

static _Noreturn void serve(server_t *g) {
  beam_on_exit(terminate_hook, g);
  for (;;) {
    if (g->has_cont) { /* G14: before any message */
      g->has_cont = false;
      g->in_callback = true;
      noreply_result(g, g->cb->handle_continue
                            ? g->cb->handle_continue(g->cont, g->state)
                            : beam_tuple(2, atom("bad_continue"), g->cont));
      g->in_callback = false;
      continue;
    }
    beam_gc_maybe(&g->state);
    if (g->hibernate) {
      g->hibernate = false;
      beam_on_exit_remove(terminate_hook, g);
      beam_hibernate(resume, beam_tuple(3, beam__otp_ptr_term(g->cb), g->state,
                                        g->parent));
    }
    beam_term_t msg;
    if (beam_receive_any(g->timeout, &msg) == BEAM_ETIMEDOUT)
      msg = atom("timeout"); /* G13: nothing came in time */
    g->timeout = BEAM_INFINITY;
    g->last = msg;
    dispatch(g, msg);
  }
}

/* ---- Starting ---- */

/* {via, 'Elixir.Registry', {Reg, Key}} or {..., {Reg, Key, Value}}. */
static bool is_via(beam_term_t name) {
  if (!is_tagged(name, A->via, 3) ||
      !beam__otp_is(beam_tuple_get(name, 1), A->Registry))
    return false;
  beam_term_t n = beam_tuple_get(name, 2);
  size_t size = beam_tuple_size(n);
  return (size == 2 || size == 3) && beam_is_atom(beam_tuple_get(n, 0));
}

/* Register the new server under a via name: 0, or 1 with '*ack' the
** start's {error, ...}. */
static int via_register(beam_term_t name, beam_term_t *ack) {
  beam_term_t n = beam_tuple_get(name, 2);
  beam_term_t value = beam_tuple_size(n) == 3 ? beam_tuple_get(n, 2) : A->nil;
  beam_term_t r = beam_registry_whereis_name(n), held;
  if (!beam_is_error(r)) /* not a duplicate registry (Elixir refuses it) */
    r = beam_registry_register(beam_tuple_get(n, 0), beam_tuple_get(n, 1),
                               value);
  if (is_tagged(r, A->ok, 2))
    return 0;
  if (beam_match(r, "{error, {already_registered, P}}", &held) == 1)
    *ack = beam_tuple(2, A->error,
                      beam_tuple(2, atom("already_started"), held));
  else /* no such registry, a duplicate one, or a key that is no term */
    *ack = beam_tuple(2, A->error, atom("badarg"));
  return 1;
}

/* A via name, kept off the heap while init runs (init may collect it). The
** block is freed by an exit hook if init ends the process. */
static void free_kept_name(void *ctx, beam_term_t reason) {
  (void) reason;
  free(ctx);
}

/* The server's first function: {CbAddr, Arg, Parent, StarterAlias, Name},
** Name an atom, a via tuple, or []. */
static void server_main(beam_term_t a) {
  server_t g = {beam__otp_term_ptr(beam_tuple_get(a, 0)), beam_nil(),
                beam_tuple_get(a, 2), BEAM_INFINITY, beam_nil(), beam_nil(),
                false, false, false};
  beam_pid_t starter = g.parent;
  beam_term_t alias = beam_tuple_get(a, 3), name = beam_tuple_get(a, 4);
  beam_term_t ack;
  beam__kept_t kept_alias; /* init may collect the heap (kept.h) */
  if (beam__keep(&kept_alias, alias) != 0)
    beam_exit(beam_atom("system_limit"));
  /* G3: the name first, so init sees it. */
  if (beam_is_atom(name) && beam_register(name, beam_self()) != 0) {
    ack = beam_tuple(2, atom("error"),
                     beam_tuple(2, atom("already_started"),
                                beam_whereis(name)));
    beam_send_alias(starter, alias, beam_tuple(2, alias, ack));
    return; /* exits normal */
  }
  void *kept_name = NULL;
  size_t kept_len = 0;
  if (is_via(name)) {
    if (via_register(name, &ack)) {
      beam_send_alias(starter, alias, beam_tuple(2, alias, ack));
      return;
    }
    if (beam_etf_encode_alloc(name, NULL, &kept_name, &kept_len) != 0)
      beam_exit(atom("system_limit")); /* the entry goes with it */
    if (beam_on_exit(free_kept_name, kept_name) != 0) {
      free(kept_name);
      beam_exit(atom("system_limit"));
    }
  }
  beam_term_t r = g.cb->init ? g.cb->init(beam_tuple_get(a, 1))
                             : beam_tuple(2, atom("ok"), beam_nil());
  alias = beam__kept(&kept_alias);
  if (kept_name) {
    name = beam_etf_decode(kept_name, kept_len, NULL, NULL);
    beam_on_exit_remove(free_kept_name, kept_name);
    free(kept_name);
  }
  beam_term_t reason = beam_nil();
  bool ok = false;
  if (is_tagged(r, A->ok, 2) || (is_tagged(r, A->ok, 3) &&
                                take_action(&g, beam_tuple_get(r, 2)))) {
    g.state = beam_tuple_get(r, 1);
    ack = beam_tuple(2, atom("ok"), beam_self());
    ok = true;
  } else if (is_tagged(r, A->stop, 2)) {
    reason = beam_tuple_get(r, 1);
    ack = beam_tuple(2, atom("error"), reason);
  } else if (beam__otp_is(r, A->ignore)) {
    reason = atom("normal");
    ack = r;
  } else {
    reason = beam_tuple(2, atom("bad_return_value"), r);
    ack = beam_tuple(2, atom("error"), reason);
  }
  if (!ok && beam_is_atom(name)) {
    int gone = beam_unregister(name); /* released before start returns */
    (void) gone;                      /* (not ours any more: fine) */
  }
  if (!ok && is_via(name)) /* the same for a via name */
    beam_registry_unregister(beam_tuple_get(beam_tuple_get(name, 2), 0),
                             beam_tuple_get(beam_tuple_get(name, 2), 1));
  beam_send_alias(starter, alias, beam_tuple(2, alias, ack));
  if (!ok)
    beam_exit(reason);
  serve(&g);
}

typedef struct start_wait {
  beam_term_t alias, ref;
} start_wait_t;

static int match_start(beam_term_t msg, void *ctx) {
  start_wait_t *w = ctx;
  if (beam_is_tuple(msg) && beam_tuple_size(msg) == 2 &&
      beam_equal(beam_tuple_get(msg, 0), w->alias))
    return 1;
  if (is_tagged(msg, A->DOWN, 5) && beam_equal(beam_tuple_get(msg, 1), w->ref))
    return 2;
  return 0;
}

static beam_term_t start(const beam_gen_server_t *cb, beam_term_t arg,
                         const beam_gen_server_opts_t *opts, bool link) {
  if (cb == NULL)
    return beam_error_term(BEAM_EINVAL);
  beam_term_t name = opts && opts->name ? atom(opts->name) : beam_nil();
  if (opts && opts->via.raw != 0) { /* a zero term word: no via name */
    if (opts->name || !is_via(opts->via))
      return beam_error_term(BEAM_EINVAL);
    name = opts->via;
  }
  int64_t timeout = opts && opts->timeout_ms ? opts->timeout_ms : BEAM_INFINITY;
  start_wait_t w = {beam_alias(), beam_nil()};
  beam_pid_t pid;
  beam_spawn_opts_t o = {.flags = BEAM_SPAWN_MONITOR |
                                  (link ? BEAM_SPAWN_LINK : 0u),
                         .monitor_ref = &w.ref};
  int rc = beam_spawn_opt(server_main,
                          beam_tuple(5, beam__otp_ptr_term(cb), arg, beam_self(), w.alias,
                                     name),
                          &o, &pid);
  if (rc != 0) {
    beam_unalias(w.alias);
    return beam_error_term(rc);
  }
  beam_term_t msg, result;
  int got = beam_receive_fn(timeout, match_start, &w, &msg);
  if (got == 1) {
    result = beam_tuple_get(msg, 1);
    /* A server that did not start sends its DOWN next; keep it out. */
    beam_demonitor(w.ref, BEAM_DEMONITOR_FLUSH);
  } else if (got == 2) { /* init crashed (or exited) without a word */
    result = beam_tuple(2, atom("error"), beam_tuple_get(msg, 4));
  } else { /* G1: init took too long: killed, and no EXIT for us */
    beam_unlink(pid);
    beam_exit_signal(pid, atom("kill"));
    beam_demonitor(w.ref, BEAM_DEMONITOR_FLUSH);
    result = beam_tuple(2, atom("error"), atom("timeout"));
  }
  beam_unalias(w.alias);
  return result;
}

beam_term_t beam_gen_server_start_link(const beam_gen_server_t *cb,
                                       beam_term_t arg,
                                       const beam_gen_server_opts_t *opts) {
  return start(cb, arg, opts, true);
}

beam_term_t beam_gen_server_start(const beam_gen_server_t *cb,
                                  beam_term_t arg,
                                  const beam_gen_server_opts_t *opts) {
  return start(cb, arg, opts, false);
}

/* ---- Calling ---- */

/* 'server' is {Name, Node} with Node not this one (nonode@nohost: no
** distribution yet); '*node' receives it. */
static bool on_other_node(beam_term_t server, beam_term_t *node) {
  if (!beam_is_tuple(server) || beam_tuple_size(server) != 2)
    return false;
  *node = beam_tuple_get(server, 1);
  return !beam__otp_is(*node, A->nonode);
}

/* A pid, a registered name, {Name, Node} of this node, or {via,
** 'Elixir.Registry', {Reg, Key}}; else 'undefined' ({Name, OtherNode}
** too: never the local Name). */
static beam_term_t resolve(beam_term_t server) {
  if (beam_is_pid(server))
    return server;
  if (is_tagged(server, A->via, 3)) {
    beam_term_t pid = is_via(server)
                          ? beam_registry_whereis_name(beam_tuple_get(server, 2))
                          : A->undefined;
    return beam_is_pid(pid) ? pid : A->undefined;
  }
  if (beam_is_tuple(server) && beam_tuple_size(server) == 2) {
    beam_term_t node;
    if (on_other_node(server, &node))
      return atom("undefined");
    server = beam_tuple_get(server, 0);
  }
  return beam_is_atom(server) ? beam_whereis(server) : atom("undefined");
}

static _Noreturn void call_exit(beam_term_t reason, const char *fun,
                                beam_term_t server, beam_term_t x,
                                int64_t timeout) {
  beam_term_t t =
      timeout == BEAM_INFINITY ? atom("infinity") : beam_int(timeout);
  beam_exit(beam_tuple(2, reason,
                       beam_tuple(3, atom("Elixir.GenServer"), atom(fun),
                                  beam_list(3, server, x, t))));
}

int beam_gen_server_call_result(beam_term_t server, beam_term_t request,
                                int64_t timeout_ms, beam_term_t *reply) {
  beam_term_t out = beam_nil();
  int rc = 0;
  beam_pid_t pid = resolve(server);
  beam_term_t node;
  if (timeout_ms < BEAM_INFINITY) {
    rc = BEAM_EINVAL;
  } else if (beam_is_error(request)) {
    rc = beam_term_error(request); /* nothing to send: no wait for a reply */
  } else if (on_other_node(server, &node)) {
    rc = BEAM_EEXITED; /* gen:call's reason when the node is not there */
    out = beam_tuple(2, A->nodedown, node);
  } else if (!beam_is_pid(pid)) {
    rc = BEAM_ENOPROC;
  } else if (beam_equal(pid, beam_self())) {
    rc = BEAM_EBADARG; /* calling_self */
    out = atom("calling_self");
  } else {
    start_wait_t w = {beam_alias(), beam_monitor(pid)};
    int sent = beam_send(pid, beam_tuple(3, A->gen_call,
                                         beam_tuple(2, beam_self(), w.alias),
                                         request));
    beam_term_t msg;
    int got = sent == 0 || sent == BEAM_ENOPROC
                  ? beam_receive_fn(timeout_ms, match_start, &w, &msg)
                  : sent; /* not sent (no memory): no reply will come */
    if (got < 0 && got != BEAM_ETIMEDOUT) {
      beam_unalias(w.alias);
      beam_demonitor(w.ref, BEAM_DEMONITOR_FLUSH);
      if (reply)
        *reply = out;
      return got;
    }
    beam_unalias(w.alias);
    if (got == 1) {
      beam_demonitor(w.ref, BEAM_DEMONITOR_FLUSH);
      out = beam_tuple_get(msg, 1);
    } else if (got == 2) {
      out = beam_tuple_get(msg, 4);
      rc = beam__otp_is(out, A->noproc) ? BEAM_ENOPROC : BEAM_EEXITED;
    } else {
      beam_demonitor(w.ref, BEAM_DEMONITOR_FLUSH); /* G6 */
      rc = BEAM_ETIMEDOUT;
    }
  }
  if (reply)
    *reply = out;
  return rc;
}

beam_term_t beam_gen_server_call(beam_term_t server, beam_term_t request,
                                 int64_t timeout_ms) {
  beam_term_t v;
  int rc = beam_gen_server_call_result(server, request, timeout_ms, &v);
  if (rc == 0)
    return v;
  if (rc == BEAM_EINVAL || beam_is_error(request) ||
      (rc != BEAM_ETIMEDOUT && rc != BEAM_ENOPROC && rc != BEAM_EEXITED &&
       rc != BEAM_EBADARG))
    return beam_error_term(rc); /* misuse, or the request not sent */
  beam_term_t reason = rc == BEAM_ETIMEDOUT ? atom("timeout")
                       : rc == BEAM_ENOPROC  ? atom("noproc")
                                             : v; /* exit reason, calling_self */
  call_exit(reason, "call", server, request, timeout_ms);
}

int beam_gen_server_cast(beam_term_t server, beam_term_t request) {
  beam_pid_t pid = resolve(server);
  if (!beam_is_pid(pid))
    return 0; /* G12: never fails */
  int rc = beam_send(pid, beam_tuple(2, A->gen_cast, request));
  return rc == BEAM_EBADTERM || rc == BEAM_ENOTPROC ? rc : 0;
}

int beam_gen_server_stop(beam_term_t server, beam_term_t reason,
                         int64_t timeout_ms) {
  if (beam_is_error(reason))
    return beam_term_error(reason); /* it could not be sent: no wait */
  beam_pid_t pid = resolve(server);
  if (!beam_is_pid(pid))
    call_exit(atom("noproc"), "stop", server, reason, timeout_ms);
  beam_term_t ref = beam_monitor(pid);
  beam_send(pid, beam_tuple(2, A->gen_stop, reason));
  beam_term_t why;
  if (beam_receive(timeout_ms, "{'DOWN', ~t, process, _, R}", ref, &why,
                   NULL) != 0) {
    beam_demonitor(ref, BEAM_DEMONITOR_FLUSH);
    call_exit(atom("timeout"), "stop", server, reason, timeout_ms);
  }
  if (beam__otp_is(why, A->noproc))
    call_exit(why, "stop", server, reason, timeout_ms);
  if (!beam_equal(why, reason)) /* it ended otherwise meanwhile */
    call_exit(why, "stop", server, reason, timeout_ms);
  return 0;
}
