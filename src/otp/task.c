/* SPDX-License-Identifier: MIT */
/*
** otp/task.c: Elixir's Task, on cbeam's public API only (as lauxlib sits
** on lua.h): a task is a process that runs one function and replies to
** its owner (docs/otp.md; SEMANTICS T1-T14).
**
** A task is spawned linked to and monitored by its owner, and replies
** {Alias, Value} to an alias of the owner (beam_alias): once the owner
** stops waiting (a timeout, a shutdown) it drops the alias, so a reply
** that comes later is dropped by the runtime and never reaches its
** mailbox (T4). The monitor's DOWN tells a task that ended without
** replying. Every wait is one receive with a callback matcher that looks
** only for this task's reply or DOWN: other messages stay queued, in
** order.
**
** Where Elixir exits the caller (await's timeout or a crashed task), so
** does beam_task_await, with Elixir's reason; beam_task_await_result
** returns a code instead. The %Task{} in those reasons is a map like
** Elixir's struct: #{'__struct__' => 'Elixir.Task', pid, ref, owner}.
*/
#include "atoms.h"
#include "fnterm.h"
#include "kept.h"
#include "task.h"

#include <stdbool.h>
#include <stdlib.h>

/* ---- The task process ---- */

/* A task a Task.Supervisor started waits for its owner's word that the
** owner monitors it, so that its end, however early, reaches the owner
** as a DOWN with its reason and not as noproc; if the owner dies first
** there is nobody to answer and it ends quietly. */
static void await_go(beam_pid_t owner) {
  beam_term_t ref = beam_monitor(owner);
  if (beam_receive(BEAM_INFINITY, "'$task_go'", "{'DOWN', ~t, _, _, _}", ref,
                   NULL) != 0)
    beam_exit(beam__otp_atoms()->normal);
  beam_demonitor(ref, BEAM_DEMONITOR_FLUSH);
}

/* Its argument: {FnAddress, Owner, Alias, Arg, Mode}. */
static void task_main(beam_term_t a) {
  beam_task_fn_t fn = (beam_task_fn_t) beam__otp_term_fn(beam_tuple_get(a, 0));
  beam_pid_t owner = beam_tuple_get(a, 1);
  bool replies = !beam_equal(beam_tuple_get(a, 2), beam_nil());
  int64_t mode = BEAM__TASK_PLAIN;
  beam_get_int(beam_tuple_get(a, 4), &mode);
  if (mode == BEAM__TASK_LINK_AWAIT_GO && beam_link(owner) != 0)
    beam_exit(beam__otp_atoms()->noproc); /* the owner is gone (L4) */
  if (mode != BEAM__TASK_PLAIN)
    await_go(owner);
  beam__kept_t alias; /* fn may collect the heap (kept.h) */
  if (replies && beam__keep(&alias, beam_tuple_get(a, 2)) != 0)
    beam_exit(beam_atom("system_limit"));
  beam_term_t v = fn(beam_tuple_get(a, 3));
  if (replies) {
    beam_term_t to = beam__kept(&alias);
    beam_send_alias(owner, to, beam_tuple(2, to, v));
  }
}

int beam__task_spawn(beam_task_fn_t fn, beam_term_t arg, beam_pid_t owner,
                     beam_term_t alias, int mode, unsigned flags,
                     beam_term_t *ref, beam_pid_t *pid) {
  if (fn == NULL)
    return BEAM_EINVAL;
  beam_term_t a = beam_tuple(5, beam__otp_fn_term((beam__otp_fn_t) fn), owner,
                             alias, arg, beam_int(mode));
  beam_spawn_opts_t o = {.flags = flags, .monitor_ref = ref};
  return beam_spawn_opt(task_main, a, &o, pid);
}

void beam__task_go(beam_pid_t task) {
  beam_send(task, beam_atom("$task_go"));
}

static int spawn_task(beam_task_fn_t fn, beam_term_t arg, beam_term_t alias,
                      unsigned flags, beam_term_t *ref, beam_pid_t *pid) {
  return beam__task_spawn(fn, arg, beam_self(), alias, BEAM__TASK_PLAIN, flags,
                          ref, pid);
}

