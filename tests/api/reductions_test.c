/* SPDX-License-Identifier: MIT */
/*
** reductions_test.c: a process that keeps calling the runtime, or that
** reports its own work with beam_yield_check / beam_consume, shares its
** scheduler (issue "Fairness", part 1). Everything here runs on ONE
** scheduler, so nothing but reductions can let the others run.
**
** Timing is not asserted tightly (benchmarks measure it: cbeam-bench
** fairness); the bounds here only catch starvation, which before
** reductions was total (the others never ran again).
*/
#include "../harness/check.h"

#include <stdatomic.h>
#include <time.h>

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static _Atomic int stop_hogs;

/* A C loop that reports its work: never blocks, never sends. */
static void checking_hog(beam_term_t arg) {
  (void) arg;
  volatile uint64_t x = 1;
  while (!atomic_load_explicit(&stop_hogs, memory_order_relaxed)) {
    x = x * 6364136223846793005u + 1;
    beam_yield_check();
  }
}

/* A loop that only sends (to a process that never reads). */
static void flooder(beam_term_t sink) {
  while (!atomic_load_explicit(&stop_hogs, memory_order_relaxed)) {
    beam_mark_t m = beam_arena_mark();
    beam_send(sink, beam_tuple(2, beam_atom("junk"), beam_int(1)));
    beam_arena_release(m);
  }
}

/* A loop that only builds terms and receives from an empty mailbox with
** timeout 0 (a poll): term building is charged, receive is the
** checkpoint. */
static void poller(beam_term_t arg) {
  (void) arg;
  while (!atomic_load_explicit(&stop_hogs, memory_order_relaxed)) {
    beam_mark_t m = beam_arena_mark();
    for (int i = 0; i < 10; i++)
      beam_list(2, beam_int(i), beam_atom("x"));
    beam_receive(0, "never", NULL);
    beam_arena_release(m);
  }
}

static void sink(beam_term_t arg) {
  (void) arg;
  beam_receive(BEAM_INFINITY, "stop", NULL);
}

static void ponger(beam_term_t arg) {
  (void) arg;
  for (;;) {
    beam_pid_t from;
    beam_term_t n;
    int c = beam_receive(BEAM_INFINITY, "{ping, F, N}", &from, &n, "stop",
                         NULL);
    if (c != 0)
      return;
    beam_send(from, beam_tuple(2, beam_atom("pong"), n));
  }
}

/* 2,000 round trips next to the hogs; returns the worst, in ms. */
static double round_trips(beam_pid_t pong) {
  int64_t worst = 0;
  for (int i = 0; i < 2000; i++) {
    beam_mark_t m = beam_arena_mark();
    int64_t t0 = now_ns();
    ASSERT_OK(beam_send(pong, beam_tuple(3, beam_atom("ping"), beam_self(),
                                         beam_int(i))));
    ASSERT_OK(beam_receive(10000, "{pong, ~i}", (int64_t) i, NULL));
    int64_t d = now_ns() - t0;
    worst = d > worst ? d : worst;
    beam_arena_release(m);
  }
  return (double) worst / 1e6;
}

static void hogs_main(beam_term_t arg) {
  beam_fn_t hog = beam_is(arg, "check") ? checking_hog
                  : beam_is(arg, "send") ? flooder
                                         : poller;
  beam_pid_t s, pong, h[3];
  ASSERT_OK(beam_spawn(sink, beam_nil(), &s));
  ASSERT_OK(beam_spawn(ponger, beam_nil(), &pong));
  for (int i = 0; i < 3; i++)
    ASSERT_OK(beam_spawn(hog, s, &h[i]));
  beam_sleep(20); /* the hogs are running */
  double worst = round_trips(pong);
  TLOG("%s hogs: worst round trip %.3f ms", beam_atom_name(arg), worst);
  ASSERT_LT(worst, 1000); /* starvation, not speed: see the bench */
  atomic_store(&stop_hogs, 1);
  ASSERT_OK(beam_send(pong, beam_atom("stop")));
  ASSERT_OK(beam_send(s, beam_atom("stop")));
}

static void run_hogs(const char *kind) {
  atomic_store(&stop_hogs, 0);
  beam_config_t cfg = {.schedulers = 1};
  ASSERT_OK(beam_run(hogs_main, beam_atom(kind), &cfg));
}

BEAM_TEST_T(reductions_yield_check_loops_share_one_scheduler, 30) {
  run_hogs("check");
}

BEAM_TEST_T(reductions_send_loops_share_one_scheduler, 30) {
  run_hogs("send");
}

BEAM_TEST_T(reductions_build_and_poll_loops_share_one_scheduler, 30) {
  run_hogs("poll");
}

/* ---- Accounting, kill, errors ---- */

static void busy_then_wait(beam_term_t arg) {
  (void) arg;
  for (int i = 0; i < 100; i++)
    ASSERT_TRUE(beam_consume(1000) >= 0);
  beam_receive(BEAM_INFINITY, "stop", NULL);
}

static void spinner(beam_term_t arg) {
  (void) arg;
  for (;;)
    beam_yield_check();
}

static void accounting_main(beam_term_t arg) {
  (void) arg;
  beam_pid_t p;
  ASSERT_OK(beam_spawn(busy_then_wait, beam_nil(), &p));
  beam_process_info_t info;
  for (int i = 0; i < 100; i++) { /* until it waits */
    ASSERT_OK(beam_process_info(p, &info));
    if (beam_is(info.status, "waiting"))
      break;
    beam_sleep(1);
  }
  TLOG("reductions %" PRIu64, info.reductions);
  ASSERT_GE(info.reductions, 100000);
  ASSERT_LT(info.reductions, 110000);
  ASSERT_OK(beam_send(p, beam_atom("stop")));
  ASSERT_EQ(beam_consume(-1), BEAM_EINVAL);
  /* A kill reaches a process in a beam_yield_check loop. */
  beam_term_t ref;
  ASSERT_OK(beam_spawn_monitor(spinner, beam_nil(), &p, &ref));
  beam_yield();
  ASSERT_OK(beam_exit_signal(p, beam_atom("kill")));
  ASSERT_OK(beam_receive(5000, "{'DOWN', ~t, process, _, killed}", ref, NULL));
}

BEAM_TEST_T(reductions_counted_consumed_and_killable, 30) {
  ASSERT_EQ(beam_yield_check(), 0); /* outside a process: nothing */
  ASSERT_EQ(beam_consume(5), 0);
  beam_config_t cfg = {.schedulers = 1};
  ASSERT_OK(beam_run(accounting_main, beam_nil(), &cfg));
}
