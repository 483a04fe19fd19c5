/* SPDX-License-Identifier: MIT */
/* receive_test.c: selective receive (M6-M12), timeouts, receive variants. */
#include "../harness/check.h"

static void selective_main(beam_term_t arg) {
  (void) arg;
  beam_pid_t me = beam_self();
  /* M6: a message to oneself is there before send returns. */
  ASSERT_OK(beam_send(me, beam_fmt("{a, 1}")));
  ASSERT_OK(beam_send(me, beam_fmt("{b, 1}")));
  ASSERT_OK(beam_send(me, beam_fmt("{a, 2}")));
  ASSERT_OK(beam_send(me, beam_fmt("{b, 2}")));
  ASSERT_EQ(beam_mailbox_len(), 4);
  beam_term_t n;
  /* M7: two receives for {b, _} give 1 then 2; others stay in order. */
  ASSERT_EQ(beam_receive(0, "{b, N}", &n, NULL), 0);
  ASSERT_TERM_EQ(n, beam_int(1));
  ASSERT_EQ(beam_receive(0, "{b, N}", &n, NULL), 0);
  ASSERT_TERM_EQ(n, beam_int(2));
  beam_term_t m;
  ASSERT_EQ(beam_receive_any(0, &m), 0);
  ASSERT_TERM_EQ(m, beam_fmt("{a, 1}"));
  ASSERT_EQ(beam_mailbox_len(), 1);
  /* Message order wins over clause order. */
  ASSERT_OK(beam_send(me, beam_atom("b")));
  ASSERT_OK(beam_send(me, beam_atom("a")));
  ASSERT_EQ(beam_receive(0, "a", "b", NULL), 1);
  ASSERT_EQ(beam_receive(0, "a", "b", NULL), 0);
  ASSERT_EQ(beam_receive_any(0, &m), 0);
  ASSERT_TERM_EQ(m, beam_fmt("{a, 2}"));
  ASSERT_EQ(beam_mailbox_len(), 0);
}

BEAM_TEST(receive_selective_keeps_others_in_order) {
  ASSERT_RAN(beam_run(selective_main, beam_nil(), NULL));
}

static void timeout_main(beam_term_t arg) {
  (void) arg;
  beam_pid_t me = beam_self();
  ASSERT_OK(beam_send(me, beam_atom("x")));
  ASSERT_OK(beam_send(me, beam_atom("y")));
  /* M9: after 0 with no match removes nothing. */
  ASSERT_ERR(beam_receive(0, "z", NULL), BEAM_ETIMEDOUT);
  ASSERT_EQ(beam_mailbox_len(), 2);
  int64_t t0 = beam_monotonic_ms();
  ASSERT_ERR(beam_receive(100, "z", NULL), BEAM_ETIMEDOUT);
  /* At least 100 ms (timer_test.c checks that in ns); how late is for the
  ** bench, not a test. */
  ASSERT_GE(beam_monotonic_ms() - t0, 100);
  ASSERT_EQ(beam_mailbox_len(), 2);
  /* M11: negative timeouts other than infinity are errors. */
  ASSERT_ERR(beam_receive(-5, "_", NULL), BEAM_EINVAL);
  ASSERT_ERR(beam_receive_any(-2, NULL), BEAM_EINVAL);
  ASSERT_ERR(beam_receive(0, NULL), BEAM_EINVAL);
  /* A malformed pattern is an error even with no message to look at. */
  ASSERT_ERR(beam_receive(0, "{x,", NULL), BEAM_EPATTERN);
  ASSERT_ERR(beam_receive(0, "x", "{oops", NULL), BEAM_EPATTERN);
  ASSERT_EQ(beam_mailbox_len(), 2);
  beam_term_t m;
  ASSERT_EQ(beam_receive_any(BEAM_INFINITY, &m), 0);
  ASSERT_TRUE(beam_is(m, "x"));
  /* M12: sleep does not consume. */
  ASSERT_OK(beam_sleep(20));
  ASSERT_EQ(beam_mailbox_len(), 1);
}

BEAM_TEST(receive_timeout_removes_nothing) {
  ASSERT_RAN(beam_run(timeout_main, beam_nil(), NULL));
}

/* Sends 'noise' every 20 ms until told to stop: a wait that restarted
** its timeout on each arrival would never time out while it runs. */
static void noise_sender(beam_term_t arg) {
  beam_pid_t to = beam_tuple_get(arg, 0);
  while (beam_receive(20, "stop", NULL) == BEAM_ETIMEDOUT) {
    beam_mark_t m = beam_arena_mark();
    beam_send(to, beam_atom("noise"));
    beam_arena_release(m);
  }
  beam_send(to, beam_atom("stopped"));
}