int beam_task_async(beam_task_fn_t fn, beam_term_t arg, beam_task_t *task) {
  if (task == NULL)
    return BEAM_EINVAL;
  beam_term_t alias = beam_alias();
  if (beam_is_error(alias))
    return beam_term_error(alias);
  beam_term_t ref;
  int rc = spawn_task(fn, arg, alias, BEAM_SPAWN_LINK | BEAM_SPAWN_MONITOR,
                      &ref, &task->pid);
  if (rc != 0) {
    beam_unalias(alias);
    return rc;
  }
  task->ref = ref;
  task->alias = alias;
  task->owner = beam_self();
  return 0;
}

int beam_task_start(beam_task_fn_t fn, beam_term_t arg, beam_pid_t *pid) {
  return pid ? spawn_task(fn, arg, beam_nil(), 0, NULL, pid) : BEAM_EINVAL;
}

int beam_task_start_link(beam_task_fn_t fn, beam_term_t arg,
                         beam_pid_t *pid) {
  return pid ? spawn_task(fn, arg, beam_nil(), BEAM_SPAWN_LINK, NULL, pid)
             : BEAM_EINVAL;
}

/* ---- Waiting for one task ---- */

static bool owned(const beam_task_t *t) {
  return t != NULL && beam_is_pid(t->owner) &&
         beam_equal(t->owner, beam_self());
}

/* What a wait found. */
enum { GOT_REPLY = 1, GOT_DOWN = 2 };

static int match_task(beam_term_t msg, void *ctx) {
  const beam_task_t *t = ctx;
  if (beam_is_tuple(msg) && beam_tuple_size(msg) == 2 &&
      beam_equal(beam_tuple_get(msg, 0), t->alias))
    return GOT_REPLY;
  if (beam_is_tuple(msg) && beam_tuple_size(msg) == 5 &&
      beam__otp_is(beam_tuple_get(msg, 0), beam__otp_atoms()->DOWN) &&
      beam_equal(beam_tuple_get(msg, 1), t->ref))
    return GOT_DOWN;
  return 0;
}

/* Wait for the reply or the DOWN: GOT_REPLY with the value, GOT_DOWN with
** the reason, or BEAM_ETIMEDOUT. A reply removes the monitor (and a DOWN
** queued after it); either ends the alias. */
static int wait_task(beam_task_t *t, int64_t timeout_ms, beam_term_t *out) {
  beam_term_t msg;
  int got = beam_receive_fn(timeout_ms, match_task, t, &msg);
  if (got == GOT_REPLY) {
    beam_demonitor(t->ref, BEAM_DEMONITOR_FLUSH);
    beam_unalias(t->alias);
    *out = beam_tuple_get(msg, 1);
  } else if (got == GOT_DOWN) {
    beam_unalias(t->alias);
    *out = beam_tuple_get(msg, 4);
  }
  return got;
}

/* Stop waiting for good: no DOWN, no late reply (T3, T4). */
static void forget(beam_task_t *t) {
  beam_demonitor(t->ref, BEAM_DEMONITOR_FLUSH);
  beam_unalias(t->alias);
}

static beam_term_t task_struct(const beam_task_t *t) {
  beam_term_t m = beam_map_new();
  m = beam_map_put(m, beam_atom("__struct__"), beam_atom("Elixir.Task"));
  m = beam_map_put(m, beam_atom("pid"), t->pid);
  m = beam_map_put(m, beam_atom("ref"), t->ref);
  return beam_map_put(m, beam_atom("owner"), t->owner);
}

static beam_term_t timeout_term(int64_t ms) {
  return ms == BEAM_INFINITY ? beam_atom("infinity") : beam_int(ms);
}

/* {Reason, {'Elixir.Task', Fun, [Arg, Timeout]}}, Elixir's exit reason. */
static _Noreturn void exit_with(beam_term_t reason, const char *fun,
                                beam_term_t arg, int64_t timeout_ms) {
  beam_exit(beam_tuple(
      2, reason,
      beam_tuple(3, beam_atom("Elixir.Task"), beam_atom(fun),
                 beam_list(2, arg, timeout_term(timeout_ms)))));
}

int beam_task_await_result(beam_task_t *task, int64_t timeout_ms,
                           beam_term_t *value) {
  if (!owned(task))
    return BEAM_ENOTOWNER;
  beam_term_t v = beam_nil();
  int got = wait_task(task, timeout_ms, &v);
  if (got == BEAM_ETIMEDOUT)
    forget(task);
  if (value)
    *value = v;
  return got == GOT_REPLY  ? 0
         : got == GOT_DOWN ? BEAM_EEXITED
                           : got; /* BEAM_ETIMEDOUT, BEAM_EINVAL */
}

