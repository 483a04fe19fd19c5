/* SPDX-License-Identifier: MIT */
/* spawn_test.c: spawn, pids, the process limit, exit, stack overflow. */
#include "../harness/check.h"

#include <sys/wait.h>
#include <unistd.h>

static beam_pid_t parent;

static void echo_arg(beam_term_t arg) {
  ASSERT_OK(beam_send(parent, beam_tuple(2, beam_self(), arg)));
}

static void spawn_main(beam_term_t arg) {
  (void) arg;
  parent = beam_self();
  beam_mark_t mark = beam_arena_mark();
  beam_term_t big = beam_fmt("{hello, [1, 2, 3], <<\"bytes\">>}");
  beam_pid_t child;
  ASSERT_OK(beam_spawn(echo_arg, big, &child));
  ASSERT_TRUE(beam_is_pid(child));
  beam_arena_release(mark); /* the child has its own copy */
  beam_term_t from, got;
  ASSERT_EQ(beam_receive(5000, "{From, Got}", &from, &got, NULL), 0);
  ASSERT_TERM_EQ(from, child);
  ASSERT_TERM_EQ(got, beam_fmt("{hello, [1, 2, 3], <<\"bytes\">>}"));
  /* The child has exited by now (or is about to). */
  for (int i = 0; i < 1000 && beam_is_alive(child) == 1; i++)
    beam_sleep(1);
  ASSERT_EQ(beam_is_alive(child), 0);
  ASSERT_OK(beam_send(child, beam_atom("dropped"))); /* M2: silent */
}

BEAM_TEST(spawn_copies_argument_and_reports_pid) {
  beam_config_t cfg = {.schedulers = 2};
  ASSERT_RAN(beam_run(spawn_main, beam_nil(), &cfg));
}

static void wait_forever(beam_term_t arg) {
  (void) arg;
  beam_term_t m;
  beam_receive_any(BEAM_INFINITY, &m);
}

static void limit_main(beam_term_t arg) {
  (void) arg;
  beam_pid_t pids[9];
  ASSERT_EQ(beam_process_limit(), 10);
  for (int i = 0; i < 9; i++)
    ASSERT_OK(beam_spawn(wait_forever, beam_nil(), &pids[i]));
  ASSERT_EQ(beam_process_count(), 10);
  beam_pid_t extra;
  ASSERT_ERR(beam_spawn(wait_forever, beam_nil(), &extra), BEAM_ESYSLIMIT);
  ASSERT_ERR(beam_spawn(NULL, beam_nil(), &extra), BEAM_EINVAL);
  ASSERT_ERR(beam_spawn(wait_forever, beam_nil(), NULL), BEAM_EINVAL);
  beam_spawn_opts_t bad = {.flags = 0x80};
  ASSERT_ERR(beam_spawn_opt(wait_forever, beam_nil(), &bad, &extra),
             BEAM_EINVAL);
  for (int i = 0; i < 9; i++)
    ASSERT_OK(beam_send(pids[i], beam_atom("stop")));
  while (beam_process_count() > 1)
    beam_sleep(1);
  ASSERT_OK(beam_spawn(wait_forever, beam_nil(), &extra));
  ASSERT_OK(beam_send(extra, beam_atom("stop")));
}

BEAM_TEST(spawn_past_the_limit_is_system_limit) {
  beam_config_t cfg = {.schedulers = 2, .process_limit = 10};
  ASSERT_RAN(beam_run(limit_main, beam_nil(), &cfg));
}

static void pid_main(beam_term_t arg) {
  (void) arg;
  beam_pid_t a, b;
  ASSERT_OK(beam_spawn(wait_forever, beam_nil(), &a));
  ASSERT_OK(beam_spawn(wait_forever, beam_nil(), &b));
  ASSERT_FALSE(beam_equal(a, b));
  ASSERT_NE(beam_hash(a), beam_hash(b));
  ASSERT_NE(beam_compare(a, b), 0);
  char buf[64];
  beam_pid_print(buf, sizeof buf, a);
  unsigned long n, s;
  ASSERT_EQ(sscanf(buf, "<0.%lu.%lu>", &n, &s), 2);
  ASSERT_OK(beam_send(a, beam_atom("stop")));
  while (beam_is_alive(a) == 1)
    beam_yield();
  /* A new process never gets a dead one's pid. */
  for (int i = 0; i < 2000; i++) {
    beam_pid_t c;
    ASSERT_OK(beam_spawn(wait_forever, beam_nil(), &c));
    ASSERT_FALSE(beam_equal(c, a));
    ASSERT_OK(beam_send(c, beam_atom("stop")));
    while (beam_is_alive(c) == 1)
      beam_yield();
  }
  ASSERT_EQ(beam_is_alive(a), 0);
  ASSERT_OK(beam_send(b, beam_atom("stop")));
}

