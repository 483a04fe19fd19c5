/* SPDX-License-Identifier: MIT */
/*
** reductions_test.c: a process that keeps calling the runtime, or that
** reports its own work with beam_yield_check / beam_consume, shares its
** scheduler (issue "Fairness", part 1). Everything here runs on ONE
** scheduler, so nothing but reductions can let the others run.
**
** No timing is asserted (benchmarks measure it: cbeam-bench fairness):
** the tests assert progress on both sides, which before reductions was
** impossible (the others never ran again, and the test hangs until the
** runner's timeout).
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
/* Iterations of each of the three hogs: they run until stop_hogs. */
static _Atomic int64_t hog_iters[3];

/* arg: {Index, Sink}. */
static _Atomic int64_t *hog_counter(beam_term_t arg) {
  int64_t i = 0;
  beam_get_int(beam_tuple_get(arg, 0), &i);
  return &hog_iters[i];
}

/* A C loop that reports its work: never blocks, never sends. */
static void checking_hog(beam_term_t arg) {
  _Atomic int64_t *iters = hog_counter(arg);
  volatile uint64_t x = 1;
  while (!atomic_load_explicit(&stop_hogs, memory_order_relaxed)) {
    x = x * 6364136223846793005u + 1;
    atomic_fetch_add_explicit(iters, 1, memory_order_relaxed);
    beam_yield_check();
  }
}

/* A loop that only sends (to a process that never reads). */
static void flooder(beam_term_t arg) {
  _Atomic int64_t *iters = hog_counter(arg);
  beam_pid_t sink = beam_tuple_get(arg, 1);
  while (!atomic_load_explicit(&stop_hogs, memory_order_relaxed)) {
    beam_mark_t m = beam_arena_mark();
    beam_send(sink, beam_tuple(2, beam_atom("junk"), beam_int(1)));
    beam_arena_release(m);
    atomic_fetch_add_explicit(iters, 1, memory_order_relaxed);
  }
}

