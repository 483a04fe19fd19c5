/* SPDX-License-Identifier: MIT */
/*
** cbeam/process.h: boot, processes, messages, receive and timers.
**
** A process is a C function with its own stack, heap and mailbox, run by an
** M:N scheduler (one OS thread per core). It talks to others only by
** messages, which are deep copies. Everything here that says [proc] must be
** called from inside a process and returns BEAM_ENOTPROC otherwise.
**
** Migration rule: a process may resume on another OS thread after any call
** tagged [yields] (send, receive, spawn, link, sleep, yield and the
** reduction checks all are: a process that has used up its slice of
** 4,000 reductions yields at the next of them). Read 'errno' and other thread-locals before such a call,
** never across it; or spawn with BEAM_SPAWN_PINNED.
*/
#ifndef CBEAM_PROCESS_H
#define CBEAM_PROCESS_H

#include <stddef.h>
#include <stdint.h>

#include "term.h"

/* The body of a process. 'arg' is the copy of the term given to spawn.
** Returning ends the process with reason 'normal'. */
typedef void (*beam_fn_t)(beam_term_t arg);

/* ---- Boot ---- */

typedef struct beam_config {
  unsigned schedulers;     /* 0 = one per online core */
  size_t process_limit;    /* 0 = 1,048,576; at most 134,217,727 */
  size_t stack_size;       /* default usable stack per process, bytes;
                              0 = 64 KiB (128 KiB under ASan) */
  size_t atom_limit;       /* 0 = 1,048,576 */
  unsigned flags;          /* BEAM_RUN_* */
  unsigned dirty_io_threads; /* beam_dirty_io pool; 0 = 10, at most 1024 */
  unsigned spare_schedulers; /* threads the watchdog may add while every
                                scheduler is stuck in a C loop; 0 = as many
                                as schedulers, at least 8 (schedulers +
                                spares <= 1023); BEAM_RUN_NO_SPARES: none */
  beam_term_t *exit_reason;  /* if set, receives the first process's exit
                                reason when beam_run returns 0 or 1, on the
                                calling thread's heap (like terms built in
                                main) */
  size_t stack_guard;        /* bytes of guard below every process stack;
                                0 = 64 KiB, at most 1 GiB (README "Stack
                                overflow": what it costs and what user code
                                compiled without -fstack-clash-protection
                                needs) */
  int64_t idle_stack_ms;     /* a process that has waited this long (in
                                receive or sleep) has its stack saved
                                compactly and the page given back until it
                                runs (docs/memory.md); 0 = 500 ms,
                                BEAM_INFINITY = never, else at least 1 */
  void *reserved[2];
} beam_config_t;

enum beam_run_flags {
  /* A fault in a process's own code (SIGSEGV, SIGBUS, SIGFPE, SIGILL,
  ** abort(), stack overflow) is by default that process's crash, with
  ** reason {segv, Addr} and the like (failure.h, docs/failure.md). With
  ** this flag it ends the OS process instead, as in plain C. */
  BEAM_RUN_FAULTS_ABORT = 1u << 0,
  /* No spare scheduler threads: while every scheduler is stuck in a C loop
  ** that makes no runtime call, everything else waits (README "Keeping the
  ** system responsive"). */
  BEAM_RUN_NO_SPARES = 1u << 1,
};

/* [any, allocs] Start the schedulers, run 'fn(arg)' as the first
** process and return when it ends; every other process is then stopped and
** every thread joined. The calling thread (not a process: from one it is
** BEAM_EBUSY) becomes scheduler 0 meanwhile. Returns 0 when the first process ended with reason
** 'normal' (fn returned, or beam_exit(normal)) and 1 when it ended any
** other way (a crash, a fault, an exit signal through a link, a kill), so
** 'return beam_run(...);' from main gives the shell what a crashing Elixir
** script gives; an abnormal end of the first process is always reported
** (beam_set_crash_reporter; by default one paragraph on stderr), and
** 'cfg->exit_reason' receives its reason. Before anything runs: BEAM_EBUSY
** if already running, BEAM_EINVAL for a bad config or fn, BEAM_ENOMEM, or
** the code of an error term 'arg'. 'cfg' may be NULL. */
BEAM_API int beam_run(beam_fn_t fn, beam_term_t arg, const beam_config_t *cfg);

