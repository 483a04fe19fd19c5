/* SPDX-License-Identifier: MIT */
/* boot_test.c: beam_run starts and stops the runtime; process-only calls
** made outside a process return BEAM_ENOTPROC instead of crashing. */
#include "../harness/check.h"

static int ran;
static unsigned seen_schedulers;

static void first(beam_term_t arg) {
  int64_t v = 0;
  ASSERT_OK(beam_get_int(arg, &v));
  ASSERT_EQ(v, 42);
  seen_schedulers = beam_scheduler_count();
  ran = 1;
}

BEAM_TEST(boot_runs_first_process_and_returns) {
  beam_config_t cfg = {.schedulers = 2};
  ASSERT_RAN(beam_run(first, beam_int(42), &cfg));
  ASSERT_EQ(ran, 1);
  ASSERT_EQ(seen_schedulers, 2);
  ASSERT_EQ(beam_scheduler_count(), 0);
  ASSERT_EQ(beam_process_count(), 0);
}

BEAM_TEST(boot_default_config_and_rerun) {
  for (int i = 0; i < 3; i++) {
    ran = 0;
    ASSERT_RAN(beam_run(first, beam_int(42), NULL));
    ASSERT_EQ(ran, 1);
  }
}

static void nested(beam_term_t arg) {
  (void) arg;
  ASSERT_ERR(beam_run(first, beam_int(42), NULL), BEAM_EBUSY);
  ran = 2;
}

BEAM_TEST(boot_rejects_bad_arguments) {
  beam_config_t cfg = {.schedulers = 5000};
  ASSERT_ERR(beam_run(NULL, beam_nil(), NULL), BEAM_EINVAL);
  ASSERT_ERR(beam_run(first, beam_nil(), &cfg), BEAM_EINVAL);
  cfg = (beam_config_t){.process_limit = 134217728};
  ASSERT_ERR(beam_run(first, beam_nil(), &cfg), BEAM_EINVAL);
  cfg = (beam_config_t){.stack_size = 100};
  ASSERT_ERR(beam_run(first, beam_nil(), &cfg), BEAM_EINVAL);
  ASSERT_ERR(beam_run(first, beam_error_term(BEAM_ENOMEM), NULL),
             BEAM_ENOMEM);
  ASSERT_RAN(beam_run(nested, beam_nil(), NULL));
  ASSERT_EQ(ran, 2);
}

static void noop(beam_term_t arg) {
  (void) arg;
}

BEAM_TEST(boot_process_only_calls_outside_a_process) {
  beam_pid_t pid;
  beam_term_t msg, ref = beam_make_ref();
  ASSERT_ERR(beam_spawn(noop, beam_nil(), &pid), BEAM_ENOTPROC);
  ASSERT_ERR(beam_send(beam_self(), beam_nil()), BEAM_ENOTPROC);
  ASSERT_TRUE(beam_is_error(beam_self()));
  ASSERT_ERR(beam_term_error(beam_self()), BEAM_ENOTPROC);
  ASSERT_ERR(beam_receive(0, "_", NULL), BEAM_ENOTPROC);
  ASSERT_ERR(beam_receive_any(0, &msg), BEAM_ENOTPROC);
  ASSERT_ERR(beam_yield(), BEAM_ENOTPROC);
  ASSERT_ERR(beam_sleep(1), BEAM_ENOTPROC);
  ASSERT_ERR(beam_send_after(1, beam_nil(), beam_nil(), NULL), BEAM_ENOTPROC);
  ASSERT_ERR(beam_cancel_timer(ref), BEAM_ENOTPROC);
  ASSERT_ERR(beam_read_timer(ref), BEAM_ENOTPROC);
  ASSERT_ERR(beam_mailbox_len(), BEAM_ENOTPROC);
  ASSERT_ERR(beam_is_alive(beam_int(3)), BEAM_EINVAL);
  ASSERT_EQ(beam_process_count(), 0);
  ASSERT_EQ(beam_process_limit(), 1048576);
}

BEAM_TEST(boot_error_names) {
  ASSERT_STR_EQ(beam_err_name(BEAM_ENOMEM), "ENOMEM");
  ASSERT_STR_EQ(beam_err_name(BEAM_ESYSLIMIT), "ESYSLIMIT");
  ASSERT_STR_EQ(beam_strerror(BEAM_ETIMEDOUT), "timed out");
  ASSERT_STR_EQ(beam_strerror(12345), "unknown error");
  ASSERT_EQ(beam_version(), BEAM_VERSION_HEX);
}
