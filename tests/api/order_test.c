/* SPDX-License-Identifier: MIT */
/* order_test.c: per sender->receiver FIFO (M14/O1) under load, with
** several schedulers and many senders. */
#include "../harness/check.h"

#define SENDERS 16

static int per_sender;

static void sender(beam_term_t arg) {
  beam_pid_t to = beam_tuple_get(arg, 0);
  beam_term_t id = beam_tuple_get(arg, 1);
  for (int i = 0; i < per_sender; i++) {
    beam_mark_t mark = beam_arena_mark();
    ASSERT_OK(beam_send(to, beam_tuple(2, id, beam_int(i))));
    beam_arena_release(mark);
    if (i % 64 == 0)
      beam_yield();
  }
}

static void order_main(beam_term_t arg) {
  (void) arg;
  int64_t next[SENDERS] = {0};
  for (int s = 0; s < SENDERS; s++) {
    beam_pid_t p;
    ASSERT_OK(beam_spawn(sender, beam_tuple(2, beam_self(), beam_int(s)),
                         &p));
  }
  for (int n = 0; n < SENDERS * per_sender; n++) {
    beam_mark_t mark = beam_arena_mark();
    beam_term_t id, seq;
    ASSERT_EQ(beam_receive(10000, "{Id, Seq}", &id, &seq, NULL), 0);
    int64_t i, q;
    ASSERT_OK(beam_get_int(id, &i));
    ASSERT_OK(beam_get_int(seq, &q));
    ASSERT_EQ(q, next[i]);
    next[i]++;
    beam_arena_release(mark);
  }
  for (int s = 0; s < SENDERS; s++)
    ASSERT_EQ(next[s], per_sender);
}

BEAM_TEST_T(order_per_pair_fifo_two_schedulers, 30) {
  per_sender = (int) (20000 * beam_test_scale());
  beam_config_t cfg = {.schedulers = 2};
  ASSERT_RAN(beam_run(order_main, beam_nil(), &cfg));
}

/* Selective receive under concurrent arrivals: take only odd sequence
** numbers first; the evens must still come out in order afterwards. */
static void selective_main(beam_term_t arg) {
  (void) arg;
  beam_pid_t p;
  ASSERT_OK(beam_spawn(sender, beam_tuple(2, beam_self(), beam_int(0)), &p));
  int64_t expect_odd = 1;
  for (int n = 0; n < per_sender / 2; n++) {
    beam_term_t seq;
    beam_mark_t mark = beam_arena_mark();
    ASSERT_EQ(beam_receive(10000, "{0, ~t}", beam_int(expect_odd), NULL), 0);
    (void) seq;
    expect_odd += 2;
    beam_arena_release(mark);
  }
  for (int64_t even = 0; even < per_sender; even += 2) {
    beam_term_t seq;
    ASSERT_EQ(beam_receive(10000, "{0, Seq}", &seq, NULL), 0);
    ASSERT_TERM_EQ(seq, beam_int(even));
  }
}

BEAM_TEST_T(order_selective_under_load, 30) {
  per_sender = 2 * (int) (2000 * beam_test_scale());
  beam_config_t cfg = {.schedulers = 2};
  ASSERT_RAN(beam_run(selective_main, beam_nil(), &cfg));
}
