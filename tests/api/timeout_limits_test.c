/* SPDX-License-Identifier: MIT */
/* timeout_limits_test.c: huge timeouts wait (issue 15, defect 5). Any
** int64_t ms >= 0 is a valid timeout; past what the clock can represent it
** means "not in this universe's lifetime", never "at once", and the
** arithmetic never overflows (UBSan watches in the asan build). */
#include "../harness/check.h"

#include <limits.h>

static const int64_t huge[] = {
    INT64_MAX,
    INT64_MAX - 1,
    INT64_C(9300000000000), /* ms * 10^6 overflows int64 from ~9.2e12 */
    INT64_C(1) << 40,
    (INT64_C(1) << 32) + 1, /* past Erlang's limit */
};
#define NHUGE (sizeof huge / sizeof huge[0])

static void sleeper(beam_term_t arg) {
  beam_pid_t parent = beam_tuple_get(arg, 0);
  int64_t ms;
  ASSERT_OK(beam_get_int(beam_tuple_get(arg, 1), &ms));
  ASSERT_OK(beam_sleep(ms));
  beam_send(parent, beam_atom("slept"));
}

static void receiver(beam_term_t arg) {
  beam_pid_t parent = beam_tuple_get(arg, 0);
  int64_t ms;
  ASSERT_OK(beam_get_int(beam_tuple_get(arg, 1), &ms));
  int rc = beam_receive(ms, "never", NULL);
  beam_send(parent, beam_tuple(2, beam_atom("received"), beam_int(rc)));
}

/* 'fn' with a huge timeout has not finished after a real wait. */
static void stays_waiting(beam_fn_t fn, int64_t ms) {
  beam_pid_t p;
  ASSERT_OK(beam_spawn(fn, beam_tuple(2, beam_self(), beam_int(ms)), &p));
  ASSERT_ERR(beam_receive(50, "slept", "{received, _}", NULL), BEAM_ETIMEDOUT);
  ASSERT_EQ(beam_is_alive(p), 1);
  beam_term_t ref = beam_monitor(p);
  ASSERT_OK(beam_exit_signal(p, beam_atom("kill")));
  ASSERT_EQ(beam_receive(5000, "{'DOWN', ~t, process, _, killed}", ref, NULL),
            0);
}

static void huge_main(beam_term_t arg) {
  (void) arg;
  for (size_t i = 0; i < NHUGE; i++) {
    stays_waiting(sleeper, huge[i]);
    stays_waiting(receiver, huge[i]);
    beam_term_t tref;
    ASSERT_OK(beam_send_after(huge[i], beam_self(), beam_atom("fired"), &tref));
    ASSERT_ERR(beam_receive(20, "fired", NULL), BEAM_ETIMEDOUT);
    int64_t left = beam_read_timer(tref);
    /* whole ms left: at least the timeout less the time since it was set,
    ** or the saturated deadline's distance for the largest */
    ASSERT_GT(left, huge[i] < INT64_C(1) << 50 ? huge[i] - 1000
                                               : INT64_C(1) << 50);
    ASSERT_LE(left, huge[i]);
    ASSERT_GT(beam_cancel_timer(tref), 0);
    ASSERT_ERR(beam_cancel_timer(tref), BEAM_ENOENT);
  }
  /* Ordinary timeouts still end, and negative ones are still errors. */
  ASSERT_ERR(beam_receive(1, "never", NULL), BEAM_ETIMEDOUT);
  ASSERT_ERR(beam_sleep(-1), BEAM_EINVAL);
  ASSERT_ERR(beam_receive(INT64_MIN, "never", NULL), BEAM_EINVAL);
}

BEAM_TEST_T(huge_timeouts_wait_instead_of_overflowing, 30) {
  ASSERT_RAN(beam_run(huge_main, beam_nil(), NULL));
}
