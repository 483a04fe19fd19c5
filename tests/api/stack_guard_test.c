/* SPDX-License-Identifier: MIT */
/* stack_guard_test.c: a process whose frame is larger than the stack it
** has left crashes alone (issue 15, defect 2). The frames here are
** compiled *without* -fstack-clash-protection (Debian gcc's default for
** user code), so nothing probes them page by page: only the width of the
** guard stands between them and the slot below, whose process (spawned
** right after, so carved just below: stack.c hands out a refill from the
** top down) checks its own stack and descriptor afterwards. */
#include "../harness/check.h"

#include <alloca.h>

#define NOCLASH __attribute__((noinline, optimize("no-stack-clash-protection")))
#define STACK   (64u << 10) /* every process here: the same in all builds */
#define PAIRS   16

static NOCLASH void big_alloca(size_t n) {
  volatile char *p = alloca(n);
  for (size_t i = 0; i < n; i += 512) /* lowest address first */
    p[i] = (char) i;
}

static NOCLASH void big_array(void) {
  volatile char a[1 << 20];
  for (size_t i = 0; i < sizeof a; i += 4096)
    a[i] = (char) i;
}

__attribute__((noinline)) static void big_array_protected(void) {
  volatile char a[1 << 20];
  for (size_t i = 0; i < sizeof a; i += 4096)
    a[i] = (char) i;
}

static void overflower(beam_term_t arg) {
  int64_t kind;
  ASSERT_OK(beam_get_int(arg, &kind));
  ASSERT_EQ(beam_receive(10000, "go", NULL), 0);
  if (kind == 0)
    big_alloca(73u << 10);
  else if (kind == 1)
    big_array();
  else
    big_array_protected();
  beam_exit(beam_atom("not_caught")); /* the guard did not fault */
}

/* Keeps a pattern on its stack and answers pings with whether it is
** intact. */
static void neighbour(beam_term_t arg) {
  (void) arg;
  volatile unsigned char mine[2048];
  for (size_t i = 0; i < sizeof mine; i++)
    mine[i] = (unsigned char) (i * 7 + 3);
  beam_pid_t from;
  while (beam_receive(10000, "{ping, From}", &from, NULL) == 0) {
    int ok = 1;
    for (size_t i = 0; i < sizeof mine; i++)
      ok &= mine[i] == (unsigned char) (i * 7 + 3);
    beam_send(from, beam_tuple(2, beam_atom("pong"), beam_int(ok)));
  }
}

static void pairs_main(beam_term_t arg) {
  beam_spawn_opts_t o = {0};
  o.stack_size = STACK;
  beam_pid_t over[PAIRS], next[PAIRS];
  beam_term_t ref[PAIRS];
  for (int i = 0; i < PAIRS; i++) {
    o.flags = BEAM_SPAWN_MONITOR;
    o.monitor_ref = &ref[i];
    ASSERT_OK(beam_spawn_opt(overflower, arg, &o, &over[i]));
    o.flags = 0;
    ASSERT_OK(beam_spawn_opt(neighbour, beam_nil(), &o, &next[i]));
  }
  for (int i = 0; i < PAIRS; i++)
    ASSERT_OK(beam_send(over[i], beam_atom("go")));
  for (int i = 0; i < PAIRS; i++) {
    beam_term_t why;
    ASSERT_EQ(beam_receive(10000, "{'DOWN', ~t, process, _, Why}", ref[i],
                           &why, NULL),
              0);
    ASSERT_EQ(beam_match(why, "{stack_overflow, _}"), 1);
  }
  for (int i = 0; i < PAIRS; i++) {
    ASSERT_OK(beam_send(next[i], beam_tuple(2, beam_atom("ping"),
                                            beam_self())));
    beam_term_t ok;
    ASSERT_EQ(beam_receive(10000, "{pong, Ok}", &ok, NULL), 0);
    ASSERT(beam_equal(ok, beam_int(1)));
    ASSERT_OK(beam_exit_signal(next[i], beam_atom("kill")));
  }
}

static void run(int kind, size_t guard) {
  beam_set_crash_reporter(NULL, NULL);
  beam_config_t cfg = {0};
  cfg.stack_guard = guard;
  ASSERT_RAN(beam_run(pairs_main, beam_int(kind), &cfg));
}

BEAM_TEST_T(stack_guard_catches_a_73k_alloca_without_clash_protection, 60) {
  run(0, 0);
}

BEAM_TEST_T(stack_guard_wide_enough_catches_a_1m_array_without_protection,
            60) {
  run(1, (size_t) 2 << 20);
}

BEAM_TEST_T(clash_protection_catches_a_1m_array_with_the_default_guard, 60) {
  run(2, 0);
}

static void nothing(beam_term_t arg) {
  (void) arg;
}

BEAM_TEST(stack_guard_config_is_checked) {
  beam_config_t cfg = {0};
  cfg.stack_guard = ((size_t) 1 << 30) + 1;
  ASSERT_ERR(beam_run(nothing, beam_nil(), &cfg), BEAM_EINVAL);
  cfg.stack_guard = 1; /* rounded up to a page */
  ASSERT_RAN(beam_run(nothing, beam_nil(), &cfg));
}
