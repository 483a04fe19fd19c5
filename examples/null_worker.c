/* SPDX-License-Identifier: MIT */
/*
** null_worker: a worker that dereferences NULL crashes alone.
**
** A job server hands each job to a fresh worker process and monitors it.
** One job arrives without its data, and its worker dereferences the NULL
** pointer: in plain C that SIGSEGV would end the whole program. Here it is
** that worker's crash, {segv, 0}; the server sees the DOWN, counts it and
** keeps serving, and a ticker process never misses a beat. A second bad job
** runs unmonitored, so its crash report (pid, reason, the faulting
** function) goes to stderr, as Erlang's logger would print it.
**
** What can be contained is in docs/faults.md: a fault
** in the process's own code, not inside libc or the runtime.
*/
#include <cbeam.h>
#include <stdio.h>

/* UBSan (make test SAN=address,undefined) would report this NULL
** dereference itself, before the CPU faults; the example is about the
** fault, so the worker opts out of that one check. */
#if defined(__has_attribute) && __has_attribute(no_sanitize)
#define LET_IT_FAULT __attribute__((no_sanitize("undefined")))
#else
#define LET_IT_FAULT
#endif

typedef struct job {
  int id;
  const int *data; /* NULL: the bug */
  int n;
} job_t;

static const int first[] = {1, 2, 3}, third[] = {4, 5, 6};
static const job_t jobs[] = {{1, first, 3}, {2, NULL, 3}, {3, third, 3}};

/* Not static, and the examples link with -rdynamic: that is what lets the
** crash report name the function (dladdr sees exported symbols only). */
void worker(beam_term_t arg);
LET_IT_FAULT void worker(beam_term_t arg) {
  int64_t i = 0;
  beam_get_int(arg, &i);
  const job_t *j = &jobs[i];
  int sum = 0;
  for (int k = 0; k < j->n; k++)
    sum += j->data[k]; /* job 2: SIGSEGV, reading address 0 */
  printf("job %d: sum = %d\n", j->id, sum);
}

static void ticker(beam_term_t arg) {
  (void) arg;
  for (int ticks = 1;; ticks++) {
    beam_pid_t from;
    if (beam_receive(1, "{ticks, F}", &from, NULL) == 0)
      beam_send(from, beam_int(ticks));
  }
}

static void server(beam_term_t arg) {
  (void) arg;
  beam_pid_t tick;
  beam_spawn(ticker, beam_nil(), &tick);
  int done = 0, crashed = 0;
  for (int64_t i = 0; i < 3; i++) {
    beam_pid_t w;
    beam_term_t ref, why;
    beam_spawn_monitor(worker, beam_int(i), &w, &ref);
    beam_receive(BEAM_INFINITY, "{'DOWN', ~t, process, _, Why}", ref, &why,
                 NULL);
    if (beam_is(why, "normal")) {
      done++;
    } else {
      crashed++;
      printf("job %d: worker crashed: ", jobs[i].id);
      beam_fprint(stdout, why, 0);
      printf("\n");
    }
  }
  /* The same bug, unwatched: only the crash report tells of it. */
  beam_pid_t lone;
  beam_spawn(worker, beam_int(1), &lone);
  beam_sleep(20);
  beam_send(tick, beam_tuple(2, beam_atom("ticks"), beam_self()));
  beam_term_t t = beam_nil();
  int64_t ticks = 0;
  beam_receive(1000, "T", &t, NULL);
  beam_get_int(t, &ticks);
  printf("server still serving: %d jobs done, %d crashed; ticker ticking: "
         "%s (%lld ticks)\n",
         done, crashed, ticks > 0 ? "yes" : "no", (long long) ticks);
  beam_exit_signal(tick, beam_atom("kill"));
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  return beam_run(server, beam_nil(), NULL) == 0 ? 0 : 1;
}
