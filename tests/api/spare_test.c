/* SPDX-License-Identifier: MIT */
/*
** spare_test.c: more processes stuck in C loops than there are schedulers
** (src/sched/spare.c). The watchdog starts spare scheduler threads, so a
** ping-pong pair, sleeps and receive timeouts keep going; once the loops
** end the spares bench themselves, and what they left behind (timers in
** their wheels, processes pinned to them) still works.
**
** No wall-clock bound is asserted (the bench measures speed: cbeam-bench
** fairness): the loops run until the test stops them, so what the test
** asserts is that the others made progress while they ran; without the
** spares it hangs, and the runner's timeout fails it.
*/
#include "../harness/check.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

static _Atomic int stop_hogs;
static _Atomic int hogs_running, hogs_done; /* hogs that started, ended */

static int64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* arg: 1 to call beam_yield_check() in the loop, 0 for no runtime call. */
static void hog(beam_term_t arg) {
  int64_t yield_check = 0;
  beam_get_int(arg, &yield_check);
  volatile uint64_t x = 1;
  atomic_fetch_add(&hogs_running, 1);
  while (!atomic_load_explicit(&stop_hogs, memory_order_relaxed)) {
    x = x * 69069 + 1;
    if (yield_check)
      beam_yield_check();
  }
  atomic_fetch_add(&hogs_done, 1);
}

static void ponger(beam_term_t arg) {
  (void) arg;
  beam_pid_t from;
  beam_term_t n;
  while (beam_receive(BEAM_INFINITY, "{ping, F, N}", &from, &n, "stop",
                      NULL) == 0)
    beam_send(from, beam_tuple(2, beam_atom("pong"), n));
}

/* Wait (in a process) until no spare is at work; returns how long. A
** spare that never benches hangs the test. */
static int64_t wait_benched(void) {
  int64_t t0 = now_us();
  while (beam_spare_scheduler_count() != 0)
    beam_sleep(10);
  return (now_us() - t0) / 1000;
}

/* ---- The test: H hogs on 2 schedulers next to a pair ---- */

enum { HOGS = 4, CROWD_RTS = 2000 };

static unsigned crowd_spares;
static int crowd_yield_check;

static void crowd_main(beam_term_t yield_check) {
  beam_pid_t pong, h;
  ASSERT_OK(beam_spawn(ponger, beam_nil(), &pong));
  for (int i = 0; i < HOGS; i++)
    ASSERT_OK(beam_spawn(hog, yield_check, &h));
  /* Until every hog runs: plain ones then hold a thread each for good. */
  while (atomic_load(&hogs_running) < HOGS)
    beam_sleep(1);
  int64_t worst = 0;
  unsigned spares = 0;
  for (int64_t n = 0; n < CROWD_RTS; n++) {
    beam_mark_t m = beam_arena_mark();
    int64_t t0 = now_us();
    ASSERT_OK(beam_send(pong, beam_tuple(3, beam_atom("ping"), beam_self(),
                                         beam_int(n))));
    ASSERT_OK(beam_receive(BEAM_INFINITY, "{pong, ~i}", n, NULL));
    int64_t d = now_us() - t0;
    worst = d > worst ? d : worst;
    unsigned k = beam_spare_scheduler_count();
    spares = k > spares ? k : spares;
    beam_arena_release(m);
  }
  /* The pair's round trips all happened while every hog still ran. */
  int done = atomic_load(&hogs_done);
  ASSERT_EQ(done, 0);
  atomic_store(&stop_hogs, 1);
  crowd_spares = spares;
  TLOG("%d hogs (yield_check %d) on 2 schedulers: %d round trips, worst "
       "%.3f ms, %u spares at most; benched in %" PRId64 " ms",
       HOGS, crowd_yield_check, CROWD_RTS, worst / 1000.0, spares,
       wait_benched());
  ASSERT_OK(beam_send(pong, beam_atom("stop")));
}

static void run_crowd(int yield_check) {
  atomic_store(&stop_hogs, 0);
  atomic_store(&hogs_running, 0);
  atomic_store(&hogs_done, 0);
  crowd_yield_check = yield_check;
  beam_config_t cfg = {.schedulers = 2};
  ASSERT_RAN(beam_run(crowd_main, beam_int(yield_check), &cfg));
}