BEAM_TEST(spawn_pids_are_values_never_reused) {
  beam_config_t cfg = {.schedulers = 2, .process_limit = 16};
  ASSERT_RAN(beam_run(pid_main, beam_nil(), &cfg));
}

/* Exits from the innermost of 21 nested calls with {bye, Id, Levels}, a
** reason built down there. (gcc 12 calls any recursion whose only base
** case is a _Noreturn call "infinite".) */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winfinite-recursion"
static void exit_deep(int depth, int64_t id, int64_t levels) {
  if (depth > 0)
    exit_deep(depth - 1, id, levels + 1);
  beam_exit(beam_fmt("{bye, ~i, ~i}", id, levels));
}
#pragma GCC diagnostic pop

static void exiter(beam_term_t id) {
  beam_term_t junk = beam_fmt("{lots, [of, terms]}");
  (void) junk;
  int64_t i = 0;
  ASSERT_OK(beam_get_int(id, &i));
  exit_deep(20, i, 0);
}

enum { EXITERS = 100 };

static void exit_main(beam_term_t arg) {
  (void) arg;
  beam_pid_t p[EXITERS];
  beam_term_t ref[EXITERS];
  for (int i = 0; i < EXITERS; i++)
    ASSERT_OK(beam_spawn_monitor(exiter, beam_int(i), &p[i], &ref[i]));
  /* Each DOWN carries the reason given 20 calls deep, unchanged. */
  for (int i = 0; i < EXITERS; i++) {
    beam_term_t why;
    ASSERT_EQ(beam_receive(BEAM_INFINITY, "{'DOWN', ~t, process, ~t, Why}",
                           ref[i], p[i], &why, NULL),
              0);
    ASSERT_TERM_EQ(why, beam_fmt("{bye, ~i, 20}", (int64_t) i));
  }
}

BEAM_TEST(spawn_exit_from_any_depth) {
  ASSERT_RAN(beam_run(exit_main, beam_nil(), NULL));
}

static void pinned_main(beam_term_t arg) {
  (void) arg;
  parent = beam_self();
  beam_spawn_opts_t o = {.flags = BEAM_SPAWN_PINNED, .stack_size = 256 << 10};
  beam_pid_t p;
  ASSERT_OK(beam_spawn_opt(echo_arg, beam_int(7), &o, &p));
  beam_term_t from, v;
  ASSERT_EQ(beam_receive(5000, "{From, V}", &from, &v, NULL), 0);
  ASSERT_TERM_EQ(v, beam_int(7));
}

BEAM_TEST(spawn_opt_pinned_and_stack_size) {
  beam_config_t cfg = {.schedulers = 2};
  ASSERT_RAN(beam_run(pinned_main, beam_nil(), &cfg));
}

static int deep(int n) {
  volatile char pad[256];
  pad[0] = (char) n;
  return n == 0 ? 0 : deep(n - 1) + pad[0];
}

static void overflow_proc(beam_term_t arg) {
  (void) arg;
  deep(1 << 30);
}

static void quick_proc(beam_term_t arg) {
  (void) arg;
}

static void idle_proc(beam_term_t arg) {
  (void) arg;
  beam_receive(BEAM_INFINITY, "never", NULL);
}

static void overflow_main(beam_term_t arg) {
  beam_pid_t p;
  if (beam_is(arg, "reused")) {
    /* Slots that ran a process, then had their memory released (merged
    ** MADV_DONTNEED over neighbours, guards included) must still guard:
    ** use them up so the overflowing process gets one. */
    for (int i = 0; i < 3000; i++)
      ASSERT_OK(beam_spawn(quick_proc, beam_nil(), &p));
    beam_sleep(400); /* several scavenge steps */
    for (int i = 0; i < 2900; i++)
      ASSERT_OK(beam_spawn(idle_proc, beam_nil(), &p));
  }
  /* The overflow is that process's crash (fault.c), and only its own. */
  beam_term_t ref;
  ASSERT_OK(beam_spawn_monitor(overflow_proc, beam_nil(), &p, &ref));
  ASSERT_OK(beam_receive(10000, "{'DOWN', ~t, process, _, {stack_overflow, _}}",
                         ref, NULL));
}

static void overflow_check(const char *mode) {
  beam_config_t cfg = {.schedulers = 2};
  ASSERT_RAN(beam_run(overflow_main, beam_atom(mode), &cfg));
}

BEAM_TEST_T(spawn_stack_overflow_is_caught_and_named, 20) {
  overflow_check("fresh");
}

BEAM_TEST_T(spawn_stack_overflow_caught_in_a_released_slot, 30) {
  overflow_check("reused");
}
