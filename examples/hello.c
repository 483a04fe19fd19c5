/* SPDX-License-Identifier: MIT */
/* hello.c: spawn a process, print both pids, get a greeting back.
**
**   pid = spawn(fn -> send(parent, {:hello, self()}) end)
**   receive do {:hello, ^pid} -> ... end
*/
#include <cbeam.h>
#include <stdio.h>

static void greeter(beam_term_t parent) {
  beam_send(parent, beam_fmt("{hello, ~t}", beam_self()));
}

static void main_proc(beam_term_t arg) {
  (void) arg;
  char me[32], child_s[32];
  beam_pid_t child;
  if (beam_spawn(greeter, beam_self(), &child) != 0)
    return;
  beam_pid_print(me, sizeof me, beam_self());
  beam_pid_print(child_s, sizeof child_s, child);
  printf("main process %s spawned %s\n", me, child_s);
  if (beam_receive(1000, "{hello, ~t}", child, NULL) == 0)
    printf("%s says hello to %s\n", child_s, me);
}

int main(void) {
  return beam_run(main_proc, beam_nil(), NULL) == 0 ? 0 : 1;
}
