/* SPDX-License-Identifier: MIT */
/* exit_status_test.c: beam_run's answer is the first process's end
** (issue 15, item 9). 'return beam_run(...)' from main exits 0 for a
** normal end and 1 for any other, with the reason reported, as a crashing
** Elixir script exits 1 and prints why. */
#include "../harness/check.h"

#include <sys/wait.h>
#include <unistd.h>

static char report[2048];
static int reports;

static void capture(void *ctx, const beam_crash_t *c) {
  (void) ctx;
  snprintf(report, sizeof report, "%s", c->text);
  reports++;
}

static void returns(beam_term_t arg) {
  (void) arg;
}

static void exits_normal(beam_term_t arg) {
  (void) arg;
  beam_exit(beam_atom("normal"));
}

static void exits_with(beam_term_t arg) {
  beam_exit(arg);
}

static volatile uintptr_t zero; /* the compiler cannot prove it is 0 */

__attribute__((no_sanitize("undefined", "thread"), noinline)) static void
faults(beam_term_t arg) {
  (void) arg;
  *(volatile int *) zero = 1; /* a real page-0 fault, even under UBSan */
}

static void crashing_worker(beam_term_t arg) {
  (void) arg;
  beam_exit(beam_atom("worker_broke"));
}

/* The README's second case: a linked worker takes the first process down
** (it does not trap exits), and nobody else hears of it. */
static void linked_to_a_crash(beam_term_t arg) {
  (void) arg;
  beam_pid_t w;
  ASSERT_OK(beam_spawn_link(crashing_worker, beam_nil(), &w));
  beam_receive(BEAM_INFINITY, "never", NULL);
}

static void killer(beam_term_t arg) {
  beam_exit_signal(arg, beam_atom("kill"));
}

static void killed_by_another(beam_term_t arg) {
  (void) arg;
  beam_pid_t k;
  ASSERT_OK(beam_spawn(killer, beam_self(), &k));
  beam_receive(BEAM_INFINITY, "never", NULL);
}

typedef struct outcome {
  int rc;
  char reason[256];
  int reported;
} outcome_t;

static outcome_t run(beam_fn_t fn, beam_term_t arg) {
  reports = 0;
  report[0] = '\0';
  beam_set_crash_reporter(capture, NULL);
  beam_term_t why = beam_nil();
  beam_config_t cfg = {0};
  cfg.exit_reason = &why;
  outcome_t o;
  o.rc = beam_run(fn, arg, &cfg);
  beam_print(o.reason, sizeof o.reason, why);
  o.reported = reports;
  return o;
}

BEAM_TEST_T(beam_run_answers_with_the_first_process_end, 30) {
  outcome_t o = run(returns, beam_nil());
  ASSERT_EQ(o.rc, 0);
  ASSERT_STR_EQ(o.reason, "normal");
  ASSERT_EQ(o.reported, 0);
  o = run(exits_normal, beam_nil());
  ASSERT_EQ(o.rc, 0);
  ASSERT_STR_EQ(o.reason, "normal");
  o = run(exits_with, beam_fmt("{bad_input, 42}"));
  ASSERT_EQ(o.rc, 1);
  ASSERT_STR_EQ(o.reason, "{bad_input,42}");
  ASSERT_EQ(o.reported, 1);
  ASSERT(strstr(report, "{bad_input,42}") != NULL);
  o = run(exits_with, beam_atom("shutdown"));
  ASSERT_EQ(o.rc, 1);
  ASSERT_STR_EQ(o.reason, "shutdown");
  ASSERT_EQ(o.reported, 1); /* the program's end is never silent */
  o = run(faults, beam_nil());
  ASSERT_EQ(o.rc, 1);
  ASSERT_STR_EQ(o.reason, "{segv,0}");
  ASSERT_EQ(o.reported, 1);
  o = run(linked_to_a_crash, beam_nil());
  ASSERT_EQ(o.rc, 1);
  ASSERT_STR_EQ(o.reason, "worker_broke");
  ASSERT_EQ(o.reported, 1); /* the first process's end, not the worker's */
  ASSERT(strstr(report, "worker_broke") != NULL);
  o = run(killed_by_another, beam_nil());
  ASSERT_EQ(o.rc, 1);
  ASSERT_STR_EQ(o.reason, "killed");
  ASSERT_EQ(o.reported, 1);
  /* Errors before anything runs stay negative codes. */
  ASSERT_ERR(beam_run(NULL, beam_nil(), NULL), BEAM_EINVAL);
  ASSERT_ERR(beam_run(returns, beam_error_term(BEAM_ENOMEM), NULL),
             BEAM_ENOMEM);
}

/* As a program: exit status and what it prints, with the default
** reporter (each test runs in a child of its own: nothing was set). */
static int exit_status_of(beam_fn_t fn, char *err, size_t size) {
  int pipefd[2];
  ASSERT_OK(pipe(pipefd));
  pid_t child = fork();
  ASSERT(child >= 0);
  if (child == 0) {
    dup2(pipefd[1], 2);
    close(pipefd[0]);
    close(pipefd[1]);
    _exit(beam_run(fn, beam_nil(), NULL)); /* main's 'return beam_run' */
  }
  close(pipefd[1]);
  size_t len = 0;
  ssize_t n;
  while (len + 1 < size && (n = read(pipefd[0], err + len, size - 1 - len)) > 0)
    len += (size_t) n;
  err[len] = '\0';
  close(pipefd[0]);
  int st;
  ASSERT_EQ(waitpid(child, &st, 0), child);
  ASSERT(WIFEXITED(st));
  return WEXITSTATUS(st);
}

BEAM_TEST_T(main_returning_beam_run_exits_nonzero_on_a_crash, 30) {
  char err[4096];
  ASSERT_EQ(exit_status_of(returns, err, sizeof err), 0);
  ASSERT_STR_EQ(err, "");
  ASSERT_EQ(exit_status_of(linked_to_a_crash, err, sizeof err), 1);
  ASSERT(strstr(err, "worker_broke") != NULL);
  ASSERT_EQ(exit_status_of(faults, err, sizeof err), 1);
  ASSERT(strstr(err, "{segv,0}") != NULL);
  ASSERT_EQ(exit_status_of(killed_by_another, err, sizeof err), 1);
  ASSERT(strstr(err, "killed") != NULL);
}
