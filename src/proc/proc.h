/* SPDX-License-Identifier: MIT */
/*
** proc/proc.h: the process descriptor and the process-side primitives.
**
** Where a process lives: its descriptor (512 bytes, eight to a page) is in
** a dense area at the start of its stack slot's region (stack.c), apart
** from the stack, so that a process that waits for long can give its stack
** page back while senders still find its mailbox (idle.c).
**
** States ('state', atomic) and who may change them:
**   RUNNING   set by the scheduler that runs it.
**   WAITING   blocked in receive: a sender or its timer may wake it.
**   SLEEPING  blocked in sleep: only its timer may wake it.
**   RUNNABLE  on exactly one run queue.
**   EXITING   finished; its pid no longer resolves.
**   FREEZING  was WAITING/SLEEPING; a scheduler is saving its stack
**             (idle.c) and then publishes the wait again.
** WAITING/SLEEPING -> RUNNABLE is a CAS, so of the sender and the timer that
** race to wake a process exactly one enqueues it.
**
** The descriptor is freed (its slot recycled) only after a grace period
** (qsbr.c): a sender that looked the pid up just before the exit may still
** push into the mailbox, and messages it leaves are freed at reclamation.
**
** Fields are grouped by who touches them.
*/
#ifndef BEAM_PROC_PROC_H
#define BEAM_PROC_PROC_H

#include "../mailbox/mailbox.h"
#include "../timer/wheel.h"
#include "ctx.h"

/* A scheduler (sched/sched.h assembles it); slice headers name it by this. */
typedef struct beam__sched beam__sched_t;

enum beam__pstate {
  BEAM__P_RUNNING = 0,
  BEAM__P_RUNNABLE,
  BEAM__P_WAITING,
  BEAM__P_SLEEPING,
  BEAM__P_EXITING,
  BEAM__P_DIRTY, /* in beam_dirty_*: a pool thread readies it (dirty.c) */
  BEAM__P_FREEZING, /* a scheduler saves its stack; then WAITING/SLEEPING
                       again (idle.c) */
};

/* Why a process switched back to its scheduler. */
enum beam__yield {
  BEAM__Y_YIELD = 1, /* still runnable: back of the queue */
  BEAM__Y_WAIT,      /* receive: block until a message or the deadline */
  BEAM__Y_SLEEP,     /* sleep: block until the deadline */
  BEAM__Y_EXIT,      /* done */
  BEAM__Y_DIRTY,     /* hand 'dirty_job' to a dirty pool (dirty.c) */
  BEAM__Y_HIBERNATE, /* beam_hibernate: wait, then restart in 'fn' */
};

/* Timer nodes: a process's own timeout, or a send_after (timers.c). */
enum beam__tnode_kind { BEAM__TN_PROC = 1, BEAM__TN_SENDAFTER = 2 };
typedef struct beam__tnode {
  beam__timer_t t;
  uint32_t kind;
} beam__tnode_t;

/* Low bits of a ref id: 0 for beam_make_ref, 1 + scheduler index for a
** send_after timer ref (so cancel_timer finds the wheel that holds it). */
#define BEAM__REF_SCHED_BITS 10

/* Internal flags ('pflags'). */
enum beam__pflags {
  BEAM__PF_CANARY = 1u << 0, /* slot has no guard page: check the canary */
  BEAM__PF_AWAY = 1u << 1,   /* stack not in place: saved or discarded;
                                run() calls beam__idle_thaw (idle.c) */
  BEAM__PF_HIBERNATED = 1u << 2, /* in beam_hibernate until a message */
};

