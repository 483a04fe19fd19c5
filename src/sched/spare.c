/* SPDX-License-Identifier: MIT */
/*
** spare.c: spare scheduler threads, for when every scheduler is stuck.
**
** The watchdog (sysmon.c) lets healthy schedulers take over the queue and
** the timers of a scheduler stuck in a C loop that makes no runtime call.
** When every scheduler is stuck, nobody is left to do that, and all other
** processes and timers would wait for one of those loops to end. Nothing
** can preempt the loops (C is not safe to interrupt at an arbitrary
** instruction), so the answer is another thread, as Go gives a blocked
** thread's run queue to a new one: sysmon starts a *spare*, which runs the
** loop of an ordinary scheduler (its own ring, wheel, stack cache and
** reclamation slot) and so steals the stuck ones' queues and fires their
** timers like any healthy scheduler.
**
** Rules and invariants:
**  - Spares are slots nsched .. maxsched-1 of rt.sched (maxsched is fixed
**    at boot, so a spare's id fits in a timer ref). A slot is allocated and
**    its pointer written before rt.nlive counts it (seq_cst), and freed
**    only when beam_run returns: any thread may walk the slots up to nlive
**    without a lock. A spare goes online for reclamation only after it is
**    counted, so a reclaimer that read nlive before cannot miss it.
**  - healthy = nsched + spare.nactive - sysmon.nstuck_active. sysmon starts a
**    spare (waking a benched one first, else a new thread) when healthy is
**    0 and work waits (a queued process, a due timer of a stuck scheduler),
**    one per look: the new one gets BEAM__STUCK_MS to prove itself before
**    another may start. A spare benches itself when healthy >= 2, not 1, so
**    that it does not flap when one loop ends.
**  - Only sysmon unbenches a spare and increments spare.nactive; only the
**    spare benches itself and decrements it, by CAS on the count, so that
**    two spares cannot both leave when one should stay. (Between that CAS
**    and its 'benched' store a spare is neither counted nor benched; if
**    sysmon needs one in that moment it starts a new thread: one more
**    idle thread, within the limit, not a wrong count.)
**  - A benched spare moves its queued processes to the global queue and
**    parks off the idle list (wakep must not pick it). It still wakes for
**    its own timers (they stay in its wheel; it fires them and hands the
**    woken processes out), for its limbo (dead descriptors only it
**    reclaims), for its pinned processes (they run on their home thread
**    only) and when sysmon needs it again. Its thread lives until the
**    runtime stops. What its pinned processes ready goes to its own ring
**    with a wakeup (beam__sched_ready), and the others steal it.
**  - A stuck process keeps its thread until it returns to the runtime.
**
** Cost: nothing unless every scheduler is stuck; then one thread per
** extra stuck process, up to the limit (beam_config_t.spare_schedulers).
** The OS shares the cores among the stuck threads and the spare, so a
** round trip next to the loops waits about one OS time slice at worst.
*/
#include "spare.h"
#include "../proc/idle.h"
#include "../proc/stack.h"
#include "../timer/timers.h"
#include "park.h"
#include "runq.h"
#include "sched.h"
#include "sysmon.h"

/* Normal schedulers whose thread runs. */
static unsigned threads_up(void) {
  return beam__rt.nsched - beam__rt.nsched_down;
}

unsigned beam__sched_healthy(void) {
  unsigned active = threads_up() + atomic_load_explicit(&beam__rt.spare.nactive,
                                                        memory_order_relaxed);
  unsigned stuck = atomic_load_explicit(&beam__rt.sysmon.nstuck_active,
                                        memory_order_relaxed);
  return active > stuck ? active - stuck : 0;
}

bool beam__spare_should_bench(void) {
  return beam__sched_healthy() >= 2;
}

static bool try_bench(beam__sched_t *s) {
  unsigned k =
      atomic_load_explicit(&beam__rt.spare.nactive, memory_order_relaxed);
  do {
    unsigned stuck = atomic_load_explicit(&beam__rt.sysmon.nstuck_active,
                                          memory_order_relaxed);
    if (k == 0 || threads_up() + k < stuck + 2)
      return false;
  } while (!atomic_compare_exchange_weak_explicit(&beam__rt.spare.nactive, &k,
                                                  k - 1, memory_order_seq_cst,
                                                  memory_order_relaxed));
  atomic_store_explicit(&s->bench.benched, true, memory_order_seq_cst);
  return true;
}

