/* SPDX-License-Identifier: MIT */
/*
** named_counter: a counter process registered under a name; clients send
** to the name, not the pid. When it dies the name is freed, and sending
** to it then is an error (Erlang's badarg), while {Name, Node} is dropped.
*/
#include <cbeam.h>
#include <stdio.h>

static void counter(beam_term_t arg) {
  (void) arg;
  int64_t count = 0;
  beam_mark_t mark = beam_arena_mark();
  for (;;) {
    beam_term_t from, n;
    switch (beam_receive(BEAM_INFINITY, "{add, N}", &n, "{get, From}", &from,
                         "stop", NULL)) {
    case 0: {
      int64_t v = 0;
      beam_get_int(n, &v);
      count += v;
      break;
    }
    case 1:
      beam_send(from, beam_fmt("{count, ~i}", count));
      break;
    default:
      return;
    }
    beam_arena_release(mark);
  }
}

static void client(beam_term_t arg) {
  (void) arg;
  beam_pid_t c;
  beam_term_t n, ref;
  beam_spawn(counter, beam_nil(), &c);
  if (beam_register(beam_atom("counter"), c) != 0)
    return;
  beam_term_t name = beam_atom("counter");
  for (int i = 1; i <= 10; i++)
    beam_send(name, beam_fmt("{add, ~i}", (int64_t) i));
  beam_send(name, beam_fmt("{get, ~t}", beam_self()));
  beam_receive(1000, "{count, N}", &n, NULL);
  printf("count = ");
  beam_fprint(stdout, n, 0);
  printf("; whereis(counter) is the counter: %d\n",
         beam_equal(beam_whereis(name), c));
  ref = beam_monitor(name);
  beam_send(name, beam_atom("stop"));
  beam_receive(1000, "{'DOWN', ~t, process, _, _}", ref, NULL);
  printf("after stop: whereis(counter) = %s; send to the name: %s\n",
         beam_atom_name(beam_whereis(name)),
         beam_err_name(beam_send(name, beam_atom("hello"))));
}

int main(void) {
  return beam_run(client, beam_nil(), NULL) == 0 ? 0 : 1;
}
