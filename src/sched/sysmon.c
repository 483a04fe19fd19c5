/* SPDX-License-Identifier: MIT */
/*
** sysmon.c: the watchdog. A scheduler stuck in one process must not take
** the work queued behind it down with it.
**
** C code cannot be preempted safely at an arbitrary instruction, so a
** process in a loop that never calls the runtime keeps its scheduler's
** thread until it returns (reductions only act at runtime calls). What
** must not happen is that everything that scheduler was responsible for
** waits too: the processes in its run queue, and the timers in its wheel
** (receive timeouts, sleeps, send_after of processes that last ran there).
**
** Go's sysmon is the model. One thread, outside the schedulers, looks at
** each scheduler's 'slice_seq' every TICK_MS: the scheduler bumps it when a
** process is switched in and again when it comes back, so it is odd while
** a process runs. Odd and unchanged for BEAM__STUCK_MS (10 ms) means stuck:
** sysmon sets the scheduler's 'stuck' flag and wakes an idle scheduler.
** sysmon itself touches no run queue, wheel or descriptor (it is not a
** reclamation participant); the healthy schedulers do the work, in
** beam__sched_help_stuck(): they fire the stuck one's due timers into their
** own queues (the wheel is under 'timers.lock', so that is safe) and steal from
** its ring as from anyone's. The owner clears 'stuck' when its process
** comes back.
**
** When every scheduler is stuck nobody is left to help: then sysmon starts
** a spare scheduler thread (spare.c), which is an ordinary scheduler in
** every other respect and helps as above. Processes pinned to a stuck
** scheduler wait for it: they may run on its thread only.
**
** Cost: sysmon sleeps TICK_MS while any scheduler is running a process;
** when none is, it backs off, doubling its sleep up to IDLE_MS (as Go's
** sysmon does), so an idle runtime wakes it 50 times a second and a loop
** that starts soon after activity is still seen within a tick or two.
** Each look is one relaxed load per scheduler.
*/
#include "sysmon.h"
#include "../timer/timers.h"
#include "park.h"
#include "prio.h"
#include "runq.h"
#include "sched.h"
#include "spare.h"

#include <time.h>

#define TICK_MS 2
#define IDLE_MS 20

static struct {
  pthread_t thread;
  bool started;
  uint64_t *seen;      /* last slice_seq seen, per scheduler */
  int64_t *since_ms;   /* when it was first seen */
} mon;

static void sleep_ms(int ms) {
  struct timespec ts = {0, (long) ms * 1000000L};
  nanosleep(&ts, NULL);
}

/* Is there work nobody can do? Asked when every scheduler is stuck. */
static bool work_waiting(bool stuck_has_work) {
  return stuck_has_work ||
         atomic_load_explicit(&beam__rt.gq.len, memory_order_relaxed) > 0 ||
         beam__prio_any();
}

/* Wake the spares that are not benched: one parked on the idle list
** would otherwise sleep on, counted as active, until work came. */
static void nudge_spares(unsigned live) {
  for (unsigned i = beam__rt.nsched; i < live; i++) {
    beam__sched_t *s = beam__rt.sched[i];
    if (!atomic_load_explicit(&s->bench.benched, memory_order_relaxed))
      beam__sched_unpark(s);
  }
}

