/* SPDX-License-Identifier: MIT */
/*
** watchdog_test.c: a process in a C loop that never calls the runtime keeps
** its scheduler, but not what that scheduler was responsible for
** (src/sched/sysmon.c): with fewer such hogs than schedulers, processes
** sleeping, waiting with timeouts and doing round trips keep going, on
** the healthy scheduler. (More hogs than schedulers: spare_test.c.)
**
** No wall-clock bound: the hogs loop until the test stops them, and the
** test asserts that the others made progress meanwhile; without the
** watchdog it hangs, and the runner's timeout fails it.
*/
#include "../harness/check.h"

#include <stdatomic.h>
#include <time.h>

static _Atomic int stop_hog, hog_running, hog_done;

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void hog(beam_term_t arg) { /* never calls the runtime */
  (void) arg;
  volatile uint64_t x = 1;
  atomic_store(&hog_running, 1);
  while (!atomic_load_explicit(&stop_hog, memory_order_relaxed))
    x = x * 69069 + 1;
  atomic_store(&hog_done, 1);
}

static void ponger(beam_term_t arg) {
  (void) arg;
  for (;;) {
    beam_pid_t from;
    beam_term_t n;
    if (beam_receive(BEAM_INFINITY, "{ping, F, N}", &from, &n, "stop",
                     NULL) != 0)
      return;
    beam_send(from, beam_tuple(2, beam_atom("pong"), n));
  }
}

static void sleepers(beam_term_t arg) { /* ten 5 ms sleeps, timed */
  int64_t t0 = now_ms();
  for (int i = 0; i < 10; i++)
    beam_sleep(5);
  beam_send(arg, beam_tuple(2, beam_atom("slept"), beam_int(now_ms() - t0)));
}

static void watchdog_main(beam_term_t arg) {
  (void) arg;
  beam_pid_t h, pong, sl;
  /* Start sleepers and hogs together, so that some sleepers' timers are
  ** in the wheel of the scheduler the hog takes. */
  for (int i = 0; i < 8; i++)
    ASSERT_OK(beam_spawn(sleepers, beam_self(), &sl));
  ASSERT_OK(beam_spawn(hog, beam_nil(), &h));
  ASSERT_OK(beam_spawn(ponger, beam_nil(), &pong));
  beam_sleep(30); /* our own timer may be in the hog's wheel too */
  while (!atomic_load(&hog_running))
    beam_sleep(1);
  for (int i = 0; i < 1000; i++) {
    beam_mark_t m = beam_arena_mark();
    ASSERT_OK(beam_send(pong, beam_tuple(3, beam_atom("ping"), beam_self(),
                                         beam_int(i))));
    ASSERT_OK(beam_receive(BEAM_INFINITY, "{pong, ~i}", (int64_t) i, NULL));
    beam_arena_release(m);
  }
  int64_t worst = 0;
  for (int i = 0; i < 8; i++) { /* stuck forever without the watchdog */
    beam_term_t ms;
    ASSERT_OK(beam_receive(BEAM_INFINITY, "{slept, Ms}", &ms, NULL));
    int64_t v = 0;
    beam_get_int(ms, &v);
    worst = v > worst ? v : worst;
  }
  TLOG("10 x 5 ms sleeps next to a hog: slowest took %" PRId64 " ms", worst);
  /* The round trips and every sleep ended while the hog still ran. */
  int done = atomic_load(&hog_done);
  ASSERT_EQ(done, 0);
  atomic_store(&stop_hog, 1);
  ASSERT_OK(beam_send(pong, beam_atom("stop")));
}

BEAM_TEST_T(watchdog_a_hog_does_not_hold_its_schedulers_timers, 30) {
  atomic_store(&stop_hog, 0);
  atomic_store(&hog_running, 0);
  atomic_store(&hog_done, 0);
  beam_config_t cfg = {.schedulers = 2};
  ASSERT_RAN(beam_run(watchdog_main, beam_nil(), &cfg));
}

/* A process woken into its waker's 'runnext' wakes no idle scheduler
** (sched.c: the waker's scheduler runs it next). If the waker then stays
** in C instead of blocking, the woken one must not wait for the whole
** loop: sysmon sees the queued process and another scheduler takes it.
** The loop here runs until the woken one has run, so that one must run
** while the loop does, or the test hangs. */
static _Atomic int64_t woken_at_ms, sent_at_ms;
static _Atomic int woken_ran, loop_done;

static void woken(beam_term_t arg) {
  (void) arg;
  ASSERT_OK(beam_receive(BEAM_INFINITY, "go", NULL));
  atomic_store(&woken_at_ms, now_ms());
  int done = atomic_load(&loop_done);
  ASSERT_EQ(done, 0); /* ran while the waker was still in its loop */
  atomic_store(&woken_ran, 1);
}

static void waker_then_loop(beam_term_t target) {
  ASSERT_OK(beam_receive(BEAM_INFINITY, "start", NULL));
  atomic_store(&sent_at_ms, now_ms());
  ASSERT_OK(beam_send(target, beam_atom("go")));
  while (!atomic_load_explicit(&woken_ran, memory_order_relaxed))
    ; /* no runtime call */
  atomic_store(&loop_done, 1);
}

static void runnext_main(beam_term_t arg) {
  (void) arg;
  beam_pid_t w, k;
  atomic_store(&woken_ran, 0);
  atomic_store(&loop_done, 0);
  ASSERT_OK(beam_spawn(woken, beam_nil(), &w));
  ASSERT_OK(beam_spawn(waker_then_loop, w, &k));
  beam_sleep(20); /* both wait in receive; the other scheduler parks */
  beam_term_t ref = beam_monitor(w);
  ASSERT(beam_is_ref(ref));
  ASSERT_OK(beam_send(k, beam_atom("start")));
  ASSERT_OK(beam_receive(BEAM_INFINITY, "{'DOWN', ~t, process, _, normal}", ref,
                         NULL));
  TLOG("woken by a process that then loops in C: ran after %" PRId64 " ms",
       atomic_load(&woken_at_ms) - atomic_load(&sent_at_ms));
}

BEAM_TEST_T(watchdog_a_process_woken_by_a_looping_waker_runs_elsewhere, 30) {
  beam_config_t cfg = {.schedulers = 2};
  ASSERT_RAN(beam_run(runnext_main, beam_nil(), &cfg));
}
