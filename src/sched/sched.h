/* SPDX-License-Identifier: MIT */
/*
** sched/sched.h: schedulers and the runtime's global state.
**
** Glossary (after Go's proc.go): a *scheduler* is one OS thread with its
** own run queue, timer wheel and stack cache; a *process* runs on whichever
** scheduler dequeued it. The runtime ('beam__rt') holds what all schedulers
** share: the global run queue, the idle list, the spinning count, the
** process table and the reclamation epoch.
*/
#ifndef BEAM_SCHED_SCHED_H
#define BEAM_SCHED_SCHED_H

#include <pthread.h>

#include "../proc/proc.h"
#include "../timer/wheel.h"

#define BEAM__RUNQ_SIZE 256

/* Go's per-P ring: owner pushes at 'tail', owner and thieves take at 'head'
** with a CAS. 'runnext' holds the process most recently woken by this
** scheduler, run next so a message ping-pong stays on one core. */
typedef struct beam__runq {
  alignas(BEAM_CACHELINE) _Atomic uint32_t head;
  alignas(BEAM_CACHELINE) _Atomic uint32_t tail;
  _Atomic(beam__proc_t *) runnext;
  _Atomic(beam__proc_t *) ring[BEAM__RUNQ_SIZE];
  /* Owner only, apart from what thieves read: the last get took runnext,
  ** whose process inherits the rest of the slice (sched.c, run). */
  alignas(BEAM_CACHELINE) bool took_next;
} beam__runq_t;

typedef struct beam__sendafter beam__sendafter_t;

/* Warm slots a scheduler keeps, and how many it moves at a time. */
#define BEAM__STACK_CACHE 256
#define BEAM__STACK_BATCH (BEAM__STACK_CACHE / 2)
#define BEAM__HIB_BATCH 64 /* hibernations released together (idle.c) */

/* A growable array of raw pids (idle.c). */
typedef struct beam__pidvec {
  uint64_t *v;
  size_t n, cap;
} beam__pidvec_t;

typedef struct beam__sched {
  unsigned id;
  pthread_t thread;
  bool spare;               /* a watchdog's extra thread (spare.c) */
  bool thread_started;      /* spares: set by sysmon once its thread runs */
  _Atomic bool benched;     /* spares: not needed; parked off the idle list */
  beam__ctx_t ctx;          /* the scheduler loop's own context */
  beam__proc_t *current;    /* process running now, or NULL */
  uint64_t tick;            /* schedules done (for the 1-in-61 global check) */
  int64_t reds_start;       /* the running process's budget when it began
                               (less than a slice when inherited: run()) */
  uint64_t low_tick;        /* picks, for low priority's 1 in 8 (prio.c) */
  uint32_t rand;            /* xorshift state for victim choice */
  bool spinning;            /* counted in rt.nspinning */

  beam__runq_t runq;

  /* Timers: the wheel is filled by this scheduler and fired by it; other
  ** schedulers take 'tlock' only to cancel a timer of a process that moved. */
  pthread_mutex_t tlock;
  beam__wheel_t wheel;
  _Atomic uint64_t timer_next; /* earliest deadline (ms), a hint */
  beam__sendafter_t **tmap;    /* send_after timers by ref id (under tlock) */
  size_t tmap_mask, tmap_count;

  /* Pinned processes woken by other threads (under 'plock'). */
  pthread_mutex_t plock;
  beam__proc_t *pinned_head, *pinned_tail;
  _Atomic bool has_pinned;

  /* Parking. */
  _Atomic uint32_t park_word;
  struct beam__sched *idle_next;
  bool idle; /* on rt.idle (under rt.idle_lock) */

  /* Reclamation (qsbr.c). */
  alignas(BEAM_CACHELINE) _Atomic uint64_t qsbr_epoch; /* 0 = offline */
  beam__proc_t *limbo_head, *limbo_tail;
  size_t limbo_count;

  /* Warm stacks of the default class (stack.c). */
  void *stack_cache[BEAM__STACK_CACHE];
  unsigned stack_cached;

  /* Pids of processes that waited here, to look at for long waits
  ** (idle.c): 'idle_in' fills, a pass consumes 'idle_pass'. */
  beam__pidvec_t idle_in, idle_pass;
  uint64_t idle_next_ms;
  /* Pids of hibernated processes whose stacks await one release
  ** (idle.c). */
  uint64_t hib[BEAM__HIB_BATCH];
  unsigned hib_n;
  uint64_t hib_due_ms; /* flushed by then (1 ms after the first) */

  /* Heap bytes of the processes it switched out, as deltas (memory.c);
  ** written by its own thread only, read by beam_memory. */
  _Atomic int64_t mem_heap;

  /* Watchdog (sysmon.c): bumped at each switch into a process and back,
  ** so odd while one runs; 'stuck' set by sysmon, cleared by the owner. */
  _Atomic uint64_t slice_seq;
  _Atomic bool stuck;

  /* Alternate signal stack: faults are handled there (fault.c). */
  void *altstack;
  bool in_fault; /* the fault handler is deciding (a nested fault is fatal) */
} beam__sched_t;

