/* SPDX-License-Identifier: MIT */
/*
** priority_test.c: Erlang's priority rules (src/sched/prio.c), on one
** scheduler so that only the scheduling order decides: max and high run
** strictly before lower levels; low and normal share, low less often but
** never starved; bad priorities are errors.
*/
#include "../harness/check.h"

#include <stdatomic.h>

static _Atomic int stop;
static _Atomic long counts[4];

static void looper(beam_term_t arg) { /* counts its turns until told */
  int64_t level = 0;
  beam_get_int(arg, &level);
  while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
    atomic_fetch_add_explicit(&counts[level], 1, memory_order_relaxed);
    beam_consume(400); /* ~10 turns per slice */
  }
}

static void spawn_at(beam_priority_t prio) {
  beam_spawn_opts_t o = {.priority = prio};
  beam_pid_t p;
  ASSERT_OK(beam_spawn_opt(looper, beam_int(prio), &o, &p));
}

static void race(beam_priority_t a, beam_priority_t b) {
  atomic_store(&stop, 0);
  for (int i = 0; i < 4; i++)
    atomic_store(&counts[i], 0);
  spawn_at(a);
  spawn_at(b);
  beam_sleep(100); /* the root is max: its timer brings it back first */
  atomic_store(&stop, 1);
  beam_sleep(10);
  TLOG("prio %d: %ld turns, prio %d: %ld turns", a, atomic_load(&counts[a]),
       b, atomic_load(&counts[b]));
}

static void prio_main(beam_term_t arg) {
  (void) arg;
  ASSERT_EQ(beam_set_priority(BEAM_PRIO_MAX), BEAM_PRIO_NORMAL);
  /* high vs normal: the normal one never gets a turn while high runs. */
  race(BEAM_PRIO_HIGH, BEAM_PRIO_NORMAL);
  ASSERT_GT(atomic_load(&counts[BEAM_PRIO_HIGH]), 1000);
  ASSERT_EQ(atomic_load(&counts[BEAM_PRIO_NORMAL]), 0);
  /* normal vs low: both run; low about one turn in eight. */
  race(BEAM_PRIO_NORMAL, BEAM_PRIO_LOW);
  long n = atomic_load(&counts[BEAM_PRIO_NORMAL]);
  long l = atomic_load(&counts[BEAM_PRIO_LOW]);
  ASSERT_GT(l, 0);
  ASSERT_GT(n, 3 * l);
  /* errors */
  ASSERT_EQ(beam_set_priority((beam_priority_t) 9), BEAM_EINVAL);
  beam_spawn_opts_t bad = {.priority = (beam_priority_t) 9};
  beam_pid_t p;
  ASSERT_EQ(beam_spawn_opt(looper, beam_int(0), &bad, &p), BEAM_EINVAL);
  ASSERT_EQ(beam_set_priority(BEAM_PRIO_NORMAL), BEAM_PRIO_MAX);
}

/* No spares: when the OS stalls the one scheduler thread for 10 ms (a
** loaded machine, sanitizers), the watchdog would start a spare, a second
** scheduler that runs the normal process next to the high one. */
BEAM_TEST_T(priority_max_high_strict_low_shares, 30) {
  ASSERT_EQ(beam_set_priority(BEAM_PRIO_HIGH), BEAM_ENOTPROC);
  beam_config_t cfg = {.schedulers = 1, .flags = BEAM_RUN_NO_SPARES};
  ASSERT_RAN(beam_run(prio_main, beam_nil(), &cfg));
}
