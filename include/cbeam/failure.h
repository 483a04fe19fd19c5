/* SPDX-License-Identifier: MIT */
/*
** cbeam/failure.h: links, monitors, exit signals, trap_exit, the name
** registry, exit hooks, crash reports and process_info, with Erlang's
** semantics (docs/failure.md maps every rule of docs/semantics.md, cited
** here by id, to a call).
**
** Everything between two processes travels as a *signal* through the
** receiver's mailbox, so per pair everything keeps its order: a message
** sent before an exit arrives before the EXIT or DOWN (O1, O4, O6). A
** process acts on signals when it is in the runtime: in receive, sleep,
** yield, send and spawn. A process in a long C loop that makes no runtime
** call is killed only when it next makes one (see "Keeping the system
** responsive" in the README).
**
** Where Erlang "raises" (link to a dead pid, register a taken name), the C
** call returns a negative code and the process goes on; these calls are
** marked BEAM_CHECK so the compiler warns when the code is ignored.
*/
#ifndef CBEAM_FAILURE_H
#define CBEAM_FAILURE_H

#include "process.h"

#ifndef BEAM_CHECK
#define BEAM_CHECK __attribute__((warn_unused_result))
#endif

/* ---- Links ---- */

/* [proc, allocs, yields] Link this process and 'pid' (L1-L6): 0; linking
** again or to oneself is a no-op. A dead or unknown pid: BEAM_ENOPROC
** when not trapping exits (nothing else happens), or 0 and the message
** {'EXIT', Pid, noproc} when trapping. BEAM_EINVAL if 'pid' is not a pid
** (names are not accepted, as in Erlang). */
BEAM_API BEAM_CHECK int beam_link(beam_pid_t pid);
/* [proc, allocs] Remove the link, if any (L7-L9): 0. Once it returns, no
** exit signal from that link has any effect; an EXIT message already
** queued stays. BEAM_EINVAL if 'pid' is not a pid. */
BEAM_API int beam_unlink(beam_pid_t pid);
/* [proc, allocs, yields] spawn + link as one step: the link exists before the
** child runs (P5). */
BEAM_API int beam_spawn_link(beam_fn_t fn, beam_term_t arg, beam_pid_t *pid);
/* [proc, allocs, yields] spawn + monitor as one step (P6): '*ref' is the
** monitor. */
BEAM_API int beam_spawn_monitor(beam_fn_t fn, beam_term_t arg,
                                beam_pid_t *pid, beam_term_t *ref);

/* ---- Exit signals ---- */

/* [proc, allocs] Send an exit signal with 'reason' to 'pid' (X1-X12,
** table §5). To another process: 0 (also when it is dead). 'kill' cannot
** be trapped and ends it with reason 'killed'; 'normal' is ignored unless it
** traps exits; any other reason ends a non-trapping process with that
** reason; a trapping one gets {'EXIT', Self, Reason}.
** To oneself: with 'kill', or when not trapping and any reason (even
** 'normal'), the caller ends before the call returns; when trapping, 0
** and {'EXIT', Self, Reason} is already in the mailbox.
** BEAM_EINVAL if 'pid' is not a pid, or the code of an error term. */
BEAM_API int beam_exit_signal(beam_pid_t pid, beam_term_t reason);
/* [proc, nofail] Set trap_exit; returns the previous value (0 or 1) (X2,
** X13). */
BEAM_API int beam_trap_exit(int on);

/* ---- Monitors ---- */

/* [proc, allocs] Monitor a pid, a registered name or {Name, nonode@nohost}
** (N1-N8). Returns the monitor ref; exactly one
** {'DOWN', Ref, process, Object, Reason} follows the target's end: Object
** is the pid, or {Name, Node} for a name. A dead pid or an unregistered
** name gives a DOWN with reason 'noproc' at once. Monitoring oneself
** returns a ref and does nothing. An error term BEAM_EINVAL for anything
** else (another node: no distribution yet). */
BEAM_API beam_term_t beam_monitor(beam_term_t target);

enum beam_demonitor_opts {
  BEAM_DEMONITOR_FLUSH = 1u << 0, /* also remove a queued DOWN (N10) */
  BEAM_DEMONITOR_INFO = 1u << 1,  /* return whether it was active (N11) */
};
/* [proc, allocs] Stop a monitor (N9-N15). Without INFO returns 1; with
** INFO, 1 if the monitor was active and is now removed, 0 if not found
** (fired, or not ours). After it returns, no DOWN for 'ref' is ever added.
** BEAM_EINVAL if 'ref' is not a ref. */
BEAM_API int beam_demonitor(beam_term_t ref, unsigned opts);

/* ---- Registry (R1-R11) ---- */

/* [proc, allocs] Register 'name' for 'pid': 0, or BEAM_EBADARG: name taken
** (even by 'pid'), 'pid' already named, 'pid' dead, name 'undefined' or
** not an atom; BEAM_ENOMEM. */
BEAM_API BEAM_CHECK int beam_register(beam_term_t name, beam_pid_t pid);
/* [proc] Unregister 'name': 0, or BEAM_EBADARG if the name is not
** registered. Any process may unregister any name. */
BEAM_API BEAM_CHECK int beam_unregister(beam_term_t name);
/* [any, nofail] The pid registered as 'name', or the atom 'undefined' (also
** for a name that is not an atom). */
BEAM_API beam_term_t beam_whereis(beam_term_t name);
/* [any, allocs] The list of registered names (an error term BEAM_ENOMEM
** when there is no memory for it). */
BEAM_API beam_term_t beam_registered(void);
/* beam_send() also takes a registered name (BEAM_EBADARG if it is not
** registered, M3) or {Name, Node} for this node (dropped silently when
** not registered, M4). */