typedef struct beam__proc {
  /* ---- The scheduler running it, or the process itself ---- */
  beam__ctx_t ctx;
  struct beam__sched *sched; /* scheduler now running it (or last) */
  struct beam__sched *home;  /* pinned processes: their scheduler */
  struct beam__proc *link;   /* global run queue / retire list */
  /* The queue's owner part, then 'head', which every sender writes: it
  ** starts a line of its own, shared only with fields that are cold (the
  ** layout is checked in stack.c; the descriptor is line-aligned). */
  beam__mailbox_t mbox;
  uint64_t retire_epoch;             /* qsbr.c */
  beam__msg_t *exit_reason;          /* the reason, once exiting (a block) */
  struct beam__dirty_job *dirty_job; /* a dirty call in progress (dirty.c) */
  uintptr_t fault_addr; /* a fault in its code (fault.c): si_addr */
  uintptr_t fault_pc;   /* faulting instruction (abort: its caller) */

  /* ---- What senders read: state, pid, signal flags (a line) ---- */
  alignas(BEAM_CACHELINE) _Atomic uint32_t state; /* enum beam__pstate */
  uint32_t flags;            /* BEAM_SPAWN_* (immutable after spawn) */
  beam_pid_t pid;            /* immutable */
  _Atomic uint32_t doomed;   /* exit signals in flight that will end it */
  _Atomic uint32_t doubtful; /* ... that end it unless it traps exits */
  _Atomic bool sig_pending;  /* a signal other than a message was pushed */
  _Atomic bool trap_exit;    /* written by the process, read by senders */
  _Atomic bool reg_dead;     /* ending: may not take a name (registry.c) */
  _Atomic bool idle_listed;  /* on a scheduler's idle list (idle.c) */
  _Atomic uint32_t wait_epoch; /* idle epoch of its last wait (idle.c) */
  _Atomic uint64_t reg_name; /* raw atom, 0 = none (registry.c) */
  /* Rarely written: */
  uint32_t stack_class;      /* stack.c size class */
  uint32_t pflags;           /* BEAM__PF_* */
  uint8_t prio;              /* beam_priority_t (prio.c) */
  uint8_t exiting;           /* 0, or the phase of its exit (signal.c) */
  uint8_t killed_by_signal;  /* its end came from another process */
  uint8_t dirty_kind;        /* BEAM__DIRTY_CPU or BEAM__DIRTY_IO */
  uint8_t fault_sig;         /* 0, or the signal that ends it (fault.c) */
  uint8_t fault_overflow;    /* the fault was in its stack guard */
  _Atomic uint8_t hib_release; /* HIB_* of its hibernated stack (idle.c) */
  struct beam__idle_stack *frozen; /* its stack while given back (idle.c) */

  /* ---- The process itself (a line apart from what senders read) ---- */
  alignas(BEAM_CACHELINE) uint32_t yield_reason; /* enum beam__yield */
  uint8_t in_receive;        /* for process_info's status */
  uint8_t in_match;          /* a beam_receive_fn callback is running: no
                                receive or mailbox removal (receive.c) */
  beam__heap_t heap;
  beam_fn_t fn;
  beam__msg_t *arg; /* the spawn argument until the process adopts it */
  beam_term_t arg_term;          /* ... or the argument if immediate */
  int64_t deadline_ms;           /* of the current wait; -1 = none */
  beam__tnode_t timer;           /* receive/sleep timeout */
  struct beam__sched *timer_sched; /* wheel that holds 'timer', or NULL */
  uint64_t ref_mark_id;          /* newest ref made since the last receive */
  beam__link_t *ref_mark_pos;    /* inner-queue position when it was made */
  struct beam__psig *sig;    /* links, monitors, hooks; made on first use */
  uint64_t switches;         /* times scheduled in */
  uint64_t reductions;       /* spent in finished slices (sched.c, run) */
  size_t heap_counted;       /* heap bytes beam_memory knows of (memory.c) */
} beam__proc_t;

/* Signal kinds ('beam__msg_t.kind'; 0 is an ordinary message). */
enum beam__sig_kind {
  BEAM__SIG_MSG = 0,
  BEAM__SIG_EXIT,        /* exit signal: term {'EXIT', From, Reason} */
  BEAM__SIG_EXIT_LINKED, /* from a linked process's end: same term */
  BEAM__SIG_LINK,
  BEAM__SIG_UNLINK,      /* aux: the unlink id */
  BEAM__SIG_UNLINK_ACK,  /* aux: the unlink id it answers */
  BEAM__SIG_MONITOR,     /* term: the monitor ref */
  BEAM__SIG_DEMONITOR,   /* term: the monitor ref */
  BEAM__SIG_DOWN,        /* term: {'DOWN', Ref, process, Pid, Reason} */
  BEAM__SIG_INFO,        /* process_info request; term: the reply ref */
  BEAM__SIG_ALIAS,       /* a message to an alias; term: {Alias, Msg} */
};
#define BEAM__SIG_AUX_DOOM 1u  /* the sender counted it in 'doomed' */
#define BEAM__SIG_AUX_MAYBE 2u /* ... in 'doubtful' (signal.c, P7) */
#define BEAM__SIG_AUX_PROBE 4u /* INFO that only asks "alive?" */

