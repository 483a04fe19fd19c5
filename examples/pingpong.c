/* SPDX-License-Identifier: MIT */
/* pingpong.c: two processes bounce a ball; the pong side gives up with
** 'after 5000' once the pinger stops.
**
**   def pong do
**     receive do
**       {:ping, from, n} -> send(from, {:pong, n}); pong()
**     after 5000 -> IO.puts("pong: no ping for 5 s")
**     end
**   end
*/
#include <cbeam.h>
#include <stdio.h>
#include <stdlib.h>

static void pong(beam_term_t arg) {
  int64_t timeout_ms = 5000;
  beam_get_int(arg, &timeout_ms);
  beam_mark_t mark = beam_arena_mark();
  for (;;) {
    beam_term_t from, n;
    int rc = beam_receive(timeout_ms, "{ping, From, N}", &from, &n, NULL);
    if (rc == BEAM_ETIMEDOUT) {
      printf("pong: no ping for %lld ms, stopping\n", (long long) timeout_ms);
      return;
    }
    beam_send(from, beam_fmt("{pong, ~t}", n));
    beam_arena_release(mark);
  }
}

static void main_proc(beam_term_t arg) {
  beam_pid_t p;
  beam_spawn(pong, arg, &p);
  const int64_t rounds = 100000;
  int64_t t0 = beam_monotonic_ms();
  beam_mark_t mark = beam_arena_mark();
  for (int64_t i = 0; i < rounds; i++) {
    beam_send(p, beam_fmt("{ping, ~t, ~i}", beam_self(), i));
    if (beam_receive(5000, "{pong, ~i}", i, NULL) != 0) {
      puts("ping: no pong");
      return;
    }
    beam_arena_release(mark);
  }
  printf("ping: %lld round trips in %lld ms\n", (long long) rounds,
         (long long) (beam_monotonic_ms() - t0));
  while (beam_is_alive(p) == 1)
    beam_sleep(10);
}

int main(int argc, char **argv) {
  /* The pong side's 'after', in ms (5000 as in the article by default). */
  int64_t after = argc > 1 ? atoll(argv[1]) : 5000;
  return beam_run(main_proc, beam_int(after), NULL) == 0 ? 0 : 1;
}
