/* SPDX-License-Identifier: MIT */
/*
** fault_test.c: a fault in a process's own code is that process's crash
** (src/proc/fault.c): NULL dereference, SIGFPE, SIGILL, abort(), assert(),
** stack overflow; links, monitors, exit hooks and crash reports see it as
** any crash; many faults at once on several schedulers; the system keeps
** serving. And the cases that cannot be contained (a fault inside the
** runtime, inside libc, in an exit hook, BEAM_RUN_FAULTS_ABORT) end the
** OS process with one line naming the process.
**
** The faulting functions opt out of UBSan: it would (rightly) report the
** NULL dereference or the division by zero itself before the CPU faults.
*/
#include "../harness/check.h"

#include <assert.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <unistd.h>

#define NO_UBSAN \
  __attribute__((no_sanitize("undefined", "thread"), noinline))

static volatile uintptr_t zero; /* the compiler cannot prove it is 0 */

NO_UBSAN static void null_deref(beam_term_t arg) {
  (void) arg;
  *(volatile int *) zero = 42;
}

NO_UBSAN static void divide_by_zero(beam_term_t arg) {
  (void) arg;
  volatile int a = 7, b = (int) zero;
  a = a / b;
}

static void illegal(beam_term_t arg) {
  (void) arg;
  __builtin_trap();
}

static void aborts(beam_term_t arg) {
  (void) arg;
  abort();
}

static void asserts(beam_term_t arg) {
  assert(beam_is(arg, "true"));
}

static int deep(int n) {
  volatile char pad[256];
  pad[0] = (char) n;
  return n == 0 ? 0 : deep(n - 1) + pad[0];
}

static void overflows(beam_term_t arg) {
  (void) arg;
  deep(1 << 30);
}

static beam_term_t down_reason(beam_term_t ref) {
  beam_term_t r = beam_atom("none");
  ASSERT_OK(beam_receive(5000, "{'DOWN', ~t, process, _, R}", ref, &r, NULL));
  return r;
}

static beam_term_t crash_of(beam_fn_t fn, beam_term_t arg) {
  beam_pid_t p;
  beam_term_t ref;
  ASSERT_OK(beam_spawn_monitor(fn, arg, &p, &ref));
  return down_reason(ref);
}

static void expect_reason(beam_term_t r, const char *tag) {
  char buf[128];
  beam_print(buf, sizeof buf, r);
  TLOG("reason: %s", buf);
  ASSERT_EQ(beam_tuple_size(r), 2);
  ASSERT_TRUE(beam_is(beam_tuple_get(r, 0), tag));
  ASSERT_TRUE(beam_is_int(beam_tuple_get(r, 1)));
}

/* ---- Each kind of fault ---- */

static void kinds_main(beam_term_t arg) {
  (void) arg;
  beam_set_crash_reporter(NULL, NULL); /* watched anyway */
  beam_term_t r = crash_of(null_deref, beam_nil());
  expect_reason(r, "segv");
  ASSERT_TERM_EQ(beam_tuple_get(r, 1), beam_int(0));
  expect_reason(crash_of(divide_by_zero, beam_nil()), "sigfpe");
  expect_reason(crash_of(illegal, beam_nil()), "sigill");
  expect_reason(crash_of(aborts, beam_nil()), "abort");
  expect_reason(crash_of(asserts, beam_atom("false")), "abort");
  ASSERT_TERM_EQ(crash_of(asserts, beam_atom("true")), beam_atom("normal"));
  r = crash_of(overflows, beam_nil());
  expect_reason(r, "stack_overflow");
  int64_t bytes = 0;
  ASSERT_OK(beam_get_int(beam_tuple_get(r, 1), &bytes));
  ASSERT_GE(bytes, 16384);
  /* The same slots serve again: overflow twice more, then run normally. */
  expect_reason(crash_of(overflows, beam_nil()), "stack_overflow");
  expect_reason(crash_of(null_deref, beam_nil()), "segv");
  ASSERT_TERM_EQ(crash_of(asserts, beam_atom("true")), beam_atom("normal"));
}

BEAM_TEST_T(fault_each_kind_is_a_crash_of_its_process, 30) {
  beam_config_t cfg = {.schedulers = 2};
  ASSERT_RAN(beam_run(kinds_main, beam_nil(), &cfg));
}

/* ---- Links, trap_exit, hooks, reports ---- */

