/* SPDX-License-Identifier: MIT */
/*
** otp/task_supervisor.c: Elixir's Task.Supervisor: a DynamicSupervisor
** (supervisor.c) whose children are temporary tasks (SEMANTICS T23-T25).
**
** The supervisor spawns each task and is linked to it, so stopping the
** supervisor stops its tasks, and a crashed task takes nobody else along
** unless it was asked to: async links the task to its owner (the task
** links itself first thing), async_nolink does not. Either way the owner
** monitors the task and gets its reply at an alias, as with Task.async,
** so beam_task_await, yield and shutdown work on the result unchanged.
** The owner makes the alias before asking for the child and monitors it
** after; the task waits for the owner's go before it runs, so that its
** end, however early, is a DOWN with its reason and never noproc (as
** Elixir's Task.Supervised waits for its owner's message).
*/
#include "atoms.h"
#include "fnterm.h"
#include "task.h"

#include <stdbool.h>

/* A child's start, in the supervisor: {Fn, Owner, Alias, Arg, Mode}. */
static beam_term_t start_task(beam_term_t a) {
  beam_pid_t pid;
  beam_task_fn_t fn = (beam_task_fn_t) beam__otp_term_fn(beam_tuple_get(a, 0));
  int64_t mode = BEAM__TASK_PLAIN;
  beam_get_int(beam_tuple_get(a, 4), &mode);
  int rc = beam__task_spawn(fn, beam_tuple_get(a, 3), beam_tuple_get(a, 1),
                            beam_tuple_get(a, 2), (int) mode, BEAM_SPAWN_LINK,
                            NULL, &pid);
  if (rc != 0)
    return beam_tuple(2, beam__otp_atoms()->error, beam_error_term(rc));
  return beam_tuple(2, beam__otp_atoms()->ok, pid);
}

/* Ask 'sup' for a task: 0 with '*pid'; BEAM_EAGAIN at max_children;
** BEAM_ESYSLIMIT if it could not be started. */
static int start_child(beam_term_t sup, beam_task_fn_t fn, beam_term_t arg,
                       beam_term_t alias, int mode, beam_pid_t *pid) {
  if (fn == NULL)
    return BEAM_EINVAL;
  beam_child_spec_t spec = {
      .id = beam_atom("undefined"),
      .start = start_task,
      .arg = beam_tuple(5, beam__otp_fn_term((beam__otp_fn_t) fn), beam_self(),
                        alias, arg, beam_int(mode)),
      .restart = BEAM_TEMPORARY};
  beam_term_t r = beam_dynamic_supervisor_start_child(sup, &spec), p, why;
  if (beam_match(r, "{ok, P}", &p) == 1) {
    *pid = p;
    return 0;
  }
  if (beam_is_error(r))
    return beam_term_error(r);
  if (beam_match(r, "{error, R}", &why) == 1 && beam_is(why, "max_children"))
    return BEAM_EAGAIN;
  return BEAM_ESYSLIMIT;
}

static int async(beam_term_t sup, beam_task_fn_t fn, beam_term_t arg,
                 bool link, beam_task_t *task) {
  if (task == NULL || fn == NULL)
    return BEAM_EINVAL;
  beam_term_t alias = beam_alias();
  if (beam_is_error(alias))
    return beam_term_error(alias);
  beam_pid_t pid;
  int rc = start_child(sup, fn, arg, alias,
                       link ? BEAM__TASK_LINK_AWAIT_GO : BEAM__TASK_AWAIT_GO,
                       &pid);
  if (rc != 0) {
    beam_unalias(alias);
    return rc;
  }
  task->pid = pid;
  task->ref = beam_monitor(pid);
  beam__task_go(pid);
  task->alias = alias;
  task->owner = beam_self();
  return 0;
}

beam_term_t beam_task_supervisor_start_link(
    const beam_supervisor_opts_t *opts) {
  return beam_dynamic_supervisor_start_link(opts);
}

int beam_task_supervisor_async(beam_term_t sup, beam_task_fn_t fn,
                               beam_term_t arg, beam_task_t *task) {
  return async(sup, fn, arg, true, task);
}

int beam_task_supervisor_async_nolink(beam_term_t sup, beam_task_fn_t fn,
                                      beam_term_t arg, beam_task_t *task) {
  return async(sup, fn, arg, false, task);
}

int beam_task_supervisor_start_child(beam_term_t sup, beam_task_fn_t fn,
                                     beam_term_t arg, beam_pid_t *pid) {
  beam_pid_t p;
  int rc = start_child(sup, fn, arg, beam_nil(), BEAM__TASK_PLAIN, &p);
  if (rc == 0 && pid)
    *pid = p;
  return rc;
}

beam_term_t beam_task_supervisor_children(beam_term_t sup) {
  beam_term_t out = beam_nil();
  for (beam_term_t l = beam_supervisor_which_children(sup); beam_is_list(l) &&
       !beam_equal(l, beam_nil()); l = beam_tl(l)) {
    beam_term_t pid = beam_tuple_get(beam_hd(l), 1);
    if (beam_is_pid(pid))
      out = beam_cons(pid, out);
  }
  return out;
}