/* One look at every scheduler; returns true if any is in a slice. */
static bool look(int64_t now) {
  bool busy = false, wake = false, stuck_has_work = false;
  unsigned stuck = 0, stuck_active = 0;
  unsigned live = beam__sched_live();
  for (unsigned i = 0; i < live; i++) {
    beam__sched_t *s = beam__rt.sched[i];
    uint64_t seq =
        atomic_load_explicit(&s->sysmon.slice_seq, memory_order_relaxed);
    if (seq != mon.seen[i] || !(seq & 1)) {
      mon.seen[i] = seq;
      mon.since_ms[i] = now;
      busy |= seq & 1;
      continue;
    }
    busy = true;
    if (now - mon.since_ms[i] < BEAM__STUCK_MS)
      continue;
    stuck++;
    if (!(s->spare &&
          atomic_load_explicit(&s->bench.benched, memory_order_relaxed)))
      stuck_active++;
    if (!atomic_load_explicit(&s->sysmon.stuck, memory_order_relaxed)) {
      atomic_store_explicit(&s->sysmon.stuck, true, memory_order_seq_cst);
      wake = true;
    }
    /* Work it cannot do: wake a helper (again, while there is some). */
    if (!beam__runq_empty(s) ||
        atomic_load_explicit(&s->timers.next, memory_order_relaxed) <=
            beam__rt_now_ms())
      wake = stuck_has_work = true;
  }
  atomic_store_explicit(&beam__rt.sysmon.nstuck, stuck, memory_order_relaxed);
  atomic_store_explicit(&beam__rt.sysmon.nstuck_active, stuck_active,
                        memory_order_relaxed);
  unsigned healthy = beam__sched_healthy();
  if (healthy == 0) {
    if (work_waiting(stuck_has_work))
      beam__spare_start(); /* one per look: it has STUCK_MS to prove itself */
    return busy;
  }
  if (wake) {
    beam__fence_seq_cst();
    beam__sched_wakep();
  }
  if (healthy >= 2 &&
      atomic_load_explicit(&beam__rt.spare.nactive, memory_order_relaxed))
    nudge_spares(live); /* an idle one must look again, and bench itself */
  return busy;
}

static void *sysmon_main(void *arg) {
  (void) arg;
  int ms = TICK_MS;
  while (!atomic_load_explicit(&beam__rt.stopping, memory_order_relaxed)) {
    bool busy = look(beam__now_ns() / 1000000);
    ms = busy ? TICK_MS : (ms * 2 < IDLE_MS ? ms * 2 : IDLE_MS);
    sleep_ms(ms);
  }
  return NULL;
}

int beam__sysmon_start(void) {
  unsigned n = beam__rt.maxsched;
  mon.seen = beam__calloc(n, sizeof *mon.seen);
  mon.since_ms = beam__calloc(n, sizeof *mon.since_ms);
  atomic_store(&beam__rt.sysmon.nstuck, 0);
  atomic_store(&beam__rt.sysmon.nstuck_active, 0);
  mon.started = mon.seen && mon.since_ms &&
                pthread_create(&mon.thread, NULL, sysmon_main, NULL) == 0;
  return mon.started ? 0 : BEAM_ENOMEM;
}

void beam__sysmon_stop(void) {
  if (mon.started)
    pthread_join(mon.thread, NULL);
  mon.started = false;
  beam__free(mon.seen);
  beam__free(mon.since_ms);
  mon.seen = NULL;
  mon.since_ms = NULL;
}

/* [sched] Fire the due timers of stuck schedulers into 's'; returns how
** many fired. Stealing their queued processes is left to find_work. */
size_t beam__sched_help_stuck(beam__sched_t *s) {
  if (!atomic_load_explicit(&beam__rt.sysmon.nstuck, memory_order_relaxed))
    return 0;
  size_t n = 0;
  uint64_t now = beam__rt_now_ms();
  for (unsigned i = 0; i < beam__sched_live(); i++) {
    beam__sched_t *o = beam__rt.sched[i];
    if (o != s &&
        atomic_load_explicit(&o->sysmon.stuck, memory_order_acquire) &&
        atomic_load_explicit(&o->timers.next, memory_order_relaxed) <= now)
      n += beam__timers_fire(o, s);
  }
  return n;
}

/* The earliest due timer of a stuck scheduler (for a helper's park). */
uint64_t beam__sched_stuck_deadline(void) {
  uint64_t d = UINT64_MAX;
  if (!atomic_load_explicit(&beam__rt.sysmon.nstuck, memory_order_relaxed))
    return d;
  for (unsigned i = 0; i < beam__sched_live(); i++) {
    beam__sched_t *o = beam__rt.sched[i];
    uint64_t t = atomic_load_explicit(&o->timers.next, memory_order_relaxed);
    if (atomic_load_explicit(&o->sysmon.stuck, memory_order_relaxed) && t < d)
      d = t;
  }
  return d;
}
