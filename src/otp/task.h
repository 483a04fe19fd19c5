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

/* Spawn a task running fn(arg) that replies {Alias, Value} to 'owner'
** ('alias' [] for none) and, with 'link_owner', first links itself to
** 'owner'. 'flags' and 'ref' as beam_spawn_opt's. */
int beam__task_spawn(beam_task_fn_t fn, beam_term_t arg, beam_pid_t owner,
                     beam_term_t alias, bool link_owner, unsigned flags,
                     beam_term_t *ref, beam_pid_t *pid);

#endif
