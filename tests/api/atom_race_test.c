/* SPDX-License-Identifier: MIT */
/* atom_race_test.c: an atom another scheduler is creating at the same
** moment is a valid term as soon as beam_atom returns it. The table used
** to publish an atom's hash slot before its count, so a process that
** found the new atom through the slot could have beam_send call it a
** forged term (BEAM_EBADTERM): seen once under TSan in T10, where two
** processes made the atom 'task' at once. The window is a few
** instructions wide, so this is a smoke test that rarely met the old bug
** (it did not in 6 runs, plain and TSan); the fix rests on the ordering
** argument in atom.c's insert. */
#include "../harness/check.h"

#include <stdatomic.h>
#include <stdio.h>

enum { RACERS = 4, NAMES = 20000 };

static _Atomic int bad, done;

/* Make each name in turn (the others make the same ones) and use it. */
static void racer(beam_term_t parent) {
  char name[32];
  int64_t n = (int64_t) (NAMES * beam_test_scale());
  for (int64_t i = 0; i < n; i++) {
    snprintf(name, sizeof name, "atom_race_%lld", (long long) i);
    beam_term_t a = beam_atom(name), msg;
    if (beam_send(beam_self(), beam_tuple(2, a, beam_int(i))) != 0)
      atomic_fetch_add(&bad, 1);
    else
      beam_receive_any(0, &msg);
  }
  atomic_fetch_add(&done, 1);
  beam_send(parent, beam_atom("done"));
}

static void race_main(beam_term_t arg) {
  (void) arg;
  beam_pid_t p;
  for (int r = 0; r < RACERS; r++)
    ASSERT_OK(beam_spawn(racer, beam_self(), &p));
  for (int r = 0; r < RACERS; r++)
    ASSERT_OK(beam_receive(60000, "done", NULL));
  ASSERT_EQ(atomic_load(&done), RACERS);
  ASSERT_EQ(atomic_load(&bad), 0);
  reached = 1;
}

BEAM_TEST_T(atom_made_concurrently_is_valid_at_once, 120) {
  RUN_TO_END(race_main, 2);
}
