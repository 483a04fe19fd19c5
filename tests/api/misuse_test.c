/* SPDX-License-Identifier: MIT */
/* misuse_test.c: what an attacker tried on the public API (issue 15,
** defects 4, 6 and 7). Every misuse gets a clear error code or an abnormal
** exit that links and monitors see; none crashes or ends in silence. */
#include "../harness/check.h"

#include <limits.h>

/* Words no term has: tag 111, a special immediate that is not [], an atom
** index never made. */
static beam_term_t forged(int which) {
  beam_term_t t;
  switch (which) {
  case 0:
    t.raw = 7;
    break;
  case 1:
    t.raw = (UINT64_C(1) << 3) | 5;
    break;
  default:
    t.raw = (UINT64_C(1) << 40 << 3) | 3;
    break;
  }
  return t;
}

/* ---- Defect 4: re-entrant calls from a receive match callback ---- */

typedef struct seen {
  int receive, receive_any, receive_fn, flush, info, sent;
  beam_term_t mref;
  beam_pid_t other;
} seen_t;

static int inner_match(beam_term_t msg, void *ctx) {
  (void) msg;
  (void) ctx;
  return 1;
}

static int nosy_match(beam_term_t msg, void *ctx) {
  seen_t *s = ctx;
  beam_term_t any;
  s->receive = beam_receive(0, "_", NULL);
  s->receive_any = beam_receive_any(0, &any);
  s->receive_fn = beam_receive_fn(0, inner_match, NULL, &any);
  s->flush = beam_demonitor(s->mref, BEAM_DEMONITOR_FLUSH);
  beam_process_info_t info;
  s->info = beam_process_info(s->other, &info);
  s->sent = beam_send(beam_self(), beam_atom("from_callback"));
  beam_yield(); /* a yield inside the walk is allowed */
  return beam_is(msg, "second") ? 7 : 0;
}

static void idle(beam_term_t arg) {
  (void) arg;
  beam_receive(BEAM_INFINITY, "never", NULL);
}

static void reentrant_main(beam_term_t arg) {
  (void) arg;
  seen_t s = {0};
  ASSERT_OK(beam_spawn(idle, beam_nil(), &s.other));
  s.mref = beam_monitor(s.other);
  ASSERT_OK(beam_send(beam_self(), beam_atom("first")));
  ASSERT_OK(beam_send(beam_self(), beam_atom("second")));
  ASSERT_OK(beam_send(beam_self(), beam_atom("third")));
  beam_term_t got;
  ASSERT_EQ(beam_receive_fn(1000, nosy_match, &s, &got), 7);
  ASSERT(beam_is(got, "second"));
  ASSERT_ERR(s.receive, BEAM_ECALLBACK);
  ASSERT_ERR(s.receive_any, BEAM_ECALLBACK);
  ASSERT_ERR(s.receive_fn, BEAM_ECALLBACK);
  ASSERT_ERR(s.flush, BEAM_ECALLBACK);
  ASSERT_ERR(s.info, BEAM_ECALLBACK);
  ASSERT_OK(s.sent);
  /* Nothing was taken or lost: first, third, then the callback's sends
  ** (it ran for 'first' and 'second'). */
  const char *rest[] = {"first", "third", "from_callback", "from_callback"};
  for (int i = 0; i < 4; i++) {
    ASSERT_EQ(beam_receive_any(0, &got), 0);
    ASSERT(beam_is(got, rest[i]));
  }
  ASSERT_EQ(beam_mailbox_len(), 0);
  /* Outside the callback the same calls work again. */
  ASSERT_EQ(beam_demonitor(s.mref, BEAM_DEMONITOR_FLUSH), 1);
  beam_process_info_t info;
  ASSERT_OK(beam_process_info(s.other, &info));
  ASSERT_OK(beam_exit_signal(s.other, beam_atom("kill")));
}

BEAM_TEST_T(receive_fn_callback_cannot_reenter_receive, 30) {
  ASSERT_RAN(beam_run(reentrant_main, beam_nil(), NULL));
}