/* Loops that never call the runtime: a spare per extra hog, and one more
** for the pair, which completes its round trips while all four loops run.
** `cbeam-bench fairness --hogs 4` measures how fast. */
BEAM_TEST_T(spare_pair_runs_next_to_more_hogs_than_schedulers, 60) {
  run_crowd(0);
  ASSERT_GE(crowd_spares, 1u);
  ASSERT_LE(crowd_spares, 8u); /* the default limit */
}

/* Loops that call beam_yield_check: reductions alone share the two
** schedulers; a spare is not needed (one may still start if the OS stalls
** a scheduler for 10 ms, so that is not asserted). */
BEAM_TEST_T(spare_pair_runs_next_to_yielding_hogs, 60) {
  run_crowd(1);
}

/* ---- One scheduler: the P11 case ---- */

static int64_t slept_ms;
static _Atomic int stop_busy, busy_done;

/* A loop with no runtime call, for 'arg' ms, or (0) until stop_busy. */
static void busy_loop(beam_term_t arg) {
  int64_t ms = 0;
  beam_get_int(arg, &ms);
  int64_t until = ms ? now_us() + ms * 1000 : INT64_MAX;
  while (!atomic_load_explicit(&stop_busy, memory_order_relaxed) &&
         now_us() < until)
    ;
  atomic_store(&busy_done, 1);
}

/* [proc] Start a C loop of 'loop_ms' (0: until stop_busy), then time a
** 10 ms sleep into 'slept_ms'; returns whether the loop had ended by the
** time the sleep did. */
static int sleep_behind_a_loop(int64_t loop_ms) {
  beam_pid_t b;
  atomic_store(&stop_busy, 0);
  atomic_store(&busy_done, 0);
  ASSERT_OK(beam_spawn(busy_loop, beam_int(loop_ms), &b));
  int64_t t0 = now_us();
  ASSERT_OK(beam_sleep(10));
  slept_ms = (now_us() - t0) / 1000;
  ASSERT_GE(slept_ms, 10);
  return atomic_load(&busy_done);
}

static void one_sched_main(beam_term_t arg) {
  (void) arg;
  /* The loop runs until we stop it: we woke while it still ran. Our
  ** sleep's timer was in the stuck scheduler's wheel; a spare fired it and
  ** runs us. */
  ASSERT_EQ(sleep_behind_a_loop(0), 0);
  ASSERT_EQ(beam_spare_scheduler_count(), 1u);
  atomic_store(&stop_busy, 1);
  TLOG("a 10 ms sleep behind a C loop on 1 scheduler: %" PRId64
       " ms; spares benched %" PRId64 " ms after the loop was stopped",
       slept_ms, wait_benched());
}

BEAM_TEST_T(spare_one_scheduler_sleep_behind_a_loop, 30) {
  beam_config_t cfg = {.schedulers = 1};
  ASSERT_RAN(beam_run(one_sched_main, beam_nil(), &cfg));
}

static void no_spares_main(beam_term_t arg) {
  (void) arg;
  ASSERT_EQ(sleep_behind_a_loop(400), 1); /* woke only after the loop */
  ASSERT_EQ(beam_spare_scheduler_count(), 0u);
  TLOG("a 10 ms sleep behind a 400 ms loop, no spares: %" PRId64 " ms",
       slept_ms);
}

/* BEAM_RUN_NO_SPARES: the sleep waits for the loop, as before spares. */
BEAM_TEST_T(spare_none_when_disabled, 30) {
  beam_config_t cfg = {.schedulers = 1, .flags = BEAM_RUN_NO_SPARES};
  ASSERT_RAN(beam_run(no_spares_main, beam_nil(), &cfg));
}

/* ---- What a benched spare leaves behind ---- */

/* [proc] On one scheduler: a hog takes it, and a spare runs the caller. */
static void move_onto_a_spare(void) {
  beam_pid_t h;
  atomic_store(&stop_hogs, 0);
  ASSERT_OK(beam_spawn(hog, beam_int(0), &h));
  beam_sleep(30); /* our timer is in the stuck wheel: a spare fires it */
  ASSERT_EQ(beam_spare_scheduler_count(), 1u);
}