/* A loop that only builds terms and receives from an empty mailbox with
** timeout 0 (a poll): term building is charged, receive is the
** checkpoint. */
static void poller(beam_term_t arg) {
  _Atomic int64_t *iters = hog_counter(arg);
  while (!atomic_load_explicit(&stop_hogs, memory_order_relaxed)) {
    beam_mark_t m = beam_arena_mark();
    for (int i = 0; i < 10; i++)
      beam_list(2, beam_int(i), beam_atom("x"));
    beam_receive(0, "never", NULL);
    beam_arena_release(m);
    atomic_fetch_add_explicit(iters, 1, memory_order_relaxed);
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
    ASSERT_OK(beam_receive(BEAM_INFINITY, "{pong, ~i}", (int64_t) i, NULL));
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
    ASSERT_OK(beam_spawn(hog, beam_tuple(2, beam_int(i), s), &h[i]));
  for (int i = 0; i < 3; i++) /* until every hog is running */
    while (atomic_load(&hog_iters[i]) == 0)
      beam_sleep(1);
  /* Starvation, not speed (see the bench): the pair completes its round
  ** trips while all three hogs run (they stop only below). */
  double worst = round_trips(pong);
  TLOG("%s hogs: worst round trip %.3f ms", beam_atom_name(arg), worst);
  atomic_store(&stop_hogs, 1);
  ASSERT_OK(beam_send(pong, beam_atom("stop")));
  ASSERT_OK(beam_send(s, beam_atom("stop")));
}

static void run_hogs(const char *kind) {
  atomic_store(&stop_hogs, 0);
  for (int i = 0; i < 3; i++)
    atomic_store(&hog_iters[i], 0);
  beam_config_t cfg = {.schedulers = 1};
  ASSERT_RAN(beam_run(hogs_main, beam_atom(kind), &cfg));
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

/* The other way round: a ping-pong pair must not starve the hogs. A
** process woken into 'runnext' inherits what is left of the waker's slice
** (runq.c, sched.c run(): Go's inheritTime), so the pair shares one slice
** and then goes behind the ring; on the BEAM a woken process goes to the
** back of the queue. Found while writing the test above: run() used to
** give every process a fresh slice, so on one scheduler the pair handed
** the core back and forth through runnext and a hog in the ring got no
** turn while the round trips lasted. It asserts progress, not timing. */
static int64_t pair_hog_turns;

static void pair_main(beam_term_t arg) {
  (void) arg;
  beam_pid_t pong, h;
  ASSERT_OK(beam_spawn(ponger, beam_nil(), &pong));
  ASSERT_OK(
      beam_spawn(checking_hog, beam_tuple(2, beam_int(0), beam_nil()), &h));
  while (atomic_load(&hog_iters[0]) == 0) /* the hog is running */
    beam_sleep(1);
  int64_t before = atomic_load(&hog_iters[0]);
  round_trips(pong); /* 2,000: far more reductions than one slice */
  pair_hog_turns = atomic_load(&hog_iters[0]) - before;
  atomic_store(&stop_hogs, 1);
  ASSERT_OK(beam_send(pong, beam_atom("stop")));
}

BEAM_TEST_T(reductions_pingpong_pair_does_not_starve_the_ring, 30) {
  atomic_store(&stop_hogs, 0);
  atomic_store(&hog_iters[0], 0);
  beam_config_t cfg = {.schedulers = 1, .flags = BEAM_RUN_NO_SPARES};
  ASSERT_RAN(beam_run(pair_main, beam_nil(), &cfg));
  TLOG("the hog made %" PRId64 " iterations during 2,000 round trips",
       pair_hog_turns);
  ASSERT_GT(pair_hog_turns, 0);
}

/* ---- A loop that only receives ---- */

/* Nothing but receive: a process that polls its mailbox with timeout 0 and
** takes the messages it gets shares its scheduler through the receive's
** own charge (1 per call, 1 per message looked at) and checkpoint. The
** poller above also builds terms, which are charged too, so it cannot tell
** a receive that charges nothing.
**
** One scheduler and BEAM_RUN_NO_SPARES: a spare would run the ticker next
** to a receiver that never yields. The ticker sends its count to the
** receiver, one tick per turn it gets, and the receiver loops until it has
** RECV_TICKS of them: they can only arrive while it is still in its
** receive loop if it gave up the scheduler. With a slice of 4,000
** reductions that takes about RECV_TICKS * 4,000 receives; RECV_CAP is 25
** times that, so a receiver that never yields fails the assertion (after
** RECV_CAP receives, not a wall-clock bound) instead of a timeout. */
enum { RECV_TICKS = 100, RECV_CAP = 10 * 1000 * 1000 };

static void tick_sender(beam_term_t to) {
  for (int64_t i = 1; i <= RECV_TICKS; i++) {
    beam_mark_t m = beam_arena_mark();
    ASSERT_OK(beam_send(to, beam_tuple(2, beam_atom("tick"), beam_int(i))));
    beam_arena_release(m);
    beam_yield(); /* one tick per turn */
  }
}

static int is_tick(beam_term_t msg, void *ctx) {
  (void) ctx;
  return beam_is_tuple(msg) && beam_tuple_size(msg) == 2 &&
         beam_is(beam_tuple_get(msg, 0), "tick");
}

/* arg: pattern, any or fn: which receive the loop uses. */
static void receive_only_main(beam_term_t kind) {
  beam_pid_t t;
  ASSERT_OK(beam_spawn(tick_sender, beam_self(), &t));
  int64_t ticks = 0, polls = 0, empty = 0;
  /* Nothing in the loop but the receive: beam_is(), beam_arena_release()
  ** and any term building charge a reduction too. */
  int how = beam_is(kind, "pattern") ? 0 : beam_is(kind, "any") ? 1 : 2;
  beam_mark_t m = beam_arena_mark();
  while (ticks < RECV_TICKS && polls < RECV_CAP) {
    beam_term_t msg, n;
    int rc;
    if (how == 0)
      rc = beam_receive(0, "{tick, N}", &n, NULL);
    else if (how == 1)
      rc = beam_receive_any(0, &msg);
    else if ((rc = beam_receive_fn(0, is_tick, NULL, &msg)) == 1)
      rc = 0;
    polls++;
    if (rc == 0) {
      ticks++;
      beam_arena_release(m); /* charges 1 too: only after a message */
    } else {
      ASSERT_ERR(rc, BEAM_ETIMEDOUT);
      empty++;
    }
  }
  TLOG("%s: %" PRId64 " ticks arrived during %" PRId64 " receives (%" PRId64
       " of them on an empty mailbox)",
       beam_atom_name(kind), ticks, polls, empty);
  ASSERT_EQ(ticks, RECV_TICKS); /* the ticker ran while we were looping */
  ASSERT_GT(empty, 0);          /* and the loop did poll an empty mailbox */
}

BEAM_TEST_T(reductions_receive_only_loop_shares_one_scheduler, 60) {
  const char *kinds[] = {"pattern", "any", "fn"};
  for (int i = 0; i < 3; i++) {
    beam_config_t cfg = {.schedulers = 1, .flags = BEAM_RUN_NO_SPARES};
    ASSERT_RAN(beam_run(receive_only_main, beam_atom(kinds[i]), &cfg));
  }
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
  ASSERT_RAN(beam_run(accounting_main, beam_nil(), &cfg));
}
