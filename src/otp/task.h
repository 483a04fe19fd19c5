/* SPDX-License-Identifier: MIT */
/*
** otp/task.h: what task.c lends the rest of the layer: a task process
** started on behalf of an owner other than the caller, as a
** Task.Supervisor's children are (task_supervisor.c): the supervisor
** spawns and links it, the owner gets its reply and its DOWN.
*/
#ifndef BEAM_OTP_TASK_H
#define BEAM_OTP_TASK_H

#include <cbeam.h>
#include <stdbool.h>

/* How a task starts: at once; or after the owner's beam__task_go (it
** monitors the task first, so even an early end reaches it with its
** reason); or links itself to the owner, then waits for the go. */
enum { BEAM__TASK_PLAIN, BEAM__TASK_AWAIT_GO, BEAM__TASK_LINK_AWAIT_GO };

/* Spawn a task running fn(arg) that replies {Alias, Value} to 'owner'
** ('alias' [] for none), starting by 'mode'. 'flags' and 'ref' as
** beam_spawn_opt's. */
int beam__task_spawn(beam_task_fn_t fn, beam_term_t arg, beam_pid_t owner,
                     beam_term_t alias, int mode, unsigned flags,
                     beam_term_t *ref, beam_pid_t *pid);
/* The owner's word to a waiting task: it is watched, it may run. */
void beam__task_go(beam_pid_t task);

#endif