static void deadline_main(beam_term_t arg) {
  (void) arg;
  beam_pid_t p;
  ASSERT_OK(beam_spawn(noise_sender, beam_tuple(1, beam_self()), &p));
  /* M8: non-matching arrivals do not restart the timeout. The 150 ms
  ** timeout ends while the noise still comes (it stops only below), with
  ** several arrivals during the wait; no wall-clock upper bound. */
  int64_t t0 = beam_monotonic_ms();
  ASSERT_ERR(beam_receive(150, "wanted", NULL), BEAM_ETIMEDOUT);
  int64_t waited = beam_monotonic_ms() - t0;
  int64_t noise = beam_mailbox_len();
  TLOG("timed out after %" PRId64 " ms, %" PRId64 " arrivals meanwhile", waited,
       noise);
  ASSERT_GE(waited, 150);
  ASSERT_GE(noise, 1); /* it was woken, and went on waiting */
  ASSERT_OK(beam_send(p, beam_atom("stop")));
  ASSERT_OK(beam_receive(BEAM_INFINITY, "stopped", NULL));
}

BEAM_TEST(receive_deadline_counts_from_entry) {
  beam_config_t cfg = {.schedulers = 2};
  ASSERT_RAN(beam_run(deadline_main, beam_nil(), &cfg));
}

static void replier(beam_term_t arg) {
  beam_term_t from, ref;
  ASSERT_EQ(beam_match(arg, "{From, Ref}", &from, &ref), 1);
  beam_send(from, beam_fmt("{~t, reply}", ref));
}

static int is_big(beam_term_t msg, void *ctx) {
  int64_t v;
  (void) ctx;
  return beam_get_int(msg, &v) == 0 && v > 100 ? 7 : 0;
}

static void variants_main(beam_term_t arg) {
  (void) arg;
  beam_pid_t me = beam_self();
  for (int i = 0; i < 1000; i++)
    ASSERT_OK(beam_send(me, beam_int(i)));
  /* A reply on a fresh ref, past 1000 queued messages. */
  beam_term_t ref = beam_make_ref();
  beam_pid_t p;
  ASSERT_OK(beam_spawn(replier, beam_tuple(2, me, ref), &p));
  beam_term_t what;
  ASSERT_EQ(beam_receive(5000, "{~t, What}", ref, &what, NULL), 0);
  ASSERT_TRUE(beam_is(what, "reply"));
  ASSERT_EQ(beam_mailbox_len(), 1000);
  /* A match callback. */
  beam_term_t m;
  ASSERT_EQ(beam_receive_fn(0, is_big, NULL, &m), 7);
  ASSERT_TERM_EQ(m, beam_int(101));
  ASSERT_ERR(beam_receive_fn(0, NULL, NULL, &m), BEAM_EINVAL);
  ASSERT_EQ(beam_mailbox_len(), 999);
  int64_t v;
  ASSERT_EQ(beam_receive_any(0, &m), 0);
  ASSERT_OK(beam_get_int(m, &v));
  ASSERT_EQ(v, 0);
  /* Repeated variables must match equal terms. */
  ASSERT_OK(beam_send(me, beam_fmt("{1, 2}")));
  ASSERT_OK(beam_send(me, beam_fmt("{3, 3}")));
  beam_term_t x;
  ASSERT_EQ(beam_receive(0, "{X, X}", &x, NULL), 0);
  ASSERT_TERM_EQ(x, beam_int(3));
}

BEAM_TEST(receive_ref_fn_and_any) {
  ASSERT_RAN(beam_run(variants_main, beam_nil(), NULL));
}

/* A marked ref must not hide a reply that arrived before a later receive
** moved the mark's anchor. (Every receive clears the mark, so the second
** ref's mark is taken afresh; an unlink that moves the anchor with no
** receive in between is the next test.) */
static void mark_main(beam_term_t arg) {
  (void) arg;
  beam_pid_t me = beam_self();
  ASSERT_OK(beam_send(me, beam_atom("one")));
  beam_term_t ref = beam_make_ref();
  ASSERT_OK(beam_send(me, beam_fmt("{~t, answer}", ref)));
  beam_term_t a;
  ASSERT_EQ(beam_receive(0, "{~t, A}", ref, &a, NULL), 0);
  ASSERT_TRUE(beam_is(a, "answer"));
  beam_term_t ref2 = beam_make_ref();
  ASSERT_OK(beam_send(me, beam_fmt("{~t, two}", ref2)));
  beam_term_t m;
  ASSERT_EQ(beam_receive(0, "one", NULL), 0); /* the mark's anchor goes */
  ASSERT_EQ(beam_receive(0, "{~t, A}", ref2, &a, NULL), 0);
  ASSERT_TRUE(beam_is(a, "two"));
  ASSERT_ERR(beam_receive_any(0, &m), BEAM_ETIMEDOUT);
}