/* Runs on the spare (its scheduler is the only healthy one): arms a 300 ms
** receive timeout, in the spare's wheel, then reports. */
static void timeout_waiter(beam_term_t parent) {
  int64_t t0 = now_us();
  int rc = beam_receive(300, "never", NULL);
  beam_send(parent, beam_tuple(3, beam_atom("timed_out"), beam_int(rc),
                               beam_int((now_us() - t0) / 1000)));
}

static void echo_pinned(beam_term_t arg) {
  (void) arg;
  beam_pid_t from;
  while (beam_receive(BEAM_INFINITY, "{echo, F}", &from, "stop", NULL) == 0)
    beam_send(from, beam_atom("echoed"));
}

static void leftovers_main(beam_term_t arg) {
  (void) arg;
  beam_pid_t w, pin;
  move_onto_a_spare();
  ASSERT_OK(beam_spawn(timeout_waiter, beam_self(), &w));
  beam_spawn_opts_t o = {.flags = BEAM_SPAWN_PINNED};
  ASSERT_OK(beam_spawn_opt(echo_pinned, beam_nil(), &o, &pin));
  ASSERT_OK(beam_send(pin, beam_tuple(2, beam_atom("echo"), beam_self())));
  ASSERT_OK(beam_receive(5000, "echoed", NULL));
  beam_sleep(20); /* the waiter's timer is armed */
  atomic_store(&stop_hogs, 1);
  wait_benched();
  /* The waiter's timeout fires from the benched spare's wheel (if it
  ** never does, this waits until the runner's timeout). */
  beam_term_t rct, mst;
  int64_t rc = 0, ms = 0;
  ASSERT_OK(
      beam_receive(BEAM_INFINITY, "{timed_out, Rc, Ms}", &rct, &mst, NULL));
  ASSERT_OK(beam_get_int(rct, &rc));
  ASSERT_OK(beam_get_int(mst, &ms));
  ASSERT_EQ(rc, BEAM_ETIMEDOUT);
  ASSERT_GE(ms, 300); /* at least the timeout; how late is for the bench */
  TLOG("a 300 ms timeout in a benched spare's wheel ended after %" PRId64 " ms",
       ms);
  /* The pinned process lives on the benched spare's thread, and answers. */
  ASSERT_OK(beam_send(pin, beam_tuple(2, beam_atom("echo"), beam_self())));
  ASSERT_OK(beam_receive(5000, "echoed", NULL));
  ASSERT_OK(beam_send(pin, beam_atom("stop")));
}

BEAM_TEST_T(spare_benched_keeps_its_timers_and_pinned_processes, 30) {
  beam_config_t cfg = {.schedulers = 1};
  ASSERT_RAN(beam_run(leftovers_main, beam_nil(), &cfg));
}

/* A pinned process on a benched spare wakes another and then loops in C:
** the woken one lands in the spare's ring, and must not wait for the loop
** (found in review: on one scheduler it waited the whole 300 ms loop).
** Here the loop runs until the woken one stops it, so it must run while
** the loop does, or the test hangs. */
static _Atomic int stop_crunch, crunches_done;

static void pinned_cruncher(beam_term_t arg) {
  (void) arg;
  beam_pid_t from;
  while (beam_receive(BEAM_INFINITY, "{go, F}", &from, "stop", NULL) == 0) {
    beam_send(from, beam_atom("hi"));
    while (!atomic_load_explicit(&stop_crunch, memory_order_relaxed))
      ; /* no runtime call */
    atomic_fetch_add(&crunches_done, 1);
  }
}

static void pinned_waker_main(beam_term_t arg) {
  (void) arg;
  beam_pid_t pin;
  atomic_store(&stop_crunch, 0);
  atomic_store(&crunches_done, 0);
  move_onto_a_spare();
  beam_spawn_opts_t o = {.flags = BEAM_SPAWN_PINNED};
  ASSERT_OK(beam_spawn_opt(pinned_cruncher, beam_nil(), &o, &pin));
  atomic_store(&stop_hogs, 1);
  wait_benched();
  beam_sleep(50);
  int64_t t0 = now_us();
  ASSERT_OK(beam_send(pin, beam_tuple(2, beam_atom("go"), beam_self())));
  ASSERT_OK(beam_receive(BEAM_INFINITY, "hi", NULL));
  int crunched = atomic_load(&crunches_done);
  ASSERT_EQ(crunched, 0); /* its loop still runs */
  TLOG("woken by a pinned process on a benched spare that then loops: "
       "%" PRId64 " ms",
       (now_us() - t0) / 1000);
  atomic_store(&stop_crunch, 1);
  ASSERT_OK(beam_send(pin, beam_atom("stop")));
}