typedef struct beam__ptab_entry {
  _Atomic(beam__proc_t *) proc;
  _Atomic uint64_t pid; /* raw pid of 'proc', 0 when free */
} beam__ptab_entry_t;

typedef struct beam__rt {
  unsigned nsched;          /* schedulers asked for (beam_config_t) */
  unsigned maxsched;        /* nsched + the spare limit: size of 'sched' */
  beam__sched_t **sched;
  /* Normal schedulers whose thread could not start at boot (they stay
  ** empty; the watchdog's arithmetic leaves them out). Set before sysmon
  ** starts, read by sysmon and spares only. */
  unsigned nsched_down;
  /* Slots of 'sched' in use: nsched, plus the spares sysmon has started.
  ** A slot's pointer is written before nlive counts it; nlive shrinks back
  ** only when a spare's thread fails to start (its slot never ran). */
  _Atomic unsigned nlive;
  _Atomic unsigned nspare_active; /* spares started and not benched */
  _Atomic bool running;
  _Atomic bool stopping;
  int64_t start_ns;

  /* Global run queue (overflow, boot, foreign wakeups). */
  pthread_mutex_t gq_lock;
  beam__proc_t *gq_head, *gq_tail;
  _Atomic size_t gq_len;

  /* Schedulers sysmon found stuck in one process (sysmon.c): all of them,
  ** and those of them that are not benched spares. */
  _Atomic unsigned nstuck;
  _Atomic unsigned nstuck_active;

  /* Idle schedulers and spinning count (Go's rule, see sched.c). */
  pthread_mutex_t idle_lock;
  beam__sched_t *idle;
  _Atomic int npidle;
  _Atomic int nspinning;

  /* Processes. */
  beam__ptab_entry_t *ptab;
  uint64_t ptab_mask;
  unsigned ptab_bits;
  alignas(BEAM_CACHELINE) _Atomic uint64_t pid_counter;
  alignas(BEAM_CACHELINE) _Atomic size_t process_count;
  size_t process_limit;
  size_t stack_size; /* default usable bytes */
  beam_pid_t first_pid;
  beam__msg_t *first_exit; /* the first process's exit reason, kept for
                              beam_run's answer (proc.c cleanup) */

  /* Reclamation. */
  alignas(BEAM_CACHELINE) _Atomic uint64_t epoch;
} beam__rt_t;

extern beam__rt_t beam__rt;

/* The scheduler of the calling thread, or NULL. */
beam__sched_t *beam__sched_current(void);

/* How many slots of rt.sched to look at (loops over all schedulers). */
static inline unsigned beam__sched_live(void) {
  return atomic_load_explicit(&beam__rt.nlive, memory_order_seq_cst);
}

/* A scheduler's struct, set up but not started (sched.c). */
beam__sched_t *beam__sched_new(unsigned id);
void beam__sched_free(beam__sched_t *s);
/* A scheduler thread's body: 'arg' is its beam__sched_t. */
void *beam__sched_thread_main(void *arg);

/* Run queues (runq.c). [owner] unless said. */
void beam__runq_push(beam__sched_t *s, beam__proc_t *p);
/* Returns true if it displaced an earlier runnext into the ring. */
bool beam__runq_push_next(beam__sched_t *s, beam__proc_t *p);
beam__proc_t *beam__runq_get(beam__sched_t *s);
/* [any] Take about half of 'victim''s queue into 's'; returns one to run. */
beam__proc_t *beam__runq_steal(beam__sched_t *s, beam__sched_t *victim,
                               bool take_next);
bool beam__runq_empty(beam__sched_t *s);
void beam__gq_push(beam__proc_t *p);
beam__proc_t *beam__gq_get(beam__sched_t *s, size_t max);

