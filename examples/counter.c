/* SPDX-License-Identifier: MIT */
/* counter.c: the recursive Counter of the BEAM articles.
**
**   defmodule Counter do
**     def start(n), do: spawn(fn -> loop(n) end)
**     defp loop(n) do
**       receive do
**         :increment      -> loop(n + 1)
**         {:add, k}       -> loop(n + k)
**         {:get, from}    -> send(from, {:count, n}); loop(n)
**         :stop           -> :ok
**       end
**     end
**   end
**
** The Elixir loop is a tail call; in C it is a 'for' loop. The arena mark
** taken before the loop and released at the bottom of every iteration keeps
** the counter's memory constant however many messages it handles.
*/
#include <cbeam.h>
#include <stdio.h>

static void counter_loop(beam_term_t initial) {
  int64_t n = 0;
  beam_get_int(initial, &n);
  beam_mark_t mark = beam_arena_mark();
  for (;;) {
    beam_term_t k, from;
    switch (beam_receive(BEAM_INFINITY,
                         "increment",
                         "{add, K}", &k,
                         "{get, From}", &from,
                         "stop",
                         NULL)) {
    case 0:
      n++;
      break;
    case 1: {
      int64_t v = 0;
      beam_get_int(k, &v);
      n += v;
      break;
    }
    case 2:
      beam_send(from, beam_fmt("{count, ~i}", n));
      break;
    default:
      return;
    }
    beam_arena_release(mark);
  }
}

static int counter_get(beam_pid_t counter, int64_t *out) {
  beam_send(counter, beam_fmt("{get, ~t}", beam_self()));
  beam_term_t n;
  int rc = beam_receive(5000, "{count, N}", &n, NULL);
  if (rc < 0)
    return rc;
  return beam_get_int(n, out);
}

static void main_proc(beam_term_t arg) {
  (void) arg;
  beam_pid_t counter;
  beam_spawn(counter_loop, beam_int(0), &counter);
  for (int i = 0; i < 1000; i++)
    beam_send(counter, beam_atom("increment"));
  beam_send(counter, beam_fmt("{add, ~i}", (int64_t) 42));
  int64_t n = -1;
  int rc = counter_get(counter, &n);
  if (rc < 0)
    printf("get failed: %s\n", beam_strerror(rc));
  else
    printf("count = %lld\n", (long long) n);
  beam_send(counter, beam_atom("stop"));
  while (beam_is_alive(counter) == 1)
    beam_sleep(1);
  /* A get on a stopped counter times out instead of hanging. */
  rc = counter_get(counter, &n);
  printf("get after stop: %s\n", beam_err_name(rc));
}

int main(void) {
  return beam_run(main_proc, beam_nil(), NULL) == 0 ? 0 : 1;
}
