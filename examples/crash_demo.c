/* SPDX-License-Identifier: MIT */
/*
** crash_demo: spawn vs spawn_link vs trap_exit, as in the BEAM articles.
**   1. spawn: the child crashes alone; the parent goes on.
**   2. spawn_link: the child's crash takes the (non-trapping) parent down.
**   3. spawn_link + trap_exit: the crash arrives as an {'EXIT', Pid, Why}
**      message and the parent decides what to do.
*/
#include <cbeam.h>
#include <stdio.h>

static void crasher(beam_term_t why) {
  beam_sleep(10);
  beam_exit(why); /* from any depth: the process ends with 'why' */
}

static void linked_parent(beam_term_t arg) {
  (void) arg;
  beam_pid_t child;
  beam_spawn_link(crasher, beam_atom("boom"), &child);
  beam_sleep(1000);
  puts("never printed: the link killed this process");
}

static void trapping_parent(beam_term_t arg) {
  (void) arg;
  beam_pid_t child;
  beam_term_t why;
  beam_trap_exit(1);
  beam_spawn_link(crasher, beam_atom("boom"), &child);
  if (beam_receive(1000, "{'EXIT', ~t, Why}", child, &why, NULL) == 0) {
    printf("3. trapping parent got EXIT with reason ");
    beam_fprint(stdout, why, 0);
    puts(", and lives on");
  }
}

static void demo(beam_term_t arg) {
  (void) arg;
  beam_pid_t p;
  beam_term_t ref, why;
  beam_set_crash_reporter(NULL, NULL); /* the demo prints its own lines */

  beam_spawn(crasher, beam_atom("boom"), &p);
  beam_sleep(50);
  printf("1. spawn: child alive? %d; parent alive? %d\n", beam_is_alive(p),
         beam_is_alive(beam_self()));

  beam_spawn_monitor(linked_parent, beam_nil(), &p, &ref);
  beam_receive(1000, "{'DOWN', ~t, process, _, Why}", ref, &why, NULL);
  printf("2. spawn_link: the parent died too, reason ");
  beam_fprint(stdout, why, 0);
  puts("");

  beam_spawn_monitor(trapping_parent, beam_nil(), &p, &ref);
  beam_receive(1000, "{'DOWN', ~t, process, _, _}", ref, NULL);
}

int main(void) {
  return beam_run(demo, beam_nil(), NULL) == 0 ? 0 : 1;
}