/* ---- Processes ---- */

enum beam_spawn_flags {
  BEAM_SPAWN_PINNED = 1u << 0,  /* never migrate off the spawning scheduler */
  BEAM_SPAWN_LINK = 1u << 1,    /* link before the child runs (failure.h) */
  BEAM_SPAWN_MONITOR = 1u << 2, /* monitor before the child runs; the ref
                                   goes to '*monitor_ref' */
};

/* Priorities, with Erlang's rules: a runnable max process runs before any
** other, a high one before any normal or low one; normal and low share the
** CPU, low getting one turn in eight, so neither starves. A running
** process is not interrupted: it yields at the end of its slice. Pinned
** processes ignore priorities. */
typedef enum beam_priority {
  BEAM_PRIO_NORMAL = 0, /* the default */
  BEAM_PRIO_LOW = 1,
  BEAM_PRIO_HIGH = 2,
  BEAM_PRIO_MAX = 3,
} beam_priority_t;

typedef struct beam_spawn_opts {
  size_t stack_size; /* 0 = the configured default; rounded up to pages */
  unsigned flags;    /* BEAM_SPAWN_* */
  beam_term_t *monitor_ref; /* with BEAM_SPAWN_MONITOR (required then) */
  beam_priority_t priority;
  void *reserved[3];
} beam_spawn_opts_t;

/* [proc] Set this process's priority (process_flag(priority, P)); returns
** the previous one, or BEAM_EINVAL. It applies from its next scheduling. */
BEAM_API int beam_set_priority(beam_priority_t prio);

/* [proc, allocs, yields] Start 'fn(copy of arg)' in a new process; '*pid' receives
** its pid at once. 0, BEAM_ESYSLIMIT past the process limit, BEAM_ENOMEM,
** BEAM_EINVAL (NULL fn), or the code of an error term 'arg'. */
BEAM_API int beam_spawn(beam_fn_t fn, beam_term_t arg, beam_pid_t *pid);
/* [proc, allocs, yields] beam_spawn with options ('opts' may be NULL):
** BEAM_EINVAL also for BEAM_SPAWN_MONITOR without 'monitor_ref'. */
BEAM_API int beam_spawn_opt(beam_fn_t fn, beam_term_t arg,
                            const beam_spawn_opts_t *opts, beam_pid_t *pid);

