/* SPDX-License-Identifier: MIT */
/*
** process_monitor: watch a worker and print why it went down. A monitor
** is one-way (the watcher never dies of it) and fires exactly once, with
** 'noproc' if the worker was already gone.
*/
#include <cbeam.h>
#include <stdio.h>

static void worker(beam_term_t jobs) {
  int64_t n = 0;
  beam_get_int(jobs, &n);
  for (int64_t i = 0; i < n; i++) {
    beam_term_t job;
    beam_receive(BEAM_INFINITY, "{job, J}", &job, NULL);
  }
  beam_exit(beam_atom("tired")); /* after n jobs, an abnormal reason */
}

static void watcher(beam_term_t arg) {
  (void) arg;
  beam_set_crash_reporter(NULL, NULL);
  beam_pid_t w;
  beam_term_t ref, why;
  beam_spawn(worker, beam_int(3), &w);
  ref = beam_monitor(w);
  for (int64_t i = 0; i < 3; i++)
    beam_send(w, beam_fmt("{job, ~i}", i));
  beam_receive(BEAM_INFINITY, "{'DOWN', ~t, process, _, Why}", ref, &why,
               NULL);
  printf("worker went down: ");
  beam_fprint(stdout, why, 0);
  puts("");
  /* Monitoring a dead pid is not an error: the DOWN says noproc. */
  ref = beam_monitor(w);
  beam_receive(0, "{'DOWN', ~t, process, _, Why}", ref, &why, NULL);
  printf("monitoring it again: ");
  beam_fprint(stdout, why, 0);
  puts("");
}

int main(void) {
  return beam_run(watcher, beam_nil(), NULL) == 0 ? 0 : 1;
}