/* Fire what is due in our wheel, and give every queued process away. */
static void hand_out(beam__sched_t *s) {
  beam__idle_flush(s); /* give back the stacks it gathered */
  if (atomic_load_explicit(&s->timers.next, memory_order_relaxed) <=
      beam__rt_now_ms())
    beam__timers_run(s);
  bool moved = false;
  beam__proc_t *p;
  while ((p = beam__runq_get(s))) {
    beam__gq_push(p);
    moved = true;
  }
  if (moved) {
    beam__fence_seq_cst(); /* the work is published before npidle is read */
    beam__sched_wakep();
  }
}

bool beam__spare_benched(beam__sched_t *s) {
  if (!atomic_load_explicit(&s->bench.benched, memory_order_acquire) &&
      (BEAM_LIKELY(!beam__spare_should_bench()) || !try_bench(s)))
    return false;
  /* The processes that last waited here are still on its idle list: it
  ** keeps looking at them, asleep between passes (idle.c); first, since a
  ** pass may ready one, which hand_out then gives away. */
  uint64_t idle = beam__idle_step(s, beam__rt_now_ms());
  hand_out(s);
  if (!atomic_load_explicit(&s->pinned.has, memory_order_acquire)) {
    if (s->stacks.cached) /* warm stacks are of no use to a sleeper */
      beam__stack_release_cache(s);
    uint64_t wake = atomic_load_explicit(&s->timers.next, memory_order_relaxed);
    uint64_t soon = beam__rt_now_ms() + 10; /* limbo waits for others */
    if (s->qsbr.limbo_head && soon < wake)
      wake = soon;
    beam__sched_park_benched(s, idle < wake ? idle : wake);
  }
  return atomic_load_explicit(&s->bench.benched, memory_order_acquire);
}

/* [sysmon] Wake a benched spare whose thread runs. */
static bool unbench_one(void) {
  unsigned live = beam__sched_live();
  for (unsigned i = beam__rt.nsched; i < live; i++) {
    beam__sched_t *s = beam__rt.sched[i];
    /* Not one that is running (or stuck in) a pinned process. */
    if (s->bench.thread_started &&
        atomic_load_explicit(&s->bench.benched, memory_order_acquire) &&
        !(atomic_load_explicit(&s->sysmon.slice_seq, memory_order_relaxed) &
          1)) {
      /* Counted before it can run, so it does not bench itself at once. */
      atomic_fetch_add_explicit(&beam__rt.spare.nactive, 1,
                                memory_order_seq_cst);
      atomic_store_explicit(&s->bench.benched, false, memory_order_seq_cst);
      beam__sched_unpark(s);
      return true;
    }
  }
  return false;
}

/* [sysmon] After a failed pthread_create, when to try again. */
static uint64_t retry_ms;

bool beam__spare_start(void) {
  if (unbench_one())
    return true;
  unsigned live = beam__sched_live();
  if (live >= beam__rt.maxsched || beam__rt_now_ms() < retry_ms)
    return false;
  beam__sched_t *s = beam__rt.sched[live];
  if (!s && !(s = beam__rt.sched[live] = beam__sched_new(live)))
    return false;
  s->spare = true;
  atomic_fetch_add_explicit(&beam__rt.spare.nactive, 1, memory_order_seq_cst);
  atomic_store_explicit(&beam__rt.nlive, live + 1, memory_order_seq_cst);
  if (pthread_create(&s->thread, NULL, beam__sched_thread_main, s) != 0) {
    /* Never online, its ring empty: walkers that saw it lose nothing, and
    ** the slot is tried again at the next need. */
    atomic_store_explicit(&beam__rt.nlive, live, memory_order_seq_cst);
    atomic_fetch_sub_explicit(&beam__rt.spare.nactive, 1, memory_order_seq_cst);
    retry_ms = beam__rt_now_ms() + BEAM__STUCK_MS;
    return false;
  }
  s->bench.thread_started = true;
  return true;
}

unsigned beam__spare_join(void) {
  unsigned n = 0;
  for (unsigned i = beam__rt.nsched; i < beam__rt.maxsched; i++) {
    beam__sched_t *s = beam__rt.sched[i];
    if (s && s->bench.thread_started) {
      pthread_join(s->thread, NULL);
      s->bench.thread_started = false;
      n++;
    }
  }
  return n;
}