BEAM_TEST_T(spare_benched_spares_pinned_process_wakes_others_promptly, 30) {
  beam_config_t cfg = {.schedulers = 1};
  ASSERT_RAN(beam_run(pinned_waker_main, beam_nil(), &cfg));
  int crunched = atomic_load(&crunches_done);
  ASSERT_EQ(crunched, 1);
}

/* Benched spares are woken again: a second crowd reuses the threads. */
static void twice_main(beam_term_t arg) {
  (void) arg;
  for (int round = 0; round < 2; round++) {
    move_onto_a_spare();
    atomic_store(&stop_hogs, 1);
    wait_benched();
  }
}

BEAM_TEST_T(spare_benched_spare_comes_back, 30) {
  beam_config_t cfg = {.schedulers = 1};
  ASSERT_RAN(beam_run(twice_main, beam_nil(), &cfg));
}

/* ---- The limit ---- */

static _Atomic unsigned limit_seen;
static _Atomic int limit_hogs_seen; /* most hogs running at once */

static void limit_main(beam_term_t arg) {
  (void) arg;
  beam_pid_t h;
  for (int i = 0; i < 3; i++)
    ASSERT_OK(beam_spawn(hog, beam_int(0), &h));
  /* One scheduler and one spare: once two hogs hold both threads, the
  ** third hog and this process wait until the hogs stop on a clock
  ** outside. (The root may still run on the spare before the second hog
  ** starts: it must not end then, or the second hog would never start.) */
  while (!atomic_load(&stop_hogs))
    beam_sleep(1);
}

static void limit_sample(void) {
  unsigned k = beam_spare_scheduler_count();
  if (k > atomic_load(&limit_seen))
    atomic_store(&limit_seen, k);
  int n = atomic_load(&hogs_running);
  if (n > atomic_load(&limit_hogs_seen))
    atomic_store(&limit_hogs_seen, n);
  struct timespec ts = {0, 1000000L};
  nanosleep(&ts, NULL);
}

/* Until two hogs hold both threads (however long that takes), then 300
** looks more, then stop the hogs. */
static void *watch_then_stop(void *arg) {
  (void) arg;
  while (atomic_load(&hogs_running) < 2)
    limit_sample();
  for (int i = 0; i < 300; i++)
    limit_sample();
  atomic_store(&stop_hogs, 1);
  return NULL;
}

BEAM_TEST_T(spare_limit_is_kept, 30) {
  beam_config_t cfg = {.schedulers = 1, .spare_schedulers = 1};
  pthread_t t;
  atomic_store(&stop_hogs, 0);
  atomic_store(&hogs_running, 0);
  atomic_store(&limit_seen, 0);
  atomic_store(&limit_hogs_seen, 0);
  ASSERT_EQ(pthread_create(&t, NULL, watch_then_stop, NULL), 0);
  ASSERT_RAN(beam_run(limit_main, beam_nil(), &cfg));
  pthread_join(t, NULL);
  unsigned spares = atomic_load(&limit_seen);
  int at_once = atomic_load(&limit_hogs_seen);
  TLOG("1 scheduler + at most 1 spare, 3 hogs: %u spares, %d hogs at once",
       spares, at_once);
  ASSERT_EQ(spares, 1u);
  /* The third hog never ran while the other two did: a second spare would
  ** have started it. */
  ASSERT_EQ(at_once, 2);
}

BEAM_TEST(spare_config_is_checked) {
  beam_config_t cfg = {.schedulers = 4, .spare_schedulers = 1020};
  ASSERT_EQ(beam_run(limit_main, beam_nil(), &cfg), BEAM_EINVAL);
  cfg.spare_schedulers = 1019; /* 4 + 1019 = 1023 scheduler ids */
  cfg.flags = 1u << 7;
  ASSERT_EQ(beam_run(limit_main, beam_nil(), &cfg), BEAM_EINVAL);
  ASSERT_EQ(beam_spare_scheduler_count(), 0u); /* not running */
}
