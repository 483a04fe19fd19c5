/* SPDX-License-Identifier: MIT */
/*
** sched.c: the scheduler loop, and booting and stopping the runtime.
**
** One iteration of a scheduler, as numbered steps (docs/design.md says the
** same in prose):
**   1. Quiescent point: publish the reclamation epoch; free descriptors of
**      processes that died more than a grace period ago (qsbr.c).
**   2. If a timer of this scheduler is due, fire it (timers.c): woken
**      processes go to this run queue.
**   3. Pick a process: every 61st tick the global queue first (so nothing
**      parked there starves), then 'runnext', the local ring, the global
**      queue, pinned processes, and finally stealing (find_work), which may
**      park the thread until work or the next timer.
**   4. Switch to it. When it switches back, act on why (proc.h): requeue a
**      yield at the tail (FIFO), commit a wait or a sleep, or finish an
**      exit. All of this runs on the scheduler's own stack: a process's
**      state is published only once nothing runs on its stack any more.
**
** Boot: beam_run() makes N schedulers, spawns the first process onto the
** global queue, runs scheduler 0 on the calling thread and the others on
** new threads. When the first process ends, 'stopping' is set and every
** scheduler leaves its loop at the next iteration; the caller joins them
** and frees every remaining process, message, timer and stack.
*/
#include "sched.h"
#include "../proc/idle.h"
#include "../proc/memory.h"
#include "../proc/ptab.h"
#include "../proc/stack.h"
#include "../timer/timers.h"
#include "dirty.h"
#include "park.h"
#include "prio.h"
#include "qsbr.h"
#include "runq.h"
#include "spare.h"
#include "sysmon.h"

#include <unistd.h>

beam__rt_t beam__rt = {
    .gq.lock = PTHREAD_MUTEX_INITIALIZER,
    .park.lock = PTHREAD_MUTEX_INITIALIZER,
};

