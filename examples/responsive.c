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
**     late it ever was;
**   - then two calls into code we cannot change (a loop that never calls
**     the runtime) hold both schedulers for 300 ms: the watchdog starts a
**     spare scheduler thread, and the ticker keeps ticking.
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

static void legacy_filter(beam_term_t parent) { /* no runtime call */
  volatile uint64_t x = 1;
  for (int64_t until = now_us() + 300000; now_us() < until;)
    x = x * 3 + 1;
  beam_send(parent, beam_atom("filtered"));
}

static double ticker_worst_ms(void) {
  beam_term_t late;
  beam_receive(BEAM_INFINITY, "{ticked, L}", &late, NULL);
  int64_t us = 0;
  beam_get_int(late, &us);
  return (double) us / 1000;
}

/* Two plain loops on two schedulers, next to a 1 ms ticker. */
static void plain_loops(void) {
  beam_pid_t p;
  beam_spawn(ticker, beam_self(), &p);
  beam_spawn(legacy_filter, beam_self(), &p);
  beam_spawn(legacy_filter, beam_self(), &p);
  beam_sleep(100);
  unsigned spares = beam_spare_scheduler_count();
  double worst = ticker_worst_ms();
  beam_receive(BEAM_INFINITY, "filtered", NULL);
  beam_receive(BEAM_INFINITY, "filtered", NULL);
  printf("two plain C loops held both schedulers for 300 ms; %u spare "
         "scheduler%s kept the ticker going (worst lateness %.1f ms)\n",
         spares, spares == 1 ? "" : "s", worst);
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
  printf("ticker: 200 ticks of 1 ms, worst lateness %.1f ms\n",
         ticker_worst_ms());
  beam_receive(BEAM_INFINITY, "{crunched, _}", NULL);
  puts("cruncher finished, sharing its scheduler all along");
  plain_loops();
}

int main(void) {
  beam_config_t cfg = {.schedulers = 2};
  return beam_run(main_process, beam_nil(), &cfg) == 0 ? 0 : 1;
}
