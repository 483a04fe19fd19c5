/* SPDX-License-Identifier: MIT */
/*
** dirty_test.c: beam_dirty_io / beam_dirty_cpu (src/sched/dirty.c). A
** hundred processes block in a sleeping C call through beam_dirty_io
** while another process's 1 ms timer keeps ticking on time; results come
** back; an exit signal sent during a dirty call acts when it returns;
** errors.
*/
#include "../harness/check.h"

#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

static int64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void *blocking_sleep(void *arg) { /* a blocking C call */
  usleep((useconds_t) (uintptr_t) arg);
  return (void *) ((uintptr_t) arg + 1);
}

static void *crunch(void *arg) {
  uint64_t x = (uintptr_t) arg;
  for (int i = 0; i < 1000000; i++)
    x = x * 6364136223846793005u + 1442695040888963407u;
  return (void *) (uintptr_t) (x | 1);
}

static void io_worker(beam_term_t parent) {
  for (int i = 0; i < 4; i++) {
    void *r = NULL;
    ASSERT_OK(beam_dirty_io(blocking_sleep, (void *) (uintptr_t) 20000, &r));
    ASSERT_EQ((uintptr_t) r, 20001);
  }
  void *c = NULL;
  ASSERT_OK(beam_dirty_cpu(crunch, (void *) 7, &c));
  ASSERT_EQ((uintptr_t) c & 1, 1);
  ASSERT_OK(beam_send(parent, beam_atom("done")));
}

static void ticker(beam_term_t parent) {
  int64_t worst = 0, t = now_us();
  for (int i = 0; i < 300; i++) { /* 1 ms ticks */
    beam_receive(1, "never", NULL);
    int64_t n = now_us(), late = n - t - 1000;
    worst = late > worst ? late : worst;
    t = n;
  }
  ASSERT_OK(beam_send(parent, beam_tuple(2, beam_atom("late"),
                                         beam_int(worst))));
}

static void dirty_main(beam_term_t arg) {
  (void) arg;
  beam_pid_t p;
  ASSERT_OK(beam_spawn(ticker, beam_self(), &p));
  for (int i = 0; i < 100; i++)
    ASSERT_OK(beam_spawn(io_worker, beam_self(), &p));
  for (int i = 0; i < 100; i++)
    ASSERT_OK(beam_receive(30000, "done", NULL));
  beam_term_t late;
  ASSERT_OK(beam_receive(30000, "{late, L}", &late, NULL));
  int64_t us = 0;
  beam_get_int(late, &us);
  TLOG("1 ms ticker next to 100 processes in dirty I/O calls: worst lateness "
       "%.3f ms", (double) us / 1000);
  ASSERT_LT(us, 1000000); /* the schedulers were never blocked */
}

BEAM_TEST_T(dirty_io_blocking_calls_leave_the_schedulers_free, 60) {
  beam_config_t cfg = {.schedulers = 2};
  ASSERT_OK(beam_run(dirty_main, beam_nil(), &cfg));
}

/* ---- Signals during a dirty call; errors ---- */

static _Atomic int returned;

static void long_io(beam_term_t arg) {
  (void) arg;
  beam_dirty_io(blocking_sleep, (void *) (uintptr_t) 100000, NULL);
  atomic_store(&returned, 1); /* not reached: the kill acts at the return */
}

static void *never_called(void *arg) {
  return arg;
}

static void signals_main(beam_term_t arg) {
  (void) arg;
  beam_pid_t p;
  beam_term_t ref;
  ASSERT_OK(beam_spawn_monitor(long_io, beam_nil(), &p, &ref));
  beam_sleep(20); /* it is in the call */
  int64_t t0 = now_us();
  ASSERT_OK(beam_exit_signal(p, beam_atom("kill")));
  ASSERT_OK(beam_receive(5000, "{'DOWN', ~t, process, _, killed}", ref, NULL));
  TLOG("DOWN %.1f ms after the kill", (double) (now_us() - t0) / 1000);
  ASSERT_EQ(atomic_load(&returned), 0);
  ASSERT_EQ(beam_dirty_io(NULL, NULL, NULL), BEAM_EINVAL);
}

BEAM_TEST_T(dirty_kill_acts_when_the_call_returns, 30) {
  ASSERT_EQ(beam_dirty_io(never_called, NULL, NULL), BEAM_ENOTPROC);
  beam_config_t cfg = {.schedulers = 2, .dirty_io_threads = 4};
  ASSERT_OK(beam_run(signals_main, beam_nil(), &cfg));
  beam_config_t bad = {.dirty_io_threads = 5000};
  ASSERT_EQ(beam_run(signals_main, beam_nil(), &bad), BEAM_EINVAL);
}

/* One scheduler, parked while the only process is in a dirty call: the
** pool thread must wake it (a foreign thread readying a process). */
static void lone_main(beam_term_t arg) {
  (void) arg;
  for (int i = 0; i < 20; i++) {
    void *r = NULL;
    ASSERT_OK(beam_dirty_io(blocking_sleep, (void *) (uintptr_t) 1000, &r));
    ASSERT_EQ((uintptr_t) r, 1001);
  }
}

BEAM_TEST_T(dirty_wakes_a_parked_lone_scheduler, 20) {
  beam_config_t cfg = {.schedulers = 1};
  int64_t t0 = now_us();
  ASSERT_OK(beam_run(lone_main, beam_nil(), &cfg));
  TLOG("20 dirty calls of 1 ms on one scheduler: %.1f ms",
       (double) (now_us() - t0) / 1000);
  ASSERT_LT(now_us() - t0, 1500000); /* without the wake: ~100 ms per call */
}