/* The lines the layout keeps apart (sched.h): a thief's CAS on a ring's
** head, its owner's tail, the epochs every reclaimer reads, and the
** counters every spawn bumps. */
#define ON_OWN_LINE(type, field)                                               \
  BEAM_STATIC_ASSERT(offsetof(type, field) % BEAM_CACHELINE == 0,              \
                     #field " starts a cache line")
ON_OWN_LINE(beam__sched_t, runq.head);
ON_OWN_LINE(beam__sched_t, runq.tail);
ON_OWN_LINE(beam__sched_t, runq.took_next);
ON_OWN_LINE(beam__sched_t, qsbr.epoch);
ON_OWN_LINE(beam__rt_t, ptab.pid_counter);
ON_OWN_LINE(beam__rt_t, process_count);
ON_OWN_LINE(beam__rt_t, qsbr.epoch);

beam__sched_t *beam__sched_current(void) {
  return beam__tls()->sched;
}

beam__proc_t *beam__proc_current(void) {
  beam__sched_t *s = beam__tls()->sched;
  return s ? s->current : NULL;
}

static uint32_t rand_next(beam__sched_t *s) {
  uint32_t x = s->rand;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return s->rand = x;
}

/* ---- Readying processes ---- */

static void push_pinned(beam__sched_t *home, beam__proc_t *p) {
  p->link = NULL;
  pthread_mutex_lock(&home->pinned.lock);
  if (home->pinned.tail)
    home->pinned.tail->link = p;
  else
    home->pinned.head = p;
  home->pinned.tail = p;
  atomic_store_explicit(&home->pinned.has, true, memory_order_seq_cst);
  pthread_mutex_unlock(&home->pinned.lock);
}

static beam__proc_t *pop_pinned(beam__sched_t *s) {
  if (!atomic_load_explicit(&s->pinned.has, memory_order_acquire))
    return NULL;
  pthread_mutex_lock(&s->pinned.lock);
  beam__proc_t *p = s->pinned.head;
  if (p) {
    s->pinned.head = p->link;
    if (!s->pinned.head)
      s->pinned.tail = NULL;
  }
  atomic_store_explicit(&s->pinned.has, s->pinned.head != NULL,
                        memory_order_relaxed);
  pthread_mutex_unlock(&s->pinned.lock);
  return p;
}

void beam__sched_ready(beam__sched_t *s, beam__proc_t *p, bool next) {
  if (BEAM_UNLIKELY(p->flags & BEAM_SPAWN_PINNED)) {
    push_pinned(p->home, p);
    if (p->home != s)
      beam__sched_unpark(p->home);
    return;
  }
  if (BEAM_UNLIKELY(p->prio != BEAM_PRIO_NORMAL)) {
    beam__prio_push(p);
  } else if (s == NULL) {
    beam__gq_push(p);
  } else if (next) {
    /* A process woken by the running one, and nothing else new: this
    ** scheduler runs it as soon as the waker blocks or yields. Waking an
    ** idle scheduler for it would only have that one steal it and split a
    ** request/reply pair across cores (each message then a cross-core
    ** wakeup: ring hops 4x slower on 2 schedulers). If the waker instead
    ** stays in C, sysmon sees the queued work after 10 ms and wakes one.
    ** A spare may be benched, running only a pinned process: it wakes. */
    if (!beam__runq_push_next(s, p) && !s->spare)
      return;
  } else {
    beam__runq_push(s, p);
  }
  /* s NULL: a foreign thread; s a spare: it may be benched, and then the
  ** other schedulers must come for what it readied. One scheduler and no
  ** spare at work: nobody to wake. */
  if (beam__rt.nsched > 1 || s == NULL || s->spare ||
      atomic_load_explicit(&beam__rt.spare.nactive, memory_order_relaxed)) {
    /* StoreLoad between publishing the work and reading 'npidle' (park.c). */
    beam__fence_seq_cst();
    beam__sched_wakep();
  }
}

/* ---- Finding work ---- */

static beam__proc_t *steal_round(beam__sched_t *s, bool take_next) {
  unsigned n = beam__sched_live();
  unsigned start = rand_next(s) % n;
  for (unsigned i = 0; i < n; i++) {
    beam__sched_t *v = beam__rt.sched[(start + i) % n];
    if (v == s)
      continue;
    beam__proc_t *p = beam__runq_steal(s, v, take_next);
    if (p)
      return p;
  }
  return NULL;
}

static void stop_spinning(beam__sched_t *s, bool found) {
  if (!s->park.spinning)
    return;
  s->park.spinning = false;
  if (atomic_fetch_sub_explicit(&beam__rt.park.nspinning, 1,
                                memory_order_seq_cst) == 1 &&
      found)
    beam__sched_wakep(); /* the last spinner found work: fan out */
}

beam__proc_t *beam__sched_find_work(beam__sched_t *s) {
  while (!atomic_load_explicit(&beam__rt.stopping, memory_order_relaxed)) {
    beam__proc_t *p;
    if (BEAM_UNLIKELY(s->spare) && beam__spare_should_bench()) {
      stop_spinning(s, true); /* woken to spin: pass that on */
      return NULL;            /* the loop benches it (spare.c) */
    }
    if (atomic_load_explicit(&s->timers.next, memory_order_relaxed) <=
        beam__rt_now_ms())
      beam__timers_run(s);
    beam__sched_help_stuck(s); /* a stuck peer's timers (sysmon.c) */
    /* Long waits (idle.c); first, since it may ready a process. */
    uint64_t idle_due = beam__idle_step(s, beam__rt_now_ms());
    if ((p = beam__prio_get_urgent()) || (p = beam__runq_get(s)) ||
        (p = beam__gq_get(s, SIZE_MAX)) || (p = pop_pinned(s)) ||
        (p = beam__prio_get_low(s, true))) {
      stop_spinning(s, true);
      return p;
    }
    unsigned active =
        beam__rt.nsched +
        atomic_load_explicit(&beam__rt.spare.nactive, memory_order_relaxed);
    if (beam__sched_live() > 1) { /* a benched spare's ring too (spare.c) */
      if (!s->park.spinning) {
        beam__rt_park_t *park = &beam__rt.park;
        int busy = (int) active -
                   atomic_load_explicit(&park->npidle, memory_order_relaxed);
        int spinning =
            atomic_load_explicit(&park->nspinning, memory_order_relaxed);
        if (2 * spinning < busy) {
          s->park.spinning = true;
          atomic_fetch_add_explicit(&park->nspinning, 1, memory_order_seq_cst);
        }
      }
      if (s->park.spinning) {
        for (int round = 0; round < 4; round++) {
          if ((p = steal_round(s, round == 3))) {
            stop_spinning(s, true);
            return p;
          }
        }
      }
    }
    stop_spinning(s, false);
    beam__qsbr_quiescent(s);
    uint64_t wake = atomic_load_explicit(&s->timers.next, memory_order_relaxed);
    /* Dead processes still in limbo: come back soon to free them, since a
    ** parked scheduler reclaims nothing (their memory must not wait for the
    ** next piece of work). */
    uint64_t now = beam__rt_now_ms();
    if (s->qsbr.limbo_head && wake > now + 10)
      wake = now + 10;
    /* Unused stacks must still go back to the OS while everyone sleeps. */
    uint64_t scavenge = beam__stack_scavenge(now);
    wake = scavenge < wake ? scavenge : wake;
    wake = idle_due < wake ? idle_due : wake;
    uint64_t stuck = beam__sched_stuck_deadline();
    wake = stuck < wake ? stuck : wake;
    beam__sched_park(s, wake);
  }
  return NULL;
}

/* ---- Running a process ---- */

static inline void commit_wait(beam__sched_t *s, beam__proc_t *p,
                               uint32_t st, bool list_idle) {
  /* Read what we need of the process before publishing its state: once it
  ** is WAITING another thread may resume it and rewrite these fields. */
  int64_t deadline = p->deadline_ms;
  bool pending = beam__mailbox_tail_pending(&p->mbox);
  if (deadline >= 0 && p->timer_sched == NULL)
    beam__proc_timer_arm(s, p);
  if (list_idle)
    atomic_store_explicit(
        &p->wait_epoch,
        atomic_load_explicit(&beam__idle_epoch, memory_order_relaxed),
        memory_order_relaxed);
  /* seq_cst: the store half of the handshake with senders (proc.c). */
  atomic_store_explicit(&p->state, st, memory_order_seq_cst);
  /* After the store (the other half of idle.c's drop handshake). */
  if (list_idle &&
      !atomic_load_explicit(&p->idle_listed, memory_order_seq_cst))
    beam__idle_list(s, p);
  bool wake = st == BEAM__P_WAITING
                  ? pending || beam__mailbox_head_moved(&p->mbox)
                  : atomic_load_explicit(&p->sig_pending, memory_order_seq_cst);
  /* The timer may have fired while the process was still RUNNING (woken by
  ** a message that did not match): its CAS failed and it is gone. Timers
  ** fire only at or after the deadline, so the clock tells. */
  if (!wake && deadline >= 0 && beam__rt_now_ms() >= (uint64_t) deadline)
    wake = true;
  if (wake && beam__proc_wake(p, st))
    beam__sched_ready(s, p, false);
}

void beam__sched_commit_wait(beam__sched_t *s, beam__proc_t *p, uint32_t st,
                             bool list_idle) {
  commit_wait(s, p, st, list_idle);
}

static void run(beam__sched_t *s, beam__proc_t *p) {
  beam__tls_t *tls = beam__tls();
  s->current = p;
  p->sched = s;
  p->switches++;
  tls->heap = &p->heap;
  /* A process woken into runnext by the one that ran last inherits what is
  ** left of its slice (Go's inheritTime), so a ping-pong pair shares one
  ** slice and then goes behind the ring instead of starving it. */
  if (!s->runq.took_next)
    tls->reds = BEAM__REDS;
  s->runq.took_next = false;
  s->reds_start = tls->reds;
  atomic_store_explicit(&p->state, BEAM__P_RUNNING, memory_order_relaxed);
  if (BEAM_UNLIKELY(p->pflags & BEAM__PF_AWAY))
    beam__idle_thaw(p);
  uint64_t seq =
      atomic_load_explicit(&s->sysmon.slice_seq, memory_order_relaxed);
  atomic_store_explicit(&s->sysmon.slice_seq, seq + 1, memory_order_relaxed);
  beam__ctx_switch(&s->ctx, &p->ctx, false);
  atomic_store_explicit(&s->sysmon.slice_seq, seq + 2, memory_order_relaxed);
  if (BEAM_UNLIKELY(
          atomic_load_explicit(&s->sysmon.stuck, memory_order_relaxed)))
    atomic_store_explicit(&s->sysmon.stuck, false, memory_order_relaxed);
  tls->heap = NULL;
  p->reductions += (uint64_t) (s->reds_start - (int64_t) tls->reds);
  s->current = NULL;
  if (p->yield_reason != BEAM__Y_EXIT)
    beam__mem_count_heap(&s->mem, p); /* before another thread may resume it */
  switch (p->yield_reason) {
  case BEAM__Y_YIELD:
    beam__stack_check(p);
    atomic_store_explicit(&p->state, BEAM__P_RUNNABLE, memory_order_relaxed);
    /* Alone in this queue, the process is what this scheduler runs next:
    ** waking an idle one would only have it steal the process and move a
    ** ping-pong pair or a ring's token to another core at every spent
    ** slice (ring hops 1.4x slower on 2 schedulers). As Go's Gosched,
    ** which readies no P. With other work queued, share it. */
    if (p->prio == BEAM_PRIO_NORMAL && !(p->flags & BEAM_SPAWN_PINNED) &&
        beam__runq_empty(s))
      beam__runq_push(s, p);
    else
      beam__sched_ready(s, p, false);
    break;
  case BEAM__Y_WAIT:
    beam__stack_check(p);
    commit_wait(s, p, BEAM__P_WAITING, true);
    break;
  case BEAM__Y_SLEEP:
    beam__stack_check(p);
    commit_wait(s, p, BEAM__P_SLEEPING, true);
    break;
  case BEAM__Y_HIBERNATE:
    beam__stack_check(p);
    beam__idle_hibernated(s, p);
    break;
  case BEAM__Y_DIRTY:
    beam__stack_check(p);
    atomic_store_explicit(&p->state, BEAM__P_DIRTY, memory_order_seq_cst);
    beam__dirty_submit(p); /* last: a pool thread may ready it at once */
    break;
  case BEAM__Y_EXIT:
    beam__stack_check(p);
    beam__proc_cleanup(p);
    beam__mem_count_heap(&s->mem, p);
    beam__qsbr_retire(s, p);
    break;
  default:
    BEAM_PANIC("bad yield reason %u", p->yield_reason);
  }
}

/* The next process to run, or NULL (stopping, or nothing yet). */
static beam__proc_t *pick(beam__sched_t *s) {
  if (BEAM_UNLIKELY(s->spare) && beam__spare_benched(s))
    return pop_pinned(s); /* a benched spare runs only its pinned ones */
  if (atomic_load_explicit(&s->timers.next, memory_order_relaxed) !=
          UINT64_MAX &&
      atomic_load_explicit(&s->timers.next, memory_order_relaxed) <=
          beam__rt_now_ms())
    beam__timers_run(s);
  if (BEAM_UNLIKELY(s->idle.hib_n > 0) &&
      beam__rt_now_ms() >= s->idle.hib_due_ms)
    beam__idle_flush(s);
  beam__proc_t *p = beam__prio_get_urgent();
  if (!p)
    p = beam__prio_get_low(s, false);
  if (!p && ++s->tick % 61 == 0) {
    p = beam__gq_get(s, 1);
    uint64_t now = beam__rt_now_ms();
    beam__stack_scavenge(now);
    beam__idle_step(s, now);
    beam__sched_help_stuck(s);
  }
  if (!p)
    p = beam__runq_get(s);
  if (!p)
    p = pop_pinned(s);
  if (!p)
    p = beam__sched_find_work(s);
  return p;
}

static void loop(beam__sched_t *s) {
  for (;;) {
    beam__qsbr_quiescent(s);
    if (BEAM_UNLIKELY(atomic_load_explicit(&beam__rt.stopping,
                                           memory_order_relaxed)))
      return;
    beam__proc_t *p = pick(s);
    if (p)
      run(s, p); /* the one call site: run() stays inlined here */
  }
}

/* ---- Boot and shutdown ---- */

void *beam__sched_thread_main(void *arg) {
  beam__sched_t *s = arg;
  beam__tls()->sched = s;
  beam__ctx_init_thread(&s->ctx);
  beam__stack_thread_init(s);
  beam__qsbr_online(s);
  loop(s);
  beam__qsbr_offline(s);
  beam__stack_thread_fini(s);
  beam__idle_thread_fini(s);
  beam__tls()->sched = NULL;
  return NULL;
}

void beam__sched_free(beam__sched_t *s) {
  atomic_fetch_add_explicit(
      &beam__mem_heap_other,
      atomic_load_explicit(&s->mem.heap, memory_order_relaxed),
      memory_order_relaxed);
  beam__timers_fini(s);
  pthread_mutex_destroy(&s->timers.lock);
  pthread_mutex_destroy(&s->pinned.lock);
  free(s);
}

beam__sched_t *beam__sched_new(unsigned id) {
  beam__sched_t *s = NULL;
  if (posix_memalign((void **) &s, BEAM_CACHELINE, sizeof *s) != 0)
    return NULL;
  memset(s, 0, sizeof *s);
  s->id = id;
  s->rand = 0x9e3779b9u * (id + 1);
  pthread_mutex_init(&s->timers.lock, NULL);
  pthread_mutex_init(&s->pinned.lock, NULL);
  if (beam__timers_init(s), s->timers.map == NULL) {
    beam__sched_free(s);
    return NULL;
  }
  return s;
}

/* Every slot, spares included (they are allocated as sysmon starts them). */
static void free_scheds(void) {
  beam__mem_close_scheds(); /* no beam_memory() reads them from now on */
  for (unsigned i = 0; i < beam__rt.maxsched; i++)
    if (beam__rt.sched[i])
      beam__sched_free(beam__rt.sched[i]);
  beam__free(beam__rt.sched);
  beam__rt.sched = NULL;
  beam__rt.nsched = beam__rt.maxsched = 0;
  atomic_store(&beam__rt.nlive, 0);
}

static int make_scheds(unsigned n, unsigned spares) {
  beam__rt.sched = beam__calloc(n + spares, sizeof *beam__rt.sched);
  if (!beam__rt.sched)
    return BEAM_ENOMEM;
  beam__rt.nsched = n;
  beam__rt.maxsched = n + spares;
  for (unsigned i = 0; i < n; i++) {
    if (!(beam__rt.sched[i] = beam__sched_new(i))) {
      free_scheds();
      return BEAM_ENOMEM;
    }
  }
  atomic_store(&beam__rt.nlive, n);
  atomic_store(&beam__rt.spare.nactive, 0);
  beam__mem_open_scheds();
  return 0;
}

/* Free what every process still owns (processes that never finished, and
** the dead ones still waiting for their grace period). */
static void reap_all(void) {
  for (unsigned i = 0; i < beam__sched_live(); i++)
    beam__qsbr_drain_all(beam__rt.sched[i]);
  for (uint64_t i = 0; i <= beam__rt.ptab.mask; i++) {
    beam__proc_t *p = atomic_load_explicit(&beam__rt.ptab.entries[i].proc,
                                           memory_order_acquire);
    if (!p)
      continue;
    beam__proc_timer_cancel(p);
    beam__proc_cleanup(p);
    beam__mem_count_heap(NULL, p);
    beam__proc_reclaim(NULL, p);
  }
  atomic_store(&beam__rt.process_count, 0);
}

/* The global queue and idle list point into processes and schedulers that
** a run's teardown frees; the next run must not find them. */
static void reset_queues(void) {
  beam__prio_reset();
  beam__rt.park.idle = NULL;
  beam__rt.gq.head = beam__rt.gq.tail = NULL;
  atomic_store(&beam__rt.gq.len, 0);
}

/* Scheduler ids must fit the low bits of a timer ref (timers.c). */
#define BEAM__MAX_SCHED ((1u << BEAM__REF_SCHED_BITS) - 1)

/* How many spare threads the watchdog may start: by default as many as
** there are schedulers, at least BEAM__SPARE_DEFAULT, within the id space. */
static unsigned spare_limit(const beam_config_t *c, unsigned n) {
  if (c->flags & BEAM_RUN_NO_SPARES)
    return 0;
  if (c->spare_schedulers)
    return c->spare_schedulers; /* too many is EINVAL, checked by the caller */
  unsigned want = n > BEAM__SPARE_DEFAULT ? n : BEAM__SPARE_DEFAULT;
  if (n >= BEAM__MAX_SCHED)
    return 0;
  return want < BEAM__MAX_SCHED - n ? want : BEAM__MAX_SCHED - n;
}

static size_t default_stack(void) {
#if defined(BEAM_ASAN) || defined(BEAM_TSAN)
  return (size_t) 128 << 10; /* sanitizers' frames are much larger */
#else
  return (size_t) 64 << 10;
#endif
}

/* beam_run's answer once every process is gone: 0 if the first process
** ended 'normal', else 1 (as a script that crashes exits 1); its reason
** goes to '*out' on the calling thread's heap when asked for. A reason
** that could not be copied is system_limit, as the process's links saw. */
static int first_exit_answer(beam_term_t *out) {
  beam__msg_t *m = beam__rt.first_exit;
  beam__rt.first_exit = NULL;
  beam_term_t r = m ? m->term : beam__am_system_limit;
  int rc = r.raw == beam__am_normal.raw ? 0 : 1;
  if (out && m)
    *out = beam__heap_adopt(beam__heap_current(), m);
  else {
    if (out)
      *out = r;
    beam__msg_free(m);
  }
  return rc;
}

int beam_run(beam_fn_t fn, beam_term_t arg, const beam_config_t *cfg) {
  beam_config_t c = {0};
  if (cfg)
    c = *cfg;
  if (fn == NULL)
    return BEAM_EINVAL;
  int bad = beam__term_bad(arg);
  if (bad != 0)
    return bad;
  if (beam__tls()->sched != NULL)
    return BEAM_EBUSY;
  long online = sysconf(_SC_NPROCESSORS_ONLN);
  unsigned n = c.schedulers ? c.schedulers : (unsigned) (online > 0 ? online : 1);
  size_t limit = c.process_limit ? c.process_limit : (size_t) 1 << 20;
  unsigned spares = spare_limit(&c, n);
  if (n > BEAM__MAX_SCHED || limit > 134217727 || limit < 1 ||
      (c.stack_size != 0 && c.stack_size < 16384) ||
      c.stack_size > ((size_t) 1 << 30) ||
      (c.flags & ~(BEAM_RUN_FAULTS_ABORT | BEAM_RUN_NO_SPARES)) ||
      c.dirty_io_threads > 1024 || spares > BEAM__MAX_SCHED - n ||
      c.stack_guard > BEAM__STACK_GUARD_MAX || c.idle_stack_ms < -1)
    return BEAM_EINVAL;
  bool expected = false;
  if (!atomic_compare_exchange_strong(&beam__rt.running, &expected, true))
    return BEAM_EBUSY;

  int rc = beam__atoms_init();
  if (rc == 0 && c.atom_limit)
    rc = beam__atoms_set_limit(c.atom_limit);
  beam__rt.process_limit = limit;
  beam__rt.stack_size = c.stack_size ? c.stack_size : default_stack();
  beam__rt.start_ns = beam__now_ns();
  beam__rt.first_exit = NULL;
  atomic_store(&beam__rt.stopping, false);
  atomic_store(&beam__rt.qsbr.epoch, 1);
  atomic_store(&beam__rt.process_count, 0);
  atomic_store(&beam__rt.park.npidle, 0);
  atomic_store(&beam__rt.park.nspinning, 0);
  reset_queues(); /* a failed earlier boot may have left them set */
  if (rc == 0)
    rc = beam__ptab_init(limit);
  if (rc == 0)
    rc = beam__stack_init(beam__rt.stack_size,
                          c.stack_guard ? c.stack_guard
                                        : BEAM__STACK_GUARD_DEFAULT);
  beam__idle_configure(c.idle_stack_ms ? c.idle_stack_ms : 500);
  if (rc == 0)
    beam__fault_init(!(c.flags & BEAM_RUN_FAULTS_ABORT));
  if (rc == 0)
    rc = make_scheds(n, spares);
  if (rc == 0 &&
      (rc = beam__dirty_start(n, c.dirty_io_threads ? c.dirty_io_threads
                                                    : 10)) != 0)
    free_scheds();
  if (rc != 0)
    goto fail;

  beam__sched_t *s0 = beam__rt.sched[0];
  beam__tls()->sched = s0; /* spawn below sees a scheduler */
  rc = beam__proc_spawn(NULL, fn, arg, NULL, &beam__rt.first_pid);
  beam__tls()->sched = NULL;
  if (rc != 0) {
    beam__dirty_stop();
    free_scheds();
    goto fail;
  }
  unsigned started = 1;
  for (; started < n; started++) {
    beam__sched_t *s = beam__rt.sched[started];
    if (pthread_create(&s->thread, NULL, beam__sched_thread_main, s) != 0)
      break;
  }
  beam__rt.nsched_down = n - started;
  if (started < n) {
    /* Could not start every thread: run with fewer, as a smaller config. */
    for (unsigned i = started; i < n; i++)
      atomic_store(&beam__rt.sched[i]->qsbr.epoch, 0);
  }
  beam__sysmon_start(); /* if it cannot start: no watchdog, still correct */
  beam__sched_thread_main(s0);
  beam__sysmon_stop(); /* no spare starts after this */
  for (unsigned i = 1; i < started; i++)
    pthread_join(beam__rt.sched[i]->thread, NULL);
  beam__spare_join();
  beam__dirty_stop(); /* waits for calls in progress; before the reaping */

  reap_all();
  rc = first_exit_answer(c.exit_reason);
  beam__registry_reset();
  reset_queues();
  free_scheds();
  beam__fault_fini();
  beam__stack_fini();
  beam__ptab_fini();
  atomic_store(&beam__rt.running, false);
  return rc;

fail:
  beam__fault_fini();
  beam__stack_fini();
  beam__ptab_fini();
  atomic_store(&beam__rt.running, false);
  return rc;
}

size_t beam_process_count(void) {
  return atomic_load_explicit(&beam__rt.process_count, memory_order_relaxed);
}

size_t beam_process_limit(void) {
  return beam__rt.process_limit ? beam__rt.process_limit : (size_t) 1 << 20;
}

unsigned beam_scheduler_count(void) {
  return atomic_load(&beam__rt.running) ? beam__rt.nsched : 0;
}

unsigned beam_spare_scheduler_count(void) {
  return atomic_load(&beam__rt.running)
             ? atomic_load_explicit(&beam__rt.spare.nactive,
                                    memory_order_relaxed)
             : 0;
}