/* [proc, nofail] This process's pid (the error term BEAM_ENOTPROC outside
** a process). */
BEAM_API beam_pid_t beam_self(void);
/* [any, allocs, yields] 1 alive, 0 not, BEAM_EINVAL if 'pid' is not a
** pid. As in Erlang, the answer takes into account the exit signals the
** caller sent 'pid' before (P7): after a kill it is 0 at once; after
** another abnormal reason the caller asks 'pid' (which alone knows whether
** it traps exits) and waits until 'pid' has handled those signals (only
** then does it yield or allocate: a ref, on the caller's heap). */
BEAM_API int beam_is_alive(beam_pid_t pid);
/* [proc, yields, nofail] Let others run: 0. */
BEAM_API int beam_yield(void);
/* Reductions (README "Keeping the system responsive"). A process runs for
** a budget of 4,000 reductions, then goes to the back of its run queue at
** its next checkpoint: send, receive, spawn, link, beam_yield_check,
** beam_consume. Runtime calls charge them (building a term 1, a send 1 + 1
** per 256 bytes copied, a receive 1 + 1 per message looked at, a spawn
** 10); C code reports its own work with these two, in the spirit of
** enif_consume_timeslice. Outside a process both return 0 and do nothing.
** [any, yields] Charge 'reductions' (>= 0, else BEAM_EINVAL) and act on
** pending exit signals (a kill ends the process here); if the budget is
** spent, yield: returns 1 if it yielded, else 0. */
BEAM_API int beam_consume(int64_t reductions);
/* [any, yields, nofail] beam_consume(1): call it in every iteration of a
** long C loop; it costs a few nanoseconds when it does not yield. */
BEAM_API int beam_yield_check(void);
/* Dirty calls. [proc, yields] Run 'fn(arg)' on another thread while this
** process waits and its scheduler runs other processes, then resume with
** '*result' = its return value ('result' may be NULL): beam_dirty_cpu for
** long computations (a pool of one thread per scheduler), beam_dirty_io
** for calls that block (file I/O, getaddrinfo, a blocking library; a pool
** of beam_config_t.dirty_io_threads, 10 by default). 'fn' runs on a plain
** thread with its own stack: it may call any C code but no [proc]
** function of cbeam. Messages and exit signals that arrive meanwhile are
** acted on when it returns (a kill ends the process then). 0,
** BEAM_ENOTPROC, or BEAM_EINVAL for a NULL fn. */
BEAM_API int beam_dirty_cpu(void *(*fn)(void *), void *arg, void **result);
BEAM_API int beam_dirty_io(void *(*fn)(void *), void *arg, void **result);
/* [proc, yields] Sleep; messages stay in the mailbox. BEAM_EINVAL if < 0. */
BEAM_API int beam_sleep(int64_t ms);
/* [proc] End this process with 'reason' from any depth of its code. The C
** frames above are discarded without unwinding; its heap, stack and
** unread messages are freed. It never returns: outside a process it
** prints a message and aborts (the one misuse that cannot return a code). */
BEAM_NORETURN BEAM_API void beam_exit(beam_term_t reason);
/* [proc, allocs] Like erlang:hibernate/3: collect the heap keeping only
** 'arg', discard the call stack (its pages go back to the OS) and wait for
** a message; when one arrives (or at once if one is already queued),
** fn(arg) runs on a fresh stack, as if spawned, with the mailbox intact.
** Never returns. A NULL 'fn' or a bad term ends the process with badarg;
** outside a process it prints a message and aborts. Memory: a hibernated
** process holds its descriptor and what 'arg' reaches (docs/memory.md). */
BEAM_NORETURN BEAM_API void beam_hibernate(beam_fn_t fn, beam_term_t arg);
/* [any, nofail] Live processes, and the limit set at boot (the default
** when the runtime is not running). */
BEAM_API size_t beam_process_count(void);
BEAM_API size_t beam_process_limit(void);
/* What the runtime's memory holds, like erlang:memory/0. Bytes unless
** named a count; a snapshot of counters that move while it is read. */
typedef struct beam_memory {
  size_t total;          /* processes + binaries + atoms */
  size_t processes;      /* descriptors + heaps + stacks */
  size_t descriptors;    /* one per live process */
  size_t heaps;          /* process heaps (terms, received messages), as of
                            each process's last switch out */
  size_t stacks;         /* resident stacks, estimated: a page for each
                            process whose stack is in place, plus the
                            saved ones */
  size_t stacks_saved;   /* stacks of idle processes, saved compactly */
  size_t binaries;       /* shared (reference-counted) binaries */
  size_t atoms;          /* the atom table and names */
  size_t process_count;
  size_t idle_processes; /* processes whose stack is saved, or discarded
                            by beam_hibernate (docs/memory.md) */
} beam_memory_t;
/* [any] Fill '*out': 0, or BEAM_EINVAL for NULL. */
BEAM_API int beam_memory(beam_memory_t *out);

/* [any, nofail] Schedulers running (0 when the runtime is not running). */
BEAM_API unsigned beam_scheduler_count(void);
/* [any, nofail] Spare scheduler threads at work now: the watchdog starts
** one while every scheduler (and spare) is stuck in one process, and
** benches it once two are free again (README "Keeping the system
** responsive"). 0 when the runtime is not running. */
BEAM_API unsigned beam_spare_scheduler_count(void);
/* [any, nofail] Print a pid as <0.N.S> ("<not a pid>" for anything else);
** returns the length as snprintf does. */
BEAM_API size_t beam_pid_print(char *buf, size_t size, beam_pid_t pid);

/* ---- Messages ---- */

/* [proc, allocs, yields] Copy 'msg' into 'to''s mailbox. Never blocks (it may
** yield when its reduction budget is spent). A dead pid
** drops the message silently and returns 0, as in Erlang. BEAM_EINVAL if
** 'to' is not a pid, BEAM_ENOMEM, or the code of an error term 'msg'. */
BEAM_API int beam_send(beam_pid_t to, beam_term_t msg);