beam_term_t beam_task_await(beam_task_t *task, int64_t timeout_ms) {
  beam_term_t v;
  int rc = beam_task_await_result(task, timeout_ms, &v);
  if (rc == 0)
    return v;
  if (rc == BEAM_ENOTOWNER || rc == BEAM_EINVAL)
    return beam_error_term(rc);
  exit_with(rc == BEAM_EEXITED ? v : beam_atom("timeout"), "await",
            task_struct(task), timeout_ms);
}

beam_term_t beam_task_yield(beam_task_t *task, int64_t timeout_ms) {
  if (!owned(task))
    return beam_error_term(BEAM_ENOTOWNER);
  beam_term_t v = beam_nil();
  int got = wait_task(task, timeout_ms, &v);
  if (got == GOT_REPLY)
    return beam_tuple(2, beam_atom("ok"), v);
  if (got == GOT_DOWN)
    return beam_tuple(2, beam_atom("exit"), v);
  return got == BEAM_ETIMEDOUT ? beam_atom("nil") : beam_error_term(got);
}

/* A reply already queued: {ok, V}, else nil (Elixir's flush_reply). */
static beam_term_t queued_reply(beam_task_t *t) {
  beam_term_t msg;
  if (beam_receive_fn(0, match_task, t, &msg) == GOT_REPLY)
    return beam_tuple(2, beam_atom("ok"), beam_tuple_get(msg, 1));
  return beam_atom("nil");
}

static int match_down(beam_term_t msg, void *ctx) {
  return match_task(msg, ctx) == GOT_DOWN ? GOT_DOWN : 0;
}

/* Wait for the DOWN of a task being shut down, then say what it came to:
** its reply if it had sent one (per pair, before its DOWN), nil if it
** ended with 'quiet' (stopped by us), else {exit, Reason}. */
static beam_term_t shutdown_wait(beam_task_t *t, int64_t timeout_ms,
                                 const char *quiet, bool *timed_out) {
  beam_term_t msg;
  int got = beam_receive_fn(timeout_ms, match_down, t, &msg);
  *timed_out = got == BEAM_ETIMEDOUT;
  if (got != GOT_DOWN)
    return beam_atom("nil");
  beam_term_t reason = beam_tuple_get(msg, 4);
  beam_term_t r = queued_reply(t);
  if (!beam_is(r, "nil") || beam_is(reason, quiet))
    return r;
  return beam_tuple(2, beam_atom("exit"), reason);
}

beam_term_t beam_task_shutdown(beam_task_t *task, int64_t timeout_ms) {
  if (!owned(task))
    return beam_error_term(BEAM_ENOTOWNER);
  if (timeout_ms < BEAM_BRUTAL_KILL)
    return beam_error_term(BEAM_EINVAL);
  bool brutal = timeout_ms == BEAM_BRUTAL_KILL, timed_out;
  beam_unlink(task->pid);
  beam_exit_signal(task->pid, beam_atom(brutal ? "kill" : "shutdown"));
  beam_term_t r =
      shutdown_wait(task, brutal ? BEAM_INFINITY : timeout_ms,
                    brutal ? "killed" : "shutdown", &timed_out);
  if (timed_out) { /* T9: then kill; Elixir 1.14 says {exit, killed} */
    beam_exit_signal(task->pid, beam_atom("kill"));
    r = shutdown_wait(task, BEAM_INFINITY, "shutdown", &timed_out);
  }
  beam_unalias(task->alias);
  return r;
}

/* ---- Many tasks ---- */

typedef struct many {
  beam_task_t *tasks;
  size_t n;
  unsigned char *done;
} many_t;

/* 2 * index + (1 for a reply, 2 for a DOWN) of the task 'msg' is about. */
static int match_many(beam_term_t msg, void *ctx) {
  many_t *m = ctx;
  for (size_t i = 0; i < m->n; i++) {
    int got = m->done[i] ? 0 : match_task(msg, &m->tasks[i]);
    if (got)
      return (int) (2 * i) + got;
  }
  return 0;
}

