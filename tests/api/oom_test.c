/* SPDX-License-Identifier: MIT */
/* oom_test.c: out of memory is an error, not a crash. With the allocator
** made to fail after N allocations, spawn and send return BEAM_ENOMEM, the
** runtime keeps going, and nothing leaks (LSan checks in the ASan build). */
#include "../harness/check.h"
#include "../../src/util/debug.h"

static void sink(beam_term_t arg) {
  (void) arg;
  beam_term_t m;
  while (beam_receive_any(BEAM_INFINITY, &m) == 0 && !beam_is(m, "stop"))
    ;
}

static void oom_main(beam_term_t arg) {
  (void) arg;
  beam_pid_t s;
  ASSERT_OK(beam_spawn(sink, beam_nil(), &s));
  int enomem_send = 0, enomem_spawn = 0, ok = 0;
  for (long n = 0; n < 40; n++) {
    beam_term_t msg = beam_fmt("{hello, [1, 2, 3], <<\"payload\">>}");
    beam_debug_fail_alloc_after(n);
    int r = beam_send(s, msg);
    beam_pid_t c;
    int r2 = beam_spawn(sink, msg, &c);
    beam_debug_fail_alloc_after(-1);
    if (r == BEAM_ENOMEM)
      enomem_send++;
    else
      ASSERT_OK(r);
    if (r2 == BEAM_ENOMEM)
      enomem_spawn++;
    else {
      ASSERT_OK(r2);
      ASSERT_OK(beam_send(c, beam_atom("stop")));
    }
    ok++;
  }
  ASSERT_GT(enomem_send, 0);
  ASSERT_GT(enomem_spawn, 0);
  /* Still serving. */
  ASSERT_OK(beam_send(s, beam_atom("stop")));
  while (beam_process_count() > 1)
    beam_sleep(1);
  TLOG("%d rounds: %d send and %d spawn ENOMEM", ok, enomem_send,
       enomem_spawn);
}

BEAM_TEST(oom_spawn_and_send_return_enomem) {
  beam_config_t cfg = {.schedulers = 1};
  ASSERT_RAN(beam_run(oom_main, beam_nil(), &cfg));
}