/* Make a runnable process run somewhere: on 's' (the waker's scheduler), on
** its home if pinned, or on the global queue when 's' is NULL. */
void beam__sched_ready(beam__sched_t *s, beam__proc_t *p, bool next);
/* Wake an idle scheduler if there is work and nobody spinning (park.c). */
void beam__sched_wakep(void);
/* Wake 's' if it is parked (it then leaves the idle list itself). */
void beam__sched_unpark(beam__sched_t *s);
/* Wake every scheduler (shutdown). */
void beam__sched_wake_all(void);
/* Park 's' until woken or 'deadline_ms' (monotonic ms, UINT64_MAX = none).*/
void beam__sched_park(beam__sched_t *s, uint64_t deadline_ms);
beam__proc_t *beam__sched_find_work(beam__sched_t *s);
/* Park a benched spare: off the idle list, until unparked or the deadline. */
void beam__sched_park_benched(beam__sched_t *s, uint64_t deadline_ms);

/* Timers (timer/timers.c). */
uint64_t beam__rt_now_ms(void);
/* The runtime ms at which a timeout of 'ms' from now ends, rounded up and
** saturating at BEAM__DEADLINE_MAX (a deadline that never comes). */
#define BEAM__DEADLINE_MAX ((uint64_t) INT64_MAX)
uint64_t beam__rt_deadline_ms(int64_t ms);
void beam__timers_init(beam__sched_t *s);
void beam__timers_fini(beam__sched_t *s);
/* [sched] Fire what is due; returns the count. */
size_t beam__timers_run(beam__sched_t *s);
/* [sched] Fire what is due in 'owner''s wheel, readying the processes on
** 'into' (the calling scheduler): how a healthy scheduler covers for a
** stuck one (sysmon.c). */
size_t beam__timers_fire(beam__sched_t *owner, beam__sched_t *into);

/* Priorities (prio.c): global queues for max, high and low. */
void beam__prio_push(beam__proc_t *p);
beam__proc_t *beam__prio_get_urgent(void); /* max, then high */
/* A low process: once every 8 calls, or always if 'idle' (no normal work). */
beam__proc_t *beam__prio_get_low(beam__sched_t *s, bool idle);
bool beam__prio_any(void);
void beam__prio_reset(void);

/* Dirty pools (dirty.c). */
enum { BEAM__DIRTY_CPU = 0, BEAM__DIRTY_IO = 1 };
int beam__dirty_start(unsigned cpu_threads, unsigned io_threads);
void beam__dirty_stop(void);
void beam__dirty_submit(beam__proc_t *p); /* [sched] after Y_DIRTY */

/* Watchdog (sysmon.c): a scheduler running one process for this long
** without coming back is stuck. */
#define BEAM__STUCK_MS 10
int beam__sysmon_start(void);
void beam__sysmon_stop(void);
size_t beam__sched_help_stuck(beam__sched_t *s);
uint64_t beam__sched_stuck_deadline(void);
/* Arm / cancel a process's own receive or sleep timeout. */
void beam__proc_timer_arm(beam__sched_t *s, beam__proc_t *p);
void beam__proc_timer_cancel(beam__proc_t *p);

/* Spare schedulers (spare.c): started by sysmon when every scheduler is
** stuck; benched again when two are healthy. */
#define BEAM__SPARE_DEFAULT 8
bool beam__spare_start(void);            /* [sysmon] */
/* Schedulers and spares at work and not stuck (sysmon's last look). */
unsigned beam__sched_healthy(void);
bool beam__spare_should_bench(void);     /* [spare] healthy >= 2 */
/* [spare] If not needed: hand out its work and park once; true if it is
** still benched (the loop then runs only its pinned processes). */
bool beam__spare_benched(beam__sched_t *s);
unsigned beam__spare_join(void);         /* [boot] after sysmon stopped */

/* Reclamation (qsbr.c). */
void beam__qsbr_online(beam__sched_t *s);
void beam__qsbr_offline(beam__sched_t *s);
void beam__qsbr_quiescent(beam__sched_t *s);
void beam__qsbr_retire(beam__sched_t *s, beam__proc_t *p);
void beam__qsbr_drain_all(beam__sched_t *s);