/* ---- Exit hooks ---- */

/* Runs when the process ends, whatever the reason (return, beam_exit,
** exit signal, kill, a fault in its code), last registered first, in the
** process, before links and monitors are told. For C resources the
** process owns: file descriptors, malloc'd memory, locks. */
typedef void (*beam_exit_hook_t)(void *ctx, beam_term_t reason);
/* [proc, allocs] Add an exit hook: 0, BEAM_EINVAL for a NULL fn, or
** BEAM_ENOMEM. */
BEAM_API int beam_on_exit(beam_exit_hook_t fn, void *ctx);
/* [proc] Remove the newest hook with this fn and ctx: 0 or BEAM_ENOENT. */
BEAM_API int beam_on_exit_remove(beam_exit_hook_t fn, void *ctx);
/* [proc, nofail] In an exit hook: 1 if another process's exit signal
** (kill included) is ending this one, 0 if it ended itself (returned,
** beam_exit, a fault). 0 outside a process. */
BEAM_API int beam_exit_by_signal(void);

/* ---- Crash reports ---- */

typedef struct beam_crash {
  beam_pid_t pid;
  beam_term_t name;             /* registered name, or [] */
  beam_term_t reason;
  const char *initial_function; /* symbol of the spawned function, or "?" */
  const char *text;             /* the whole report, one paragraph */
} beam_crash_t;
/* Called in the dying process for an abnormal end (a reason other than
** normal, shutdown, {shutdown, _}) that the process caused itself
** (beam_exit, a fault), when nothing links to or monitors it: nobody else
** would hear of it. Not for deaths by an exit signal. */
typedef void (*beam_crash_reporter_t)(void *ctx, const beam_crash_t *crash);
/* [any, nofail] Replace the reporter; NULL silences reports. The default
** prints 'text' to stderr. */
BEAM_API void beam_set_crash_reporter(beam_crash_reporter_t fn, void *ctx);
/* [proc] Send the reporter a report for the calling process ending with
** 'reason' (it does not end it), with 'extra' lines (may be NULL) after
** the first: how a behaviour reports what it knows of a crash (the OTP
** layer's GenServer: its last message and state). 0, BEAM_ENOTPROC, or
** BEAM_EBADTERM. */
BEAM_API int beam_report_crash(beam_term_t reason, const char *extra);

/* ---- Aliases (erlang:alias/0) ----
** An alias is a reference that, while active, lets messages sent to it
** reach the process that made it; once deactivated, messages sent to it,
** even those already on their way, are dropped unseen. A reply to a
** request that was given up on can therefore never turn up later. cbeam's
** references do not carry their process, so a send names both. */

/* [proc, allocs] A new reference, an active alias of the caller. */
BEAM_API beam_term_t beam_alias(void);
/* [proc] Deactivate: 1 if 'alias' was an active alias of the caller, 0 if
** not; BEAM_EBADARG for a term that is not a reference. */
BEAM_API int beam_unalias(beam_term_t alias);
/* [proc, allocs, yields] Send a copy of 'msg' to the alias 'alias' of
** 'owner' (Alias ! Msg): it arrives as 'msg' if the alias is still active
** when 'owner' takes it in, else it is dropped. Per sender, in order with
** its other messages. 0 (also for a dead owner or an inactive alias),
** BEAM_EBADARG (not a pid, not a reference), BEAM_ENOMEM, or the code of
** an error term 'msg'. */
BEAM_API int beam_send_alias(beam_pid_t owner, beam_term_t alias,
                             beam_term_t msg);

/* ---- process_info (I1-I5) ---- */

typedef struct beam_process_info {
  beam_term_t status;          /* running, runnable, waiting */
  int64_t message_queue_len;
  beam_term_t messages;        /* copies, oldest first */
  size_t stack_bytes;          /* in use */
  size_t heap_bytes;           /* terms and adopted messages */
  size_t mailbox_bytes;        /* queued messages */
  uint64_t reductions;         /* spent so far (process.h: beam_consume) */
  beam_term_t links;           /* list of pids */
  beam_term_t monitors;        /* list of {process, Pid | {Name, Node}} */
  beam_term_t monitored_by;    /* list of pids */
  beam_term_t registered_name; /* an atom, or [] (R11) */
  int trap_exit;
  const char *initial_function;
  size_t heap_live_bytes;      /* kept by its last collection (beam_gc) */
  uint64_t minor_gcs, major_gcs; /* collections it has done */
} beam_process_info_t;
/* [proc, allocs, yields] Ask 'pid' (a signal, answered when it is next in
** the runtime: a busy process answers late) and fill '*info'; term fields
** live in the caller's heap. For the caller itself, at once. 0,
** BEAM_ENOPROC for a dead process, BEAM_EINVAL for a non-pid. */
BEAM_API int beam_process_info(beam_pid_t pid, beam_process_info_t *info);

#endif
