/* SPDX-License-Identifier: MIT */
/*
** responsive: keeping the system responsive (README, "Keeping the system
** responsive").
**   - a long computation in C calls beam_yield_check() in its loop, so it
**     shares its scheduler;
**   - twenty processes make a blocking call (here usleep, standing for
**     file I/O or getaddrinfo) through beam_dirty_io, so no scheduler is
**     blocked while they wait;
**   - meanwhile a ticker wants to run every millisecond: it reports how
**     late it ever was.
*/
#include <cbeam.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static int64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void *slow_lookup(void *arg) { /* blocks its thread for 50 ms */
  usleep(50000);
  return arg;
}

static void looker(beam_term_t parent) {
  void *answer = NULL;
  beam_dirty_io(slow_lookup, (void *) (uintptr_t) 42, &answer);
  beam_send(parent, beam_tuple(2, beam_atom("answer"),
                               beam_int((int64_t) (uintptr_t) answer)));
}

static void cruncher(beam_term_t parent) {
  uint64_t x = 1;
  for (long i = 0; i < 20000000; i++) {
    x = x * 6364136223846793005u + 1;
    beam_yield_check(); /* a few ns; yields every 4,000 calls */
  }
  beam_send(parent, beam_tuple(2, beam_atom("crunched"),
                               beam_int((int64_t) (x & 1))));
}

static void ticker(beam_term_t parent) {
  int64_t worst = 0, t = now_us();
  for (int i = 0; i < 200; i++) {
    beam_receive(1, "never", NULL); /* 1 ms */
    int64_t n = now_us();
    worst = n - t - 1000 > worst ? n - t - 1000 : worst;
    t = n;
  }
  beam_send(parent, beam_tuple(2, beam_atom("ticked"), beam_int(worst)));
}

static void main_process(beam_term_t arg) {
  (void) arg;
  beam_pid_t p;
  beam_spawn(ticker, beam_self(), &p);
  beam_spawn(cruncher, beam_self(), &p);
  for (int i = 0; i < 20; i++)
    beam_spawn(looker, beam_self(), &p);
  int answers = 0;
  for (int i = 0; i < 20; i++)
    if (beam_receive(5000, "{answer, 42}", NULL) == 0)
      answers++;
  printf("%d blocking lookups answered through beam_dirty_io\n", answers);
  beam_term_t late;
  beam_receive(BEAM_INFINITY, "{ticked, L}", &late, NULL);
  int64_t us = 0;
  beam_get_int(late, &us);
  printf("ticker: 200 ticks of 1 ms, worst lateness %.1f ms\n",
         (double) us / 1000);
  beam_receive(BEAM_INFINITY, "{crunched, _}", NULL);
  puts("cruncher finished, sharing its scheduler all along");
}

int main(void) {
  beam_config_t cfg = {.schedulers = 2};
  return beam_run(main_process, beam_nil(), &cfg) == 0 ? 0 : 1;
}