/* [proc] Handle pending signals now (a runtime call's checkpoint), if any
** was pushed. May end the process. */
void beam__signals_check(beam__proc_t *p);
/* [proc] Move everything queued to the inner queue, handling signals on
** the way. May end the process. */
void beam__signals_drain(beam__proc_t *p);
/* [proc] The mailbox drain's handler: act on one signal block; returns the
** message it became, or NULL. May end the process. */
beam__msg_t *beam__signal_handle(void *proc, beam__msg_t *m);
/* [sched] Answer a signal that reached a process after its end (LINK and
** MONITOR get 'noproc', process_info 'undefined'), then free it. */
void beam__signal_dead(void *proc, beam__msg_t *m);
/* [proc] End the process with 'reason' (exit hooks, registry, links,
** monitors), then switch out for the last time. */
_Noreturn void beam__proc_terminate(beam__proc_t *p, beam_term_t reason);
/* [proc, yields] Ask 'pid' whether it lives, after it handled what the
** caller sent it before: 1, 0, or an error (is_alive's slow path). */
int beam__signals_probe_alive(beam__proc_t *self, beam_pid_t pid);
/* Free what signal.c allocated for 'p' (shutdown of unfinished ones). */
void beam__signals_free(beam__proc_t *p);
/* [proc] Spawn-time link / monitor of a child that has not run yet. */
int beam__signals_spawn_link(beam__proc_t *parent, beam__proc_t *child);
int beam__signals_spawn_monitor(beam__proc_t *parent, beam__proc_t *child,
                                beam_term_t *ref);
/* [sched] Push a signal block to 'p' and wake it if blocked (proc.c). */
void beam__proc_push_signal(beam__proc_t *p, beam__msg_t *m);
/* [proc] Remove (and free) every queued message for which 'pred' holds
** (receive.c): 0, or BEAM_ECALLBACK inside a receive match callback. */
int beam__mailbox_remove_if(beam__proc_t *p,
                            bool (*pred)(beam_term_t msg, void *ctx),
                            void *ctx);
/* The crash report for 'p' ending with 'reason' (report.c). [proc] */
void beam__crash_report(beam__proc_t *p, beam_term_t reason,
                        beam_term_t name);
/* The symbol of a process function, or "?". */
const char *beam__fn_name(beam_fn_t fn);
/* Registry (registry.c). */
void beam__registry_release(beam__proc_t *p); /* [proc] at its end */
void beam__registry_reset(void);              /* runtime teardown */
beam_term_t beam__registry_name_of(beam__proc_t *p);

/* Faults in process code (fault.c). */
void beam__fault_init(bool contain);
void beam__fault_fini(void);
/* "SIGSEGV in worker+0x1c (app, pc 0x...)" for a process that faulted;
** returns the length, 0 if it did not fault. */
size_t beam__fault_describe(const beam__proc_t *p, char *buf, size_t size);

/* The running process, or NULL on a plain thread / the scheduler stack. */
beam__proc_t *beam__proc_current(void);

/* Reductions: a slice is BEAM__REDS of them; every runtime call charges
** some (term building 1, send 1 + 1 per 256 bytes copied, receive 1 + 1
** per message looked at, spawn 10, ...); a checkpoint that finds the
** budget spent puts the process at the back of its run queue. */
#define BEAM__REDS 4000
/* [proc] The checkpoint of a runtime call: charge 'cost', act on pending
** signals (may end the process), and yield if the slice is spent. Returns
** true if it yielded (the thread may have changed). */
bool beam__proc_checkpoint(beam__proc_t *p, int64_t cost);
/* Reductions 'p' has spent, the running slice included. [proc] */
uint64_t beam__proc_reductions(const beam__proc_t *p);

/* A process's first frame: adopts the argument, calls 'fn', ends it. */
void beam__proc_entry(void);
/* Switch to the scheduler with 'reason'; returns when resumed (never for
** BEAM__Y_EXIT or BEAM__Y_HIBERNATE). [proc] */
void beam__proc_switch_out(beam__proc_t *p, uint32_t reason);

/* [sched] Make 'p' (state WAITING/SLEEPING) runnable if 'from' matches;
** returns true if this call did it. */
bool beam__proc_wake(beam__proc_t *p, uint32_t from);

/* [sched] Deliver a message block to 'pid' (drops it if dead). */
void beam__proc_deliver(beam_pid_t pid, beam__msg_t *m);

/* Create a process (runtime internal: used by beam_spawn and beam_run).
** 'caller' is the scheduler creating it (may be NULL at boot). */
int beam__proc_spawn(struct beam__sched *caller, beam_fn_t fn,
                     beam_term_t arg, const beam_spawn_opts_t *opts,
                     beam_pid_t *out);
/* [sched] Free everything a finished process owned except its descriptor
** and stack slot (which wait for the grace period). */
void beam__proc_cleanup(beam__proc_t *p);
/* Free the descriptor's leftovers and its slot (after the grace period,
** or at shutdown for processes that never finished). */
void beam__proc_reclaim(struct beam__sched *s, beam__proc_t *p);

#endif