static int hook_runs;
static void *hook_block;

static void free_block(void *ctx, beam_term_t reason) {
  (void) reason;
  free(ctx);
  hook_block = NULL;
  hook_runs++;
}

NO_UBSAN static void owns_then_faults(beam_term_t arg) {
  (void) arg;
  hook_block = malloc(1000);
  ASSERT_OK(beam_on_exit(free_block, hook_block));
  null_deref(beam_nil());
}

static void links_then_waits(beam_term_t arg) {
  beam_pid_t c;
  ASSERT_OK(beam_spawn_link(null_deref, beam_nil(), &c));
  beam_receive(BEAM_INFINITY, "never", NULL);
  (void) arg;
}

static char last_report[2048];
static _Atomic int reports; /* release: last_report is written before */

static void keep_report(void *ctx, const beam_crash_t *c) {
  (void) ctx;
  snprintf(last_report, sizeof last_report, "%s", c->text);
  atomic_fetch_add(&reports, 1);
}

static void watch_main(beam_term_t arg) {
  (void) arg;
  beam_set_crash_reporter(keep_report, NULL);
  /* A linked process that does not trap dies of the same reason. */
  beam_term_t r = crash_of(links_then_waits, beam_nil());
  expect_reason(r, "segv");
  /* One that traps gets the EXIT message. */
  ASSERT_OK(beam_trap_exit(1));
  beam_pid_t c;
  ASSERT_OK(beam_spawn_link(divide_by_zero, beam_nil(), &c));
  beam_term_t why = beam_nil();
  ASSERT_OK(beam_receive(5000, "{'EXIT', ~t, W}", c, &why, NULL));
  expect_reason(why, "sigfpe");
  ASSERT_OK(beam_trap_exit(0));
  /* Exit hooks run: the block is freed (ASan would see a leak). */
  expect_reason(crash_of(owns_then_faults, beam_nil()), "segv");
  ASSERT_EQ(hook_runs, 1);
  ASSERT_TRUE(hook_block == NULL);
  ASSERT_EQ(atomic_load(&reports), 0); /* all were watched */
  /* Unwatched: a report naming the signal and the function. */
  ASSERT_OK(beam_spawn(null_deref, beam_nil(), &c));
  for (int i = 0; i < 500 && atomic_load(&reports) == 0; i++)
    beam_sleep(2);
  ASSERT_EQ(atomic_load(&reports), 1);
  TLOG("%s", last_report);
  ASSERT_TRUE(strstr(last_report, "exited: {segv,0}") != NULL);
  ASSERT_TRUE(strstr(last_report, "fault: SIGSEGV") != NULL);
  ASSERT_TRUE(strstr(last_report, "initial function null_deref") ||
              strstr(last_report, "initial function ?"));
  beam_set_crash_reporter(NULL, NULL);
}

BEAM_TEST_T(fault_links_trap_exit_hooks_and_report, 30) {
  beam_config_t cfg = {.schedulers = 2};
  ASSERT_RAN(beam_run(watch_main, beam_nil(), &cfg));
}

/* ---- Many at once, while a pair keeps serving ---- */

static void echo(beam_term_t arg) {
  (void) arg;
  for (;;) {
    beam_pid_t from;
    beam_term_t n;
    if (beam_receive(BEAM_INFINITY, "{ping, F, N}", &from, &n, NULL) != 0)
      return;
    ASSERT_OK(beam_send(from, beam_tuple(2, beam_atom("pong"), n)));
  }
}

static void crowd_main(beam_term_t arg) {
  (void) arg;
  beam_set_crash_reporter(NULL, NULL);
  size_t before = beam_process_count();
  beam_pid_t server;
  ASSERT_OK(beam_spawn(echo, beam_nil(), &server));
  enum { N = 2000 };
  static beam_term_t refs[N];
  for (int i = 0; i < N; i++) {
    beam_pid_t p;
    beam_fn_t fn = i % 3 == 0 ? null_deref : i % 3 == 1 ? divide_by_zero
                                                        : aborts;
    ASSERT_OK(beam_spawn_monitor(fn, beam_nil(), &p, &refs[i]));
    if (i % 100 == 0) { /* the server still answers, in order */
      ASSERT_OK(beam_send(server, beam_tuple(3, beam_atom("ping"),
                                             beam_self(),
                                             beam_int(i))));
      ASSERT_OK(beam_receive(5000, "{pong, ~i}", (int64_t) i, NULL));
    }
  }
  int seen = 0;
  for (int i = 0; i < N; i++) {
    beam_term_t r = down_reason(refs[i]);
    ASSERT_EQ(beam_tuple_size(r), 2);
    seen++;
  }
  ASSERT_EQ(seen, N);
  ASSERT_OK(beam_exit_signal(server, beam_atom("kill")));
  for (int i = 0; i < 1000 && beam_process_count() != before; i++)
    beam_sleep(2);
  ASSERT_EQ(beam_process_count(), before);
}