/* Process table (ptab.c). */
int beam__ptab_init(size_t limit);
void beam__ptab_fini(void);
int beam__ptab_insert(beam__proc_t *p, beam_pid_t *out);
void beam__ptab_remove(beam__proc_t *p);
/* [sched] Resolve a pid; valid until the caller's next quiescent point. */
beam__proc_t *beam__ptab_lookup(beam_pid_t pid);
bool beam__ptab_alive(beam_pid_t pid);

/* Stacks (stack.c). 'guard_bytes' (rounded up to pages) of guard lie
** below each stack; descriptors live apart, at the region's start. */
#define BEAM__STACK_GUARD_DEFAULT ((size_t) 64 << 10)
#define BEAM__STACK_GUARD_MAX     ((size_t) 1 << 30)
int beam__stack_init(size_t default_usable, size_t guard_bytes);
/* The guard's size below every stack. [any] */
size_t beam__stack_guard_bytes(void);
void beam__stack_fini(void);
/* The descriptor of a fresh slot for 'usable' bytes of stack, or NULL. */
beam__proc_t *beam__stack_alloc(beam__sched_t *s, size_t usable);
void beam__stack_free(beam__sched_t *s, beam__proc_t *p);
void beam__stack_thread_init(beam__sched_t *s);
void beam__stack_thread_fini(beam__sched_t *s);
/* Give the warm stacks 's' keeps back to the shared pool (a benched spare). */
void beam__stack_release_cache(beam__sched_t *s);
void beam__stack_check(beam__proc_t *p);
/* Run a scavenge step if one is due (stack.c); returns when the next one
** is due, UINT64_MAX if no slot awaits release. [sched] */
uint64_t beam__stack_scavenge(uint64_t now_ms);
/* Give back the stack memory of 'n' processes whose stacks are saved
** elsewhere (idle.c); sorts 'v' by address. [sched] */
void beam__stack_release_stacks(beam__proc_t **v, size_t n);
/* Write the canary again after the stack's memory was given back. */
void beam__stack_canary_reset(beam__proc_t *p);

/* Accounting (memory.c). Heap bytes of processes are counted as deltas
** at each switch out, on the scheduler's own counter. */
extern _Atomic int64_t beam__mem_heap_other; /* deltas off any scheduler */
static inline void beam__mem_count_heap(beam__sched_t *s, beam__proc_t *p) {
  int64_t d = (int64_t) p->heap.bytes - (int64_t) p->heap_counted;
  if (d == 0)
    return;
  p->heap_counted = p->heap.bytes;
  if (s)
    atomic_store_explicit(
        &s->mem_heap,
        atomic_load_explicit(&s->mem_heap, memory_order_relaxed) + d,
        memory_order_relaxed);
  else
    atomic_fetch_add_explicit(&beam__mem_heap_other, d, memory_order_relaxed);
}
/* Descriptor bytes per process (stack.c). */
size_t beam__stack_desc_bytes(void);
/* Processes whose stack is not in place now (saved or, hibernated,
** discarded), and the bytes of the saved ones (idle.c). */
void beam__idle_stats(size_t *away, size_t *bytes);

/* Long waits (idle.c): the stack of a process that has waited for a while
** is saved compactly and its pages go back to the OS. */
extern _Atomic uint32_t beam__idle_epoch;
/* [boot] Freeze after 'ms' of waiting (-1: never). */
void beam__idle_configure(int64_t ms);
/* [sched] After commit_wait published the wait: list 'p' once. */
void beam__idle_list(beam__sched_t *s, beam__proc_t *p);
/* [sched] Look at listed processes if due; returns when next due. */
uint64_t beam__idle_step(beam__sched_t *s, uint64_t now_ms);
/* [sched] Put a saved stack back (or a first frame, after hibernation)
** before 'p' runs. */
void beam__idle_thaw(beam__proc_t *p);
/* [sched] 'p' switched out in beam_hibernate: give its stack back and let
** it wait (or run at once if a message is queued). */
void beam__idle_hibernated(beam__sched_t *s, beam__proc_t *p);
/* [sched] Release gathered hibernations now and let them wait. */
void beam__idle_flush(beam__sched_t *s);
/* Free a saved stack of a process that will never run again. */
void beam__idle_discard(beam__proc_t *p);
void beam__idle_thread_fini(beam__sched_t *s);
/* [sched] Publish 'st' (WAITING or SLEEPING) for 'p', which switched out
** or was frozen, and wake it if what it waits for came meanwhile. */
void beam__sched_commit_wait(beam__sched_t *s, beam__proc_t *p, uint32_t st,
                             bool list_idle);

#endif
