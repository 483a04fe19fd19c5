/* SPDX-License-Identifier: MIT */
/* atom_table_full_test.c: a program that fills the atom table before its
** first beam_run still has working links, monitors, exit signals, faults
** and process_info (issue 15, defect 3): every atom the runtime puts in a
** term exists before any user code runs. */
#include "../harness/check.h"

static void fill_atom_table(void) {
  char name[32];
  for (long i = 0;; i++) {
    snprintf(name, sizeof name, "filler_%ld", i);
    beam_term_t a = beam_atom(name);
    if (beam_is_error(a)) {
      ASSERT_ERR(beam_term_error(a), BEAM_ESYSLIMIT);
      ASSERT_GT(i, 1000);
      return;
    }
  }
}

static void wait_forever(beam_term_t arg) {
  (void) arg;
  beam_receive(BEAM_INFINITY, "never", NULL);
}

static volatile uintptr_t zero; /* the compiler cannot prove it is 0 */

__attribute__((no_sanitize("undefined", "thread"), noinline)) static void
crash_on_null(beam_term_t arg) {
  (void) arg;
  *(volatile int *) zero = 1; /* a real page-0 fault, even under UBSan */
}

static void full_main(beam_term_t arg) {
  (void) arg;
  ASSERT_ERR(beam_term_error(beam_atom("one_more_atom")), BEAM_ESYSLIMIT);
  /* A monitor's DOWN with 'killed'. */
  beam_pid_t a;
  ASSERT_OK(beam_spawn(wait_forever, beam_nil(), &a));
  beam_term_t ref = beam_monitor(a), why;
  ASSERT_OK(beam_term_error(ref));
  ASSERT_OK(beam_exit_signal(a, beam_atom("kill")));
  ASSERT_EQ(beam_receive(5000, "{'DOWN', ~t, process, _, Why}", ref, &why,
                         NULL),
            0);
  ASSERT(beam_is(why, "killed"));
  /* A link's EXIT, trapped, with 'shutdown'. */
  ASSERT_OK(beam_trap_exit(1) < 0 ? -1 : 0);
  beam_pid_t b;
  ASSERT_OK(beam_spawn_link(wait_forever, beam_nil(), &b));
  ASSERT_OK(beam_exit_signal(b, beam_atom("shutdown")));
  beam_term_t from;
  ASSERT_EQ(beam_receive(5000, "{'EXIT', From, Why}", &from, &why, NULL), 0);
  ASSERT(beam_equal(from, b));
  ASSERT(beam_is(why, "shutdown"));
  /* noproc for a monitor of the dead. */
  ref = beam_monitor(b);
  ASSERT_EQ(beam_receive(5000, "{'DOWN', ~t, process, _, Why}", ref, &why,
                         NULL),
            0);
  ASSERT(beam_is(why, "noproc"));
  /* A fault's reason. */
  beam_pid_t c;
  beam_spawn_opts_t o = {0};
  o.flags = BEAM_SPAWN_MONITOR; /* before it runs: it dies at once */
  o.monitor_ref = &ref;
  ASSERT_OK(beam_spawn_opt(crash_on_null, beam_nil(), &o, &c));
  ASSERT_EQ(beam_receive(5000, "{'DOWN', ~t, process, _, Why}", ref, &why,
                         NULL),
            0);
  char text[64];
  beam_print(text, sizeof text, why);
  TLOG("fault reason: %s", text);
  ASSERT_EQ(beam_match(why, "{segv, _}"), 1);
  /* process_info's status. */
  beam_process_info_t info;
  ASSERT_OK(beam_process_info(beam_self(), &info));
  ASSERT(beam_is(info.status, "running"));
}

BEAM_TEST_T(runtime_atoms_exist_when_the_table_is_full, 60) {
  fill_atom_table();
  beam_set_crash_reporter(NULL, NULL);
  ASSERT_RAN(beam_run(full_main, beam_nil(), NULL));
}