#define BEAM_INFINITY (-1)

/*
** beam_receive: Elixir's receive ... after ..., with patterns in beam_match
** syntax. Clauses are a pattern string followed by its arguments, ended by
** NULL:
**
**   beam_term_t from, n;
**   switch (beam_receive(5000, "{ping, From, N}", &from, &n,
**                              "stop",
**                              NULL)) {
**   case 0: beam_send(from, beam_fmt("{pong, ~t}", n)); break;
**   case 1: return;
**   case BEAM_ETIMEDOUT: puts("no ping in 5 s"); break;
**   }
**
** Takes the oldest message that matches any clause (message order wins
** over clause order), binds that clause's variables, removes the message
** and returns the clause index. Others stay in place and in order; a
** message seen once is never rescanned while this call waits.
** 'timeout_ms': 0 polls once, N waits N ms from entry, BEAM_INFINITY
** waits forever. BEAM_ETIMEDOUT removes nothing. BEAM_EINVAL for a
** negative timeout other than BEAM_INFINITY, BEAM_EPATTERN for malformed
** text. If every clause holds a ~t hole with a ref made by beam_make_ref()
** in this process after its latest receive, messages older than the ref are
** skipped without being looked at. The message taken moves onto this
** process's heap (no copy). [proc, allocs, yields]
*/
BEAM_API int beam_receive(int64_t timeout_ms, const char *pattern, ...);
/* What the beam_receive macro calls (cbeam/args.h): 'n' beam_arg_t values,
** the clause list with its final NULL; BEAM_EBADARG for an argument of
** the wrong type, a missing one or one after the NULL.
** [proc, allocs, yields] */
BEAM_API int beam_receive_checked(int64_t timeout_ms, size_t n, ...);
#ifdef BEAM_TYPED_ARGS
#define beam_receive(timeout_ms, ...)                                          \
  beam_receive_checked((timeout_ms), BEAM__NARG(__VA_ARGS__),                  \
                       BEAM__MAP(BEAM_ARG, __VA_ARGS__))
#endif
/* [proc, allocs, yields] Receive the oldest message whatever it is into
** '*msg' (may be NULL: then it is dropped): 0, BEAM_ETIMEDOUT, or
** BEAM_EINVAL for a bad timeout. */
BEAM_API int beam_receive_any(int64_t timeout_ms, beam_term_t *msg);
/* [proc, allocs, yields] Receive the oldest message for which
** 'match(msg, ctx)' returns a positive value, which is returned ('*msg'
** as for beam_receive_any); 0 or less means no match. 'match' runs inside
** the receive, in the process: it may send, spawn or exit, but calls that
** would take or remove messages while the receive stands in the mailbox
** (any receive, beam_is_alive and beam_process_info, which wait for an
** answer, and beam_demonitor with BEAM_DEMONITOR_FLUSH) return
** BEAM_ECALLBACK there. */
typedef int (*beam_match_fn_t)(beam_term_t msg, void *ctx);
BEAM_API int beam_receive_fn(int64_t timeout_ms, beam_match_fn_t match,
                             void *ctx, beam_term_t *msg);
/* [proc, nofail] Messages waiting in this process's mailbox. */
BEAM_API int64_t beam_mailbox_len(void);

/* ---- Timers ---- */

/* [proc, allocs] Deliver a copy of 'msg' to 'to' after 'ms' ms. '*tref'
** (may be NULL) receives a reference for cancel/read. 0, BEAM_EINVAL
** ('ms' < 0 or 'to' not a pid), BEAM_ENOMEM, or the code of an error
** term 'msg'. */
BEAM_API int beam_send_after(int64_t ms, beam_pid_t to, beam_term_t msg,
                             beam_term_t *tref);
/* [proc] Cancel: returns the ms that were left (>= 0), or BEAM_ENOENT if
** the timer already fired, was cancelled, or never existed. */
BEAM_API int64_t beam_cancel_timer(beam_term_t tref);
/* [proc] The ms left, or BEAM_ENOENT; the timer keeps running. */
BEAM_API int64_t beam_read_timer(beam_term_t tref);

/* [any, nofail] Milliseconds of the monotonic clock. */
BEAM_API int64_t beam_monotonic_ms(void);

#endif
