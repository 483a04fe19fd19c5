/* SPDX-License-Identifier: MIT */
/*
** cbeam/otp.h: OTP's behaviours in C, built on the rest of the public API
** (src/otp/; docs/otp.md pairs each call with the Elixir it mirrors).
**
** Task: a process that runs one function and replies to its owner, the
** process that started it (SEMANTICS T1-T14).
*/
#ifndef CBEAM_OTP_H
#define CBEAM_OTP_H

/* A task's function: its return value is the task's result. */
typedef beam_term_t (*beam_task_fn_t)(beam_term_t arg);

/* A task, as Task.async returns it. Only 'owner' may wait for it. */
typedef struct beam_task {
  beam_pid_t pid;
  beam_term_t ref;   /* its monitor: a 'DOWN' for it carries this */
  beam_term_t alias; /* its reply {Alias, Value} is sent to this alias */
  beam_pid_t owner;
} beam_task_t;

/* beam_task_shutdown's timeout meaning :brutal_kill. */
#define BEAM_BRUTAL_KILL (-2)

/* [proc, allocs, yields] Task.async(fn): run fn(copy of arg) in a new
** process linked to the caller and monitored by it (T1). 0, BEAM_EINVAL
** (NULL fn or task), or an error of beam_spawn. */
BEAM_API int beam_task_async(beam_task_fn_t fn, beam_term_t arg,
                             beam_task_t *task);
/* [proc, allocs, yields] Task.await(task, timeout): the task's result
** (T2), 'timeout_ms' >= 0 or BEAM_INFINITY. As in Elixir, the caller
** exits if no result comes in time ({timeout, {'Elixir.Task', await,
** [Task, Timeout]}}; the task keeps running and a late result is dropped,
** T3, T4) or if the task ends without one ({Reason, {...}}, T5, T6).
** Not the owner: the error term of BEAM_ENOTOWNER; a bad timeout:
** BEAM_EINVAL's. */
BEAM_API beam_term_t beam_task_await(beam_task_t *task, int64_t timeout_ms);
/* [proc, allocs, yields] The same, returning a code instead of exiting:
** 0 with '*value' the result; BEAM_ETIMEDOUT (as await's timeout, but the
** caller goes on); BEAM_EEXITED with '*value' the task's exit reason (a
** crash still reaches a non-trapping caller through the link);
** BEAM_ENOTOWNER; BEAM_EINVAL. 'value' may be NULL. */
BEAM_API int beam_task_await_result(beam_task_t *task, int64_t timeout_ms,
                                    beam_term_t *value);
/* [proc, allocs, yields] Task.yield: {ok, V}, {exit, Reason} if the task
** ended without a result, or the atom nil on timeout; then the task and
** its monitor stay, so a later yield or await can still get it (T8). */
BEAM_API beam_term_t beam_task_yield(beam_task_t *task, int64_t timeout_ms);
/* [proc, allocs, yields] Task.shutdown(task, timeout): unlink, send it
** 'shutdown', wait 'timeout_ms' for it to end, then kill it;
** BEAM_BRUTAL_KILL kills at once. {ok, V} if its result came first, nil
** if the shutdown stopped it, {exit, Reason} if it had ended otherwise
** (T9, Elixir 1.14's {exit, killed} for a task that had to be killed). */
BEAM_API beam_term_t beam_task_shutdown(beam_task_t *task,
                                        int64_t timeout_ms);
/* [proc, allocs, yields] Task.await_many: the results in input order, a
** list; one timeout for all. The caller exits as await does, with
** 'await_many' and the list of tasks in the reason (T12). */
BEAM_API beam_term_t beam_task_await_many(beam_task_t *tasks, size_t n,
                                          int64_t timeout_ms);
/* [proc, allocs, yields] Task.yield_many: a list with, per task in input
** order, {ok, V}, {exit, Reason} or nil (T13). */
BEAM_API beam_term_t beam_task_yield_many(beam_task_t *tasks, size_t n,
                                          int64_t timeout_ms);
/* [proc, allocs, yields] Task.start / Task.start_link: run fn(copy of
** arg) in a new process, unlinked or linked, with no result (T11). */
BEAM_API int beam_task_start(beam_task_fn_t fn, beam_term_t arg,
                             beam_pid_t *pid);
BEAM_API int beam_task_start_link(beam_task_fn_t fn, beam_term_t arg,
                                  beam_pid_t *pid);

#endif
