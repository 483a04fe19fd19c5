/* SPDX-License-Identifier: MIT */
/* rerun_test.c: beam_run returning while many processes are still alive
** (runnable, in run queues, in the global queue, waiting with timers)
** frees them all, and the next beam_run starts clean. */
#include "../harness/check.h"

static void idle(beam_term_t arg) {
  (void) arg;
  beam_receive(BEAM_INFINITY, "stop", NULL);
}

static void spinner(beam_term_t arg) {
  (void) arg;
  for (;;)
    beam_yield();
}

static void sleeper(beam_term_t arg) {
  (void) arg;
  beam_receive(60000, "stop", NULL);
}

static void root(beam_term_t arg) {
  int64_t n = 0;
  beam_get_int(arg, &n);
  beam_pid_t p;
  for (int64_t i = 0; i < n; i++) {
    ASSERT_OK(beam_spawn(i % 3 == 0 ? idle : i % 3 == 1 ? spinner : sleeper,
                         beam_fmt("{some, [data], <<\"to free\">>}"), &p));
    ASSERT_OK(beam_send(p, beam_atom("unread")));
  }
}

BEAM_TEST(rerun_after_processes_left_alive) {
  beam_config_t cfg = {.schedulers = 2};
  for (int r = 0; r < 4; r++) {
    ASSERT_RAN(beam_run(root, beam_int(1000 + 500 * r), &cfg));
    ASSERT_EQ(beam_process_count(), 0);
  }
}
