/* SPDX-License-Identifier: MIT */
/* workers.c: ten workers, each doing run(5) -- five steps with a short
** sleep between them -- interleave on the schedulers.
**
**   defmodule Worker do
**     def run(0), do: :done
**     def run(n), do: (IO.puts("#{inspect self()} step #{n}"); Process.sleep(10); run(n - 1))
**   end
**   for _ <- 1..10, do: spawn(fn -> Worker.run(5); send(parent, :done) end)
*/
#include <cbeam.h>
#include <stdio.h>

static void run(int id, int n) {
  if (n == 0)
    return;
  printf("worker %d step %d\n", id, n);
  fflush(stdout);
  beam_sleep(10);
  run(id, n - 1);
}

static void worker(beam_term_t arg) {
  beam_term_t parent, id;
  int64_t i;
  beam_match(arg, "{Parent, Id}", &parent, &id);
  beam_get_int(id, &i);
  run((int) i, 5);
  beam_send(parent, beam_fmt("{done, ~i}", i));
}

static void main_proc(beam_term_t arg) {
  (void) arg;
  for (int64_t i = 1; i <= 10; i++) {
    beam_pid_t p;
    beam_spawn(worker, beam_fmt("{~t, ~i}", beam_self(), i), &p);
  }
  for (int i = 0; i < 10; i++) {
    beam_term_t id;
    if (beam_receive(5000, "{done, Id}", &id, NULL) != 0) {
      puts("a worker did not finish");
      return;
    }
  }
  puts("all 10 workers done");
}

int main(void) {
  return beam_run(main_proc, beam_nil(), NULL) == 0 ? 0 : 1;
}
