/* SPDX-License-Identifier: MIT */
/* alias_test.c: aliases (erlang:alias/0, include/cbeam/failure.h): a
** message to an active alias arrives as the message itself, in order with
** the sender's other messages; once the alias is deactivated, messages to
** it are dropped, even those sent before (the reason Task and GenServer
** replies use them); bad arguments are refused. */
#include "../harness/check.h"

static void sender(beam_term_t arg) {
  beam_pid_t owner = beam_tuple_get(arg, 0);
  beam_term_t alias = beam_tuple_get(arg, 1);
  ASSERT_OK(beam_send(owner, beam_atom("first")));
  ASSERT_OK(beam_send_alias(owner, alias, beam_atom("via_alias")));
  ASSERT_OK(beam_send(owner, beam_atom("last")));
  ASSERT_OK(beam_receive(BEAM_INFINITY, "again", NULL));
  ASSERT_OK(beam_send_alias(owner, alias, beam_atom("too_late")));
  ASSERT_OK(beam_send(owner, beam_atom("done")));
}

static void alias_main(beam_term_t arg) {
  (void) arg;
  beam_term_t a = beam_alias();
  ASSERT_TRUE(beam_is_ref(a));
  beam_pid_t s;
  ASSERT_OK(beam_spawn(sender, beam_tuple(2, beam_self(), a), &s));
  beam_term_t m;
  const char *order[] = {"first", "via_alias", "last"};
  for (int i = 0; i < 3; i++) {
    ASSERT_OK(beam_receive_any(5000, &m));
    ASSERT_TRUE(beam_is(m, order[i]));
  }
  /* Deactivated: what is sent afterwards never shows up. */
  ASSERT_EQ(beam_unalias(a), 1);
  ASSERT_EQ(beam_unalias(a), 0);
  ASSERT_OK(beam_send(s, beam_atom("again")));
  ASSERT_OK(beam_receive_any(5000, &m));
  ASSERT_TRUE(beam_is(m, "done"));
  ASSERT_EQ(beam_mailbox_len(), 0);

  /* In flight when deactivated: dropped too. */
  beam_term_t b = beam_alias();
  ASSERT_OK(beam_send_alias(beam_self(), b, beam_atom("queued")));
  ASSERT_EQ(beam_unalias(b), 1);
  ASSERT_ERR(beam_receive_any(50, &m), BEAM_ETIMEDOUT);

  /* Someone else's alias is not ours to drop; bad arguments. */
  ASSERT_EQ(beam_unalias(beam_make_ref()), 0);
  ASSERT_ERR(beam_unalias(beam_atom("x")), BEAM_EBADARG);
  ASSERT_ERR(beam_send_alias(beam_atom("x"), b, beam_nil()), BEAM_EBADARG);
  ASSERT_ERR(beam_send_alias(beam_self(), beam_int(1), beam_nil()),
             BEAM_EBADARG);
  beam_term_t forged = {0x7};
  ASSERT_ERR(beam_send_alias(beam_self(), b, forged), BEAM_EBADTERM);
}

BEAM_TEST_T(alias_delivers_while_active_and_drops_after, 30) {
  ASSERT_RAN(beam_run(alias_main, beam_nil(), NULL));
}

BEAM_TEST(alias_outside_a_process) {
  ASSERT_TRUE(beam_is_error(beam_alias()));
  ASSERT_ERR(beam_unalias(beam_make_ref()), BEAM_ENOTPROC);
  ASSERT_ERR(beam_send_alias(beam_nil(), beam_make_ref(), beam_nil()),
             BEAM_ENOTPROC);
}