BEAM_TEST(receive_ref_mark_survives_unlinks) {
  ASSERT_RAN(beam_run(mark_main, beam_nil(), NULL));
}

/* The mark beam_make_ref() sets points just past the newest message in
** the inner list; here that is a DOWN, which demonitor(FLUSH) then removes
** with no receive in between (receive.c: beam__mailbox_remove_if must go
** through take(), which moves the mark back to the DOWN's predecessor).
** The receive that follows needs the ref, so it starts at the mark: left
** pointing into the freed DOWN it reads freed memory (ASan), or misses
** the reply that went where the DOWN was. */
static void ends_at_once(beam_term_t arg) {
  (void) arg;
}

static void flush_mark_main(beam_term_t with_older) {
  beam_pid_t me = beam_self(), c;
  beam_term_t mon;
  if (beam_is(with_older, "true")) /* the DOWN is not the first message */
    ASSERT_OK(beam_send(me, beam_atom("older")));
  ASSERT_OK(beam_spawn_monitor(ends_at_once, beam_nil(), &c, &mon));
  int64_t want = beam_is(with_older, "true") ? 2 : 1;
  while (beam_mailbox_len() < want) /* the DOWN is in the inner list */
    beam_sleep(1);
  ASSERT_EQ(beam_mailbox_len(), want);
  beam_term_t ref = beam_make_ref(); /* its mark: just past the DOWN */
  ASSERT_EQ(beam_demonitor(mon, BEAM_DEMONITOR_FLUSH), 1);
  ASSERT_EQ(beam_mailbox_len(), want - 1); /* the DOWN is gone */
  ASSERT_OK(beam_send(me, beam_fmt("{~t, x}", ref)));
  beam_term_t x;
  ASSERT_EQ(beam_receive(0, "{~t, X}", ref, &x, NULL), 0); /* M6: there */
  ASSERT_TRUE(beam_is(x, "x"));
  beam_term_t m;
  if (want == 2) {
    ASSERT_EQ(beam_receive_any(0, &m), 0);
    ASSERT_TRUE(beam_is(m, "older"));
  }
  ASSERT_ERR(beam_receive_any(0, &m), BEAM_ETIMEDOUT);
}

BEAM_TEST(receive_ref_mark_survives_demonitor_flush) {
  ASSERT_RAN(beam_run(flush_mark_main, beam_atom("false"), NULL));
  ASSERT_RAN(beam_run(flush_mark_main, beam_atom("true"), NULL));
}

/* Receives of every size take the right clause: up to 4 clauses and 8
** arguments (the small tables), up to 16 and 48 (the large ones, in a
** frame of their own), and more (interpreted). */
static void sizes_main(beam_term_t arg) {
  (void) arg;
  beam_term_t v[12];
  ASSERT_OK(beam_send(beam_self(), beam_fmt("{m, 3}")));
  ASSERT_EQ(beam_receive(0, "{m, 1}", "{m, 2}", "{m, ~i}", 3, "x", NULL), 2);
  ASSERT_OK(beam_send(beam_self(), beam_fmt("{m, 6, 1, 2, 3, 4, 5, 6, 7, 8, 9}")));
  ASSERT_EQ(beam_receive(0, "{m, 1}", "{m, 2}", "{m, 3}", "{m, 4}", "{m, 5}",
                         "{m, 6, A, B, C, D, E, F, G, H, I}", &v[0], &v[1],
                         &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8],
                         NULL),
            5);
  ASSERT_TERM_EQ(v[8], beam_int(9));
  ASSERT_OK(beam_send(beam_self(), beam_fmt("{m, 20}")));
  ASSERT_EQ(beam_receive(0, "{m, 1}", "{m, 2}", "{m, 3}", "{m, 4}", "{m, 5}",
                         "{m, 6}", "{m, 7}", "{m, 8}", "{m, 9}", "{m, 10}",
                         "{m, 11}", "{m, 12}", "{m, 13}", "{m, 14}", "{m, 15}",
                         "{m, 16}", "{m, 17}", "{m, 18}", "{m, 19}",
                         "{m, ~i}", 20, NULL),
            19);
  ASSERT_EQ(beam_mailbox_len(), 0);
}

BEAM_TEST_T(receive_with_many_clauses_and_arguments, 10) {
  ASSERT_RAN(beam_run(sizes_main, beam_nil(), NULL));
}