/* ---- Defect 6: beam_exit with a reason that is no term ---- */

static void exit_with_word(beam_term_t arg) {
  int64_t w;
  ASSERT_OK(beam_get_int(arg, &w));
  beam_term_t reason;
  switch (w) {
  case 0:
    reason = beam_error_term(BEAM_ENOMEM);
    break;
  case 1:
    reason = beam_error_term(BEAM_ESYSLIMIT);
    break;
  case 2:
    reason = beam_error_term(BEAM_EINVAL);
    break;
  case 3:
    reason.raw = 0;
    break;
  default:
    reason = forged((int) w - 4);
    break;
  }
  beam_exit(reason);
}

static void bad_exit_main(beam_term_t arg) {
  (void) arg;
  const char *want[] = {"system_limit", "system_limit", "badarg", "badarg",
                        "badarg",       "badarg",       "badarg"};
  for (int w = 0; w < 7; w++) {
    beam_pid_t pid;
    beam_term_t ref;
    beam_spawn_opts_t o = {0};
    o.flags = BEAM_SPAWN_MONITOR;
    o.monitor_ref = &ref;
    ASSERT_OK(beam_spawn_opt(exit_with_word, beam_int(w), &o, &pid));
    beam_term_t why;
    ASSERT_EQ(beam_receive(5000, "{'DOWN', ~t, process, _, Why}", ref, &why,
                           NULL),
              0);
    TLOG("case %d", w);
    ASSERT(beam_is(why, want[w]));
  }
  /* A trapping linked process sees the same abnormal reason. */
  ASSERT_GE(beam_trap_exit(1), 0);
  beam_pid_t pid;
  ASSERT_OK(beam_spawn_link(exit_with_word, beam_int(2), &pid));
  beam_term_t why;
  ASSERT_EQ(beam_receive(5000, "{'EXIT', ~t, Why}", pid, &why, NULL), 0);
  ASSERT(beam_is(why, "badarg"));
}

BEAM_TEST_T(exit_with_no_term_is_abnormal, 30) {
  beam_set_crash_reporter(NULL, NULL);
  ASSERT_RAN(beam_run(bad_exit_main, beam_nil(), NULL));
}

/* ---- Defect 7: the smaller ones ---- */

static int finished;

static void exit_signal_main(beam_term_t arg) {
  (void) arg;
  for (int w = 0; w < 3; w++)
    ASSERT_ERR(beam_exit_signal(beam_self(), forged(w)), BEAM_EBADTERM);
  beam_term_t zero = {0};
  ASSERT_ERR(beam_exit_signal(beam_self(), zero), BEAM_EBADTERM);
  ASSERT_ERR(beam_exit_signal(beam_self(), beam_error_term(BEAM_ENOMEM)),
             BEAM_ENOMEM);
  /* still alive and well */
  ASSERT_EQ(beam_is_alive(beam_self()), 1);
  /* forged words go into no term and no message */
  for (int w = 0; w < 3; w++) {
    beam_term_t f = forged(w);
    ASSERT_ERR(beam_term_error(beam_tuple(2, beam_int(1), f)), BEAM_EBADTERM);
    ASSERT_ERR(beam_term_error(beam_list(2, f, beam_int(1))), BEAM_EBADTERM);
    ASSERT_ERR(beam_term_error(beam_cons(beam_int(1), f)), BEAM_EBADTERM);
    ASSERT_ERR(beam_term_error(beam_map_put(beam_map_new(), f, beam_nil())),
               BEAM_EBADTERM);
    ASSERT_ERR(beam_term_error(beam_fmt("{x, ~t}", f)), BEAM_EBADTERM);
    ASSERT_ERR(beam_send(beam_self(), f), BEAM_EBADTERM);
    beam_pid_t pid;
    ASSERT_ERR(beam_spawn(idle, f, &pid), BEAM_EBADTERM);
  }
  ASSERT_EQ(beam_mailbox_len(), 0);
  finished = 1;
}