/* Wait until each task has replied or ended, or the one deadline passes;
** results[i] is {ok, V}, {exit, R} or nil. Returns the index of the
** first task that ended without replying when 'stop_on_down', else -1. */
static long wait_many(many_t *m, int64_t timeout_ms, beam_term_t *results,
                      bool stop_on_down) {
  int64_t deadline = timeout_ms == BEAM_INFINITY
                         ? 0
                         : beam_monotonic_ms() + timeout_ms;
  size_t left = 0;
  for (size_t i = 0; i < m->n; i++) {
    results[i] = beam_atom("nil");
    left += !m->done[i];
  }
  while (left > 0) {
    int64_t wait = BEAM_INFINITY;
    if (timeout_ms != BEAM_INFINITY) {
      wait = deadline - beam_monotonic_ms();
      wait = wait < 0 ? 0 : wait;
    }
    beam_term_t msg;
    int got = beam_receive_fn(wait, match_many, m, &msg);
    if (got <= 0)
      break; /* the deadline */
    size_t i = (size_t) (got - 1) / 2;
    beam_task_t *t = &m->tasks[i];
    m->done[i] = 1;
    left--;
    beam_unalias(t->alias);
    if ((got - 1) % 2 == 0) {
      beam_demonitor(t->ref, BEAM_DEMONITOR_FLUSH);
      results[i] = beam_tuple(2, beam_atom("ok"), beam_tuple_get(msg, 1));
    } else {
      results[i] = beam_tuple(2, beam_atom("exit"), beam_tuple_get(msg, 4));
      if (stop_on_down)
        return (long) i;
    }
  }
  return -1;
}

static beam_term_t list_of(const beam_term_t *v, size_t n, bool values) {
  beam_term_t l = beam_nil();
  for (size_t i = n; i-- > 0;)
    l = beam_cons(values ? beam_tuple_get(v[i], 1) : v[i], l);
  return l;
}

static beam_term_t task_list(const beam_task_t *tasks, size_t n) {
  beam_term_t l = beam_nil();
  for (size_t i = n; i-- > 0;)
    l = beam_cons(task_struct(&tasks[i]), l);
  return l;
}

/* Checks shared by the many-task calls; 0 or an error code. */
static int many_init(many_t *m, beam_task_t *tasks, size_t n,
                     beam_term_t **results) {
  if (tasks == NULL && n > 0)
    return BEAM_EINVAL;
  for (size_t i = 0; i < n; i++)
    if (!owned(&tasks[i]))
      return BEAM_ENOTOWNER;
  m->tasks = tasks;
  m->n = n;
  m->done = calloc(n ? n : 1, 1);
  *results = malloc((n ? n : 1) * sizeof **results);
  if (!m->done || !*results) {
    free(m->done);
    free(*results);
    return BEAM_ENOMEM;
  }
  return 0;
}

static void many_fini(many_t *m, beam_term_t *results) {
  free(m->done);
  free(results);
}

beam_term_t beam_task_await_many(beam_task_t *tasks, size_t n,
                                 int64_t timeout_ms) {
  many_t m;
  beam_term_t *results;
  int rc = many_init(&m, tasks, n, &results);
  if (rc != 0)
    return beam_error_term(rc);
  long down = wait_many(&m, timeout_ms, results, true);
  bool all = true;
  for (size_t i = 0; i < n; i++)
    all = all && m.done[i];
  if (down < 0 && all) {
    beam_term_t l = list_of(results, n, true);
    many_fini(&m, results);
    return l;
  }
  /* T12: a task ended, or the deadline passed: stop waiting for all. */
  for (size_t i = 0; i < n; i++)
    if (!m.done[i])
      forget(&tasks[i]);
  beam_term_t reason = down >= 0 ? beam_tuple_get(results[down], 1)
                                 : beam_atom("timeout");
  many_fini(&m, results);
  exit_with(reason, "await_many", task_list(tasks, n), timeout_ms);
}

beam_term_t beam_task_yield_many(beam_task_t *tasks, size_t n,
                                 int64_t timeout_ms) {
  many_t m;
  beam_term_t *results;
  int rc = many_init(&m, tasks, n, &results);
  if (rc != 0)
    return beam_error_term(rc);
  wait_many(&m, timeout_ms, results, false);
  beam_term_t l = list_of(results, n, false);
  many_fini(&m, results);
  return l;
}
