/* SPDX-License-Identifier: MIT */
/*
** timers.c: the timer workload. N processes each sleep 10 ms ten times;
** each measures every sleep against CLOCK_MONOTONIC in ns and reports its
** worst, best and total lateness to the root, which keeps the extremes.
**
** Lateness is 'elapsed - 10 ms'. A sleep must never be early; the timer
** wheel works in whole ms, so a sleep that starts just before a tick may
** return up to one tick late, and under load the schedulers add their own
** delay: 'max_late_ms' is what a process actually waited beyond its
** deadline, in the worst case of all N x 10 sleeps. 'min_late_ms' below 0
** would mean a sleep returned early (a runtime bug); main() reports it as
** a failure.
**
** Roots and globals: as in spawn.c; see bench.h.
*/
#include "bench.h"

enum {
  SLEEP_MS = 10,
  SLEEPS = 10,
};

static const bench_opts_t *g_opts;
static bench_result_t *g_res;

/* arg = the root's pid. Sends {Worst, Best, Sum} lateness in ns. */
static void sleeper(beam_term_t arg) {
  beam_pid_t root = arg;
  int64_t worst = INT64_MIN, best = INT64_MAX, sum = 0;
  for (int i = 0; i < SLEEPS; i++) {
    int64_t t0 = bench_now_ns();
    BENCH_CHECK(beam_sleep(SLEEP_MS));
    int64_t late = bench_now_ns() - t0 - (int64_t) SLEEP_MS * 1000000;
    worst = late > worst ? late : worst;
    best = late < best ? late : best;
    sum += late;
  }
  BENCH_CHECK(beam_send(root, beam_fmt("{~i, ~i, ~i}", worst, best, sum)));
}

static void timers_root(beam_term_t arg) {
  (void) arg;
  int64_t n = g_opts->n;
  size_t base = beam_process_count();
  beam_pid_t pid;
  int64_t t0 = bench_now_ns();
  for (int64_t i = 0; i < n; i++)
    BENCH_CHECK(beam_spawn(sleeper, beam_self(), &pid));
  int64_t worst = INT64_MIN, best = INT64_MAX, sum = 0;
  for (int64_t i = 0; i < n; i++) {
    beam_mark_t m = beam_arena_mark();
    beam_term_t tw, tb, ts;
    int64_t w, b, s;
    BENCH_CHECK(beam_receive(BEAM_INFINITY, "{W, B, S}", &tw, &tb, &ts, NULL));
    BENCH_CHECK(beam_get_int(tw, &w));
    BENCH_CHECK(beam_get_int(tb, &b));
    BENCH_CHECK(beam_get_int(ts, &s));
    worst = w > worst ? w : worst;
    best = b < best ? b : best;
    sum += s;
    beam_arena_release(m);
  }
  int64_t t1 = bench_now_ns();
  bench_await_exit(base);

  g_res->schedulers = beam_scheduler_count();
  bench_put(g_res, "wall_ms", (double) (t1 - t0) / 1e6, 1);
  bench_put(g_res, "max_late_ms", (double) worst / 1e6, 3);
  bench_put(g_res, "mean_late_ms", (double) sum / 1e6 / (double) (n * SLEEPS),
            3);
  bench_put(g_res, "min_late_ms", (double) best / 1e6, 3);
  if (best < 0)
    g_res->failed = 1;
}

void bench_timers(const bench_opts_t *o, bench_result_t *r) {
  g_opts = o;
  g_res = r;
  size_t limit = (size_t) o->n + 1024;
  bench_boot(o, limit < ((size_t) 1 << 20) ? 0 : limit, timers_root);
}