BEAM_TEST_T(forged_words_are_refused, 30) {
  ASSERT_RAN(beam_run(exit_signal_main, beam_nil(), NULL));
  ASSERT(finished); /* not ended early by its own exit_signal */
}

BEAM_TEST(pid_print_measures_with_a_null_buffer) {
  beam_term_t pid = beam_fmt("<0.7.3>");
  ASSERT(beam_is_pid(pid));
  char buf[32];
  size_t n = beam_pid_print(buf, sizeof buf, pid);
  ASSERT_STR_EQ(buf, "<0.7.3>");
  ASSERT_EQ(beam_pid_print(NULL, 0, pid), n);
  ASSERT_EQ(beam_pid_print(NULL, 100, pid), n);
  ASSERT_EQ(beam_print(NULL, 100, pid), n);
}

BEAM_TEST_T(unquoted_atoms_over_255_characters_are_refused, 30) {
  char text[300], quoted[310];
  memset(text, 'a', 256);
  text[256] = '\0';
  snprintf(quoted, sizeof quoted, "'%s'", text);
  size_t pos = 99;
  const char *why = NULL;
  for (int mode = 0; mode < 2; mode++) {
    ASSERT_ERR(beam_syntax_check(text, mode, &pos, &why), BEAM_EPATTERN);
    ASSERT_EQ(pos, 0);
    ASSERT(why != NULL);
    ASSERT_ERR(beam_syntax_check(quoted, mode, &pos, &why), BEAM_EPATTERN);
  }
  ASSERT_ERR(beam_match(beam_atom("a"), text), BEAM_EPATTERN);
  ASSERT_ERR(beam_term_error(beam_fmt(text)), BEAM_EPATTERN);
  ASSERT_ERR(beam_term_error(beam_atom(text)), BEAM_EINVAL);
  text[255] = '\0'; /* 255 is the limit, and fine */
  ASSERT_OK(beam_syntax_check(text, 1, &pos, &why));
  ASSERT_EQ(beam_match(beam_atom(text), text), 1);
}

static void long_receive_main(beam_term_t arg) {
  (void) arg;
  char text[300];
  memset(text, 'a', 256);
  text[256] = '\0';
  /* an error at once, not a wait for a message no atom can be */
  ASSERT_ERR(beam_receive(BEAM_INFINITY, text, NULL), BEAM_EPATTERN);
  ASSERT_ERR(beam_receive(BEAM_INFINITY, "ok", text, NULL), BEAM_EPATTERN);
}

BEAM_TEST_T(receive_with_an_overlong_atom_fails_at_once, 30) {
  ASSERT_RAN(beam_run(long_receive_main, beam_nil(), NULL));
}

/* process_info of a process in beam_sleep: 'waiting', as erl says of a
** process in 'receive after' (the sleeper answers the request itself, and
** used to have cleared its wait flag first). */
static void long_sleeper(beam_term_t arg) {
  (void) arg;
  beam_sleep(INT64_C(3600000));
}

static void info_main(beam_term_t arg) {
  (void) arg;
  beam_pid_t s;
  ASSERT_OK(beam_spawn(long_sleeper, beam_nil(), &s));
  beam_process_info_t info;
  for (int i = 0; i < 50; i++) { /* until it has gone to sleep */
    ASSERT_OK(beam_process_info(s, &info));
    if (beam_is(info.status, "waiting"))
      break;
    beam_sleep(1);
  }
  ASSERT(beam_is(info.status, "waiting"));
  for (int i = 0; i < 20; i++) { /* and it stays so, asked again */
    ASSERT_OK(beam_process_info(s, &info));
    ASSERT(beam_is(info.status, "waiting"));
  }
  ASSERT_OK(beam_exit_signal(s, beam_atom("kill")));
}

BEAM_TEST_T(process_info_of_a_sleeper_says_waiting, 30) {
  ASSERT_RAN(beam_run(info_main, beam_nil(), NULL));
}