BEAM_TEST_T(fault_two_thousand_crashes_while_a_server_serves, 60) {
  beam_config_t cfg = {.schedulers = 2};
  ASSERT_RAN(beam_run(crowd_main, beam_nil(), &cfg));
}

/* ---- What cannot be contained ---- */

NO_UBSAN static void fault_in_runtime(beam_term_t arg) {
  (void) arg;
  beam_term_t forged = {.raw = zero + 16}; /* a "boxed" term at address 16 */
  TLOG("%zu", beam_tuple_size(forged));   /* the runtime reads there */
}

NO_UBSAN static void fault_in_libc(beam_term_t arg) {
  (void) arg;
  char buf[64];
  snprintf(buf, sizeof buf, "%s", (const char *) (zero + 16));
  TLOG("%s", buf);
}

NO_UBSAN static void hook_faults(void *ctx, beam_term_t reason) {
  (void) ctx;
  (void) reason;
  *(volatile int *) zero = 1;
}

static void fault_in_hook(beam_term_t arg) {
  (void) arg;
  ASSERT_OK(beam_on_exit(hook_faults, NULL));
}

static void fatal_main(beam_term_t arg) {
  beam_pid_t p;
  beam_fn_t fn = beam_is(arg, "runtime") ? fault_in_runtime
                 : beam_is(arg, "libc")  ? fault_in_libc
                 : beam_is(arg, "hook")  ? fault_in_hook
                                         : null_deref;
  ASSERT_OK(beam_spawn(fn, beam_nil(), &p));
  beam_sleep(5000);
  fputs("survived\n", stderr);
}

/* Run 'mode' in a child; returns its stderr; the child must not survive. */
static void expect_fatal(const char *mode, unsigned flags, const char *text) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    dup2(fds[1], 2);
    beam_config_t cfg = {.schedulers = 2, .flags = flags};
    beam_run(fatal_main, beam_atom(mode), &cfg);
    _exit(0);
  }
  close(fds[1]);
  char buf[8192] = {0};
  size_t len = 0;
  ssize_t r;
  while (len < sizeof buf - 1 &&
         (r = read(fds[0], buf + len, sizeof buf - 1 - len)) > 0)
    len += (size_t) r;
  close(fds[0]);
  int status;
  waitpid(child, &status, 0);
  TLOG("child stderr: %s", buf);
  /* Killed by the signal, or (sanitizer builds) by the sanitizer's report. */
  ASSERT_TRUE(WIFSIGNALED(status) ||
              (WIFEXITED(status) && WEXITSTATUS(status) != 0));
  ASSERT_TRUE(strstr(buf, "survived") == NULL);
  ASSERT_TRUE(strstr(buf, "in process <0.") != NULL);
  ASSERT_TRUE(strstr(buf, text) != NULL);
}

BEAM_TEST_T(fault_inside_the_runtime_is_fatal, 20) {
  expect_fatal("runtime", 0, "inside the cbeam runtime");
}

BEAM_TEST_T(fault_inside_libc_is_fatal, 20) {
  expect_fatal("libc", 0, "inside a system library");
}

BEAM_TEST_T(fault_in_an_exit_hook_is_fatal, 20) {
  expect_fatal("hook", 0, "while the process was ending");
}

BEAM_TEST_T(fault_with_faults_abort_flag_is_fatal, 20) {
  expect_fatal("null", BEAM_RUN_FAULTS_ABORT, "BEAM_RUN_FAULTS_ABORT");
}

BEAM_TEST(fault_unknown_run_flag_is_einval) {
  beam_config_t cfg = {.flags = 1u << 7};
  ASSERT_EQ(beam_run(null_deref, beam_nil(), &cfg), BEAM_EINVAL);
}
