/* SPDX-License-Identifier: MIT */
/* timer_test.c: sleep, send_after, cancel_timer, read_timer, many timers. */
#include "../harness/check.h"

#include <stdatomic.h>

static void timer_main(beam_term_t arg) {
  (void) arg;
  beam_pid_t me = beam_self();
  int64_t t0 = beam_monotonic_ms();
  ASSERT_OK(beam_sleep(50));
  ASSERT_GE(beam_monotonic_ms() - t0, 50);
  ASSERT_ERR(beam_sleep(-1), BEAM_EINVAL);

  beam_term_t tref;
  t0 = beam_monotonic_ms();
  ASSERT_OK(beam_send_after(30, me, beam_atom("tick"), &tref));
  int64_t left = beam_read_timer(tref);
  ASSERT_GT(left, 0);
  ASSERT_LE(left, 30);
  ASSERT_EQ(beam_receive(5000, "tick", NULL), 0);
  ASSERT_GE(beam_monotonic_ms() - t0, 30);
  /* It fired: cancel and read report that. */
  ASSERT_ERR(beam_cancel_timer(tref), BEAM_ENOENT);
  ASSERT_ERR(beam_read_timer(tref), BEAM_ENOENT);

  ASSERT_OK(beam_send_after(10000, me, beam_atom("never"), &tref));
  left = beam_cancel_timer(tref);
  ASSERT_GT(left, 9000);
  ASSERT_LE(left, 10000);
  ASSERT_ERR(beam_cancel_timer(tref), BEAM_ENOENT);
  ASSERT_ERR(beam_receive(50, "never", NULL), BEAM_ETIMEDOUT);

  /* Bad arguments. */
  ASSERT_ERR(beam_send_after(-1, me, beam_nil(), NULL), BEAM_EINVAL);
  ASSERT_ERR(beam_send_after(1, beam_int(1), beam_nil(), NULL), BEAM_EINVAL);
  ASSERT_ERR(beam_cancel_timer(beam_int(1)), BEAM_EINVAL);
  ASSERT_ERR(beam_cancel_timer(beam_make_ref()), BEAM_ENOENT);
  /* A timer that is still pending at shutdown is freed (LSan checks). */
  ASSERT_OK(beam_send_after(60000, me, beam_fmt("{big, ~b}", "x", (size_t) 1),
                            NULL));
}

BEAM_TEST(timer_sleep_send_after_cancel_read) {
  beam_config_t cfg = {.schedulers = 2};
  ASSERT_OK(beam_run(timer_main, beam_nil(), &cfg));
}

static _Atomic int64_t worst_late;

static void sleeper(beam_term_t arg) {
  beam_pid_t parent = beam_tuple_get(arg, 0);
  for (int i = 0; i < 10; i++) {
    int64_t t0 = beam_monotonic_ms();
    beam_sleep(10);
    int64_t late = beam_monotonic_ms() - t0 - 10;
    ASSERT_GE(late, 0);
    int64_t w = atomic_load(&worst_late);
    while (late > w && !atomic_compare_exchange_weak(&worst_late, &w, late))
      ;
  }
  beam_send(parent, beam_atom("done"));
}

static void many_main(beam_term_t arg) {
  (void) arg;
  int n = (int) (100000 * beam_test_scale());
#ifdef __SANITIZE_THREAD__
  n = n > 4000 ? 4000 : n; /* TSan: each fiber counts as a thread */
#endif
  beam_pid_t p;
  for (int i = 0; i < n; i++)
    ASSERT_OK(beam_spawn(sleeper, beam_tuple(1, beam_self()), &p));
  for (int i = 0; i < n; i++)
    ASSERT_EQ(beam_receive(30000, "done", NULL), 0);
  TLOG("%d processes x 10 sleeps of 10 ms: worst lateness %lld ms", n,
       (long long) atomic_load(&worst_late));
}

BEAM_TEST_T(timer_hundred_thousand_concurrent, 60) {
  beam_config_t cfg = {.schedulers = 2};
  ASSERT_OK(beam_run(many_main, beam_nil(), &cfg));
}

static void receiver_with_timeout(beam_term_t arg) {
  beam_pid_t parent = beam_tuple_get(arg, 0);
  int got = 0, timeouts = 0;
  for (;;) {
    int r = beam_receive(5, "ping", "stop", NULL);
    if (r == 0)
      got++;
    else if (r == 1)
      break;
    else {
      ASSERT_ERR(r, BEAM_ETIMEDOUT);
      timeouts++;
    }
  }
  beam_send(parent, beam_tuple(2, beam_int(got), beam_int(timeouts)));
}

/* Timeouts racing with messages, across schedulers. */
static void race_main(beam_term_t arg) {
  (void) arg;
  beam_pid_t p;
  ASSERT_OK(beam_spawn(receiver_with_timeout, beam_tuple(1, beam_self()), &p));
  int n = (int) (20000 * beam_test_scale());
  for (int i = 0; i < n; i++) {
    ASSERT_OK(beam_send(p, beam_atom("ping")));
    if (i % 100 == 0)
      beam_sleep(1 + i % 7);
  }
  ASSERT_OK(beam_send(p, beam_atom("stop")));
  beam_term_t got, timeouts;
  ASSERT_EQ(beam_receive(10000, "{Got, T}", &got, &timeouts, NULL), 0);
  ASSERT_TERM_EQ(got, beam_int(n));
}

BEAM_TEST_T(timer_timeouts_race_with_messages, 30) {
  beam_config_t cfg = {.schedulers = 2};
  ASSERT_OK(beam_run(race_main, beam_nil(), &cfg));
}
