/* SPDX-License-Identifier: MIT */
/*
** dirty_test.c: beam_dirty_io / beam_dirty_cpu (src/sched/dirty.c). A
** hundred processes block in C calls through beam_dirty_io while another
** process's 1 ms timer keeps ticking (the calls block until it has ticked:
** progress, not timing); results come back; an exit signal sent during a
** dirty call acts when it returns; errors.
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

/* A call that blocks until the ticker opens the gate. */
enum { IO_THREADS = 10, GATE_TICKS = 50 };
static _Atomic int gate_open, in_gate;

static void *wait_for_gate(void *arg) {
  atomic_fetch_add(&in_gate, 1);
  while (!atomic_load(&gate_open))
    usleep(1000);
  atomic_fetch_sub(&in_gate, 1);
  return (void *) ((uintptr_t) arg + 1);
}

static void io_worker(beam_term_t parent) {
  void *g = NULL;
  ASSERT_OK(beam_dirty_io(wait_for_gate, (void *) (uintptr_t) 7, &g));
  ASSERT_EQ((uintptr_t) g, 8);
  for (int i = 0; i < 3; i++) {
    void *r = NULL;
    ASSERT_OK(beam_dirty_io(blocking_sleep, (void *) (uintptr_t) 20000, &r));
    ASSERT_EQ((uintptr_t) r, 20001);
  }
  void *c = NULL;
  ASSERT_OK(beam_dirty_cpu(crunch, (void *) 7, &c));
  ASSERT_EQ((uintptr_t) c & 1, 1);
  ASSERT_OK(beam_send(parent, beam_atom("done")));
}

/* Ticks every 1 ms; opens the gate once it has ticked GATE_TICKS times
** while every dirty I/O thread was blocked in it (if the calls blocked
** the schedulers instead, it would never tick, and the test hangs), then
** ticks on until 300 in all. */
static void ticker(beam_term_t parent) {
  int64_t worst = 0, t = now_us();
  int gated = 0;
  for (int i = 0; i < 300 || !atomic_load(&gate_open); i++) { /* 1 ms ticks */
    beam_receive(1, "never", NULL);
    int64_t n = now_us(), late = n - t - 1000;
    worst = late > worst ? late : worst;
    t = n;
    if (atomic_load(&in_gate) == IO_THREADS && ++gated == GATE_TICKS)
      atomic_store(&gate_open, 1);
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
    ASSERT_OK(beam_receive(BEAM_INFINITY, "done", NULL));
  beam_term_t late;
  ASSERT_OK(beam_receive(BEAM_INFINITY, "{late, L}", &late, NULL));
  int64_t us = 0;
  beam_get_int(late, &us);
  TLOG("1 ms ticker next to 100 processes in dirty I/O calls: worst lateness "
       "%.3f ms",
       (double) us / 1000);
}

BEAM_TEST_T(dirty_io_blocking_calls_leave_the_schedulers_free, 60) {
  atomic_store(&gate_open, 0);
  atomic_store(&in_gate, 0);
  beam_config_t cfg = {.schedulers = 2, .dirty_io_threads = IO_THREADS};
  ASSERT_RAN(beam_run(dirty_main, beam_nil(), &cfg));
}

/* ---- Signals during a dirty call; errors ---- */

static _Atomic int returned, in_call, call_ended;

static void *marked_sleep(void *arg) { /* says when it runs and ends */
  atomic_store(&in_call, 1);
  usleep((useconds_t) (uintptr_t) arg);
  atomic_store(&call_ended, 1);
  return NULL;
}

static void long_io(beam_term_t arg) {
  (void) arg;
  beam_dirty_io(marked_sleep, (void *) (uintptr_t) 100000, NULL);
  atomic_store(&returned, 1); /* not reached: the kill acts at the return */
}

static void *never_called(void *arg) {
  return arg;
}

static void signals_main(beam_term_t arg) {
  (void) arg;
  beam_pid_t p;
  beam_term_t ref;
  atomic_store(&in_call, 0);
  atomic_store(&call_ended, 0);
  ASSERT_OK(beam_spawn_monitor(long_io, beam_nil(), &p, &ref));
  while (!atomic_load(&in_call)) /* it is in the call */
    beam_sleep(1);
  int64_t t0 = now_us();
  ASSERT_OK(beam_exit_signal(p, beam_atom("kill")));
  ASSERT_OK(beam_receive(BEAM_INFINITY, "{'DOWN', ~t, process, _, killed}", ref,
                         NULL));
  TLOG("DOWN %.1f ms after the kill", (double) (now_us() - t0) / 1000);
  int ended = atomic_load(&call_ended), ret = atomic_load(&returned);
  ASSERT_EQ(ended, 1); /* the kill acted once the call had returned */
  ASSERT_EQ(ret, 0);   /* and before the process went on */
  ASSERT_EQ(beam_dirty_io(NULL, NULL, NULL), BEAM_EINVAL);
}

BEAM_TEST_T(dirty_kill_acts_when_the_call_returns, 30) {
  ASSERT_EQ(beam_dirty_io(never_called, NULL, NULL), BEAM_ENOTPROC);
  beam_config_t cfg = {.schedulers = 2, .dirty_io_threads = 4};
  ASSERT_RAN(beam_run(signals_main, beam_nil(), &cfg));
  beam_config_t bad = {.dirty_io_threads = 5000};
  ASSERT_EQ(beam_run(signals_main, beam_nil(), &bad), BEAM_EINVAL);
}

/* One scheduler, parked while the only process is in a dirty call: the
** pool thread must wake it (a foreign thread readying a process); nothing
** else would, and the test would hang. */
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
  ASSERT_RAN(beam_run(lone_main, beam_nil(), &cfg));
  TLOG("20 dirty calls of 1 ms on one scheduler: %.1f ms",
       (double) (now_us() - t0) / 1000);
}
