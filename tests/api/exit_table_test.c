/* SPDX-License-Identifier: MIT */
/*
** exit_table_test.c: the full exit-signal table of docs/semantics.md §5, each row
** with and without trap_exit, checked from outside: a victim process is
** monitored by the test's root, gets the signal, and either dies (the DOWN
** reason), turns it into a message (which it forwards to the root), or
** ignores it (it answers a later 'stop' and ends normally).
*/
#include "../harness/check.h"

enum source { LINK, EXIT2, SELF };

typedef struct row {
  const char *reason;
  enum source src;
  const char *notrap; /* "die:R", "msg:R" or "ignore" */
  const char *trap;
} row_t;

static const row_t rows[] = {
    {"normal", LINK, "ignore", "msg:normal"},       /* 1 */
    {"normal", EXIT2, "ignore", "msg:normal"},      /* 2 */
    {"normal", SELF, "die:normal", "msg:normal"},   /* 3 */
    {"kill", EXIT2, "die:killed", "die:killed"},    /* 4 */
    {"kill", SELF, "die:killed", "die:killed"},     /* 5 */
    {"kill", LINK, "die:kill", "msg:kill"},         /* 6 */
    {"killed", LINK, "die:killed", "msg:killed"},   /* 7 */
    {"killed", EXIT2, "die:killed", "msg:killed"},  /* 8 */
    {"boom", LINK, "die:boom", "msg:boom"},         /* 9 */
    {"boom", EXIT2, "die:boom", "msg:boom"},        /* 10 */
    {"boom", SELF, "die:boom", "msg:boom"},         /* 11 */
};

static void partner(beam_term_t reason) {
  beam_sleep(20); /* the victim is waiting by then */
  beam_exit(reason);
}

/* arg: {Root, Trap, Source, Reason} */
static void victim(beam_term_t arg) {
  beam_pid_t root = beam_tuple_get(arg, 0), p;
  int64_t trap, src;
  ASSERT_OK(beam_get_int(beam_tuple_get(arg, 1), &trap));
  ASSERT_OK(beam_get_int(beam_tuple_get(arg, 2), &src));
  beam_term_t reason = beam_tuple_get(arg, 3);
  beam_trap_exit((int) trap);
  if (src == LINK)
    ASSERT_OK(beam_spawn_link(partner, reason, &p));
  ASSERT_OK(beam_send(root, beam_fmt("{ready, ~t}", beam_self())));
  if (src == SELF) {
    int r = beam_exit_signal(beam_self(), reason);
    ASSERT_OK(beam_send(root, beam_fmt("{returned, ~i}", (int64_t) r)));
  }
  for (;;) {
    beam_term_t m;
    ASSERT_OK(beam_receive_any(BEAM_INFINITY, &m));
    if (beam_is(m, "stop"))
      return;
    ASSERT_OK(beam_send(root, beam_fmt("{got, ~t}", m)));
  }
}

static void check_row(const row_t *r, int trap) {
  beam_pid_t v, self = beam_self();
  beam_term_t ref, reason = beam_atom(r->reason), got, x;
  ASSERT_OK(beam_spawn_monitor(
      victim,
      beam_fmt("{~t, ~i, ~i, ~t}", self, (int64_t) trap, (int64_t) r->src,
               reason),
      &v, &ref));
  ASSERT_EQ(beam_receive(2000, "{ready, ~t}", v, NULL), 0);
  if (r->src == EXIT2)
    ASSERT_OK(beam_exit_signal(v, reason));
  const char *want = trap ? r->trap : r->notrap;
  int c = beam_receive(300, "{got, {'EXIT', _, R}}", &got, /* 0 */
                       "{'DOWN', ~t, process, _, R}", ref, &x, NULL);
  char buf[64];
  if (c == 0) {
    snprintf(buf, sizeof buf, "msg:%s", beam_atom_name(got));
    /* X4: From is the partner for a link, else the sender (maybe itself). */
    ASSERT_STR_EQ(buf, want);
    ASSERT_OK(beam_send(v, beam_atom("stop")));
    ASSERT_EQ(beam_receive(2000, "{'DOWN', ~t, process, _, normal}", ref,
                           NULL),
              0);
  } else if (c == 1) {
    snprintf(buf, sizeof buf, "die:%s", beam_atom_name(x));
    ASSERT_STR_EQ(buf, want);
  } else {
    ASSERT_EQ(c, BEAM_ETIMEDOUT);
    ASSERT_STR_EQ("ignore", want);
    ASSERT_EQ(beam_is_alive(v), 1);
    ASSERT_OK(beam_send(v, beam_atom("stop")));
    ASSERT_EQ(beam_receive(2000, "{'DOWN', ~t, process, _, normal}", ref,
                           NULL),
              0);
  }
  /* X12: a trapping self-signal returned (0) with the message queued. */
  if (r->src == SELF && trap && strncmp(want, "msg", 3) == 0)
    ASSERT_EQ(beam_receive(0, "{returned, 0}", NULL), 0);
  /* X11: a non-trapping self-signal never returned. */
  if (r->src == SELF && !trap)
    ASSERT_EQ(beam_receive(0, "{returned, _}", NULL), BEAM_ETIMEDOUT);
  beam_term_t junk;
  while (beam_receive_any(0, &junk) == 0) /* leftover forwards */
    ;
}

static void table_main(beam_term_t arg) {
  (void) arg;
  for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
    for (int trap = 0; trap < 2; trap++) {
      TLOG("row %zu (%s, %s) trap=%d", i + 1, rows[i].reason,
           rows[i].src == LINK ? "link" : rows[i].src == EXIT2 ? "exit/2"
                                                               : "self",
           trap);
      check_row(&rows[i], trap);
    }
  }
}

BEAM_TEST_T(X_exit_signal_table_all_rows, 60) {
  ASSERT_RAN(beam_run(table_main, beam_nil(), NULL));
}
