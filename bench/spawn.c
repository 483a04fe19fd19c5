/* SPDX-License-Identifier: MIT */
/*
** spawn.c: the workloads that measure process creation and teardown.
**
**   spawn_idle  N processes that block in receive at once (or, with
**               --kind hibernate, hibernate): spawn latency and the
**               resident memory each one costs.
**   spawn_exit  N processes that return at once: create + exit throughput.
**   skynet      a 10-ary tree of 1,111,111 processes whose 1,000,000 leaves
**               send their number up; every parent sums its ten children.
**
** Each workload has one root process (the first process of beam_run()) that
** does the timing; it reads its parameters from 'g_opts' and writes its
** figures to 'g_res', both set by the bench_* entry point just before
** beam_run() (see bench.h for why plain globals are safe here).
**
** spawn_idle cannot observe "blocked in receive" through the public API:
** beam_process_count() only says a process exists. So 'wall_ms' stops when
** the count is reached (every beam_spawn() has returned), and the RSS
** sample waits a further second, by which time every process has run to
** its receive and been idle long enough to count as idle: cbeam saves an
** idle process's stack after 500-600 ms of waiting (docs/memory.md), and
** the BEAM's figure does not move with the wait. The pid array is allocated and touched
** before the first RSS sample so it is not charged to the processes.
**
** spawn_exit keeps at most SPAWN_EXIT_BOUND children alive: without a bound
** the parent could outrun the children and the test would measure a
** million live processes instead of create + exit. The parent yields while
** the bound is reached, so its scheduler runs the children meanwhile.
*/
#include "bench.h"

#include <string.h>

enum {
  SPAWN_EXIT_BOUND = 10000, /* live children at most, spawn_exit */
  SETTLE_MS = 1000,         /* spawn_idle: idle for a second, ms */
  RSS_BACK_MS = 1000,       /* spawn_idle: time for RSS to fall back, ms */
  SKYNET_LEAVES = 1000000,
  SKYNET_FANOUT = 10,
};

static const bench_opts_t *g_opts;
static bench_result_t *g_res;

/* ---- spawn_idle ---- */

static void idle_body(beam_term_t arg) {
  (void) arg;
  BENCH_CHECK(beam_receive(BEAM_INFINITY, "stop", NULL));
}

static void hibernated_wake(beam_term_t arg) {
  (void) arg;
  BENCH_CHECK(beam_receive(BEAM_INFINITY, "stop", NULL));
}

static void hibernating_body(beam_term_t arg) {
  beam_hibernate(hibernated_wake, arg);
}

static void spawn_idle_root(beam_term_t arg) {
  (void) arg;
  size_t n = (size_t) g_opts->n;
  beam_pid_t *pids = malloc(n * sizeof *pids);
  if (pids == NULL)
    bench_fail(__FILE__, __LINE__, "malloc", BEAM_ENOMEM);
  memset(pids, 0, n * sizeof *pids); /* touch it before the RSS sample */
  beam_term_t stop = beam_atom("stop");
  size_t start = beam_process_count();
  size_t rss0 = bench_rss_bytes();

  int64_t t0 = bench_now_ns();
  beam_fn_t body =
      strcmp(g_opts->kind, "hibernate") == 0 ? hibernating_body : idle_body;
  for (size_t i = 0; i < n; i++)
    BENCH_CHECK(beam_spawn(body, beam_nil(), &pids[i]));
  while (beam_process_count() < start + n)
    BENCH_CHECK(beam_sleep(1));
  int64_t t1 = bench_now_ns();

  BENCH_CHECK(beam_sleep(SETTLE_MS));
  size_t rss1 = bench_rss_bytes();
  g_res->schedulers = beam_scheduler_count();
  bench_put(g_res, "wall_ms", (double) (t1 - t0) / 1e6, 1);
  bench_put(g_res, "bytes_per_proc",
            rss1 > rss0 ? (double) (rss1 - rss0) / (double) n : 0.0, 0);

  int64_t t2 = bench_now_ns();
  for (size_t i = 0; i < n; i++)
    BENCH_CHECK(beam_send(pids[i], stop));
  while (beam_process_count() > start)
    BENCH_CHECK(beam_sleep(1));
  bench_put(g_res, "stop_ms", (double) (bench_now_ns() - t2) / 1e6, 1);
  /* What is left once freed stacks have gone back to the OS (two
  ** scavenge steps, stack.c) and malloc was trimmed (idle.c). */
  memset(pids, 0, n * sizeof *pids); /* it was there at the first sample */
  BENCH_CHECK(beam_sleep(RSS_BACK_MS));
  size_t rss2 = bench_rss_bytes();
  bench_put(g_res, "rss_left_mb",
            rss2 > rss0 ? (double) (rss2 - rss0) / 1048576.0 : 0.0, 1);
  free(pids);
}

void bench_spawn_idle(const bench_opts_t *o, bench_result_t *r) {
  g_opts = o;
  g_res = r;
  /* The root and any helper the runtime keeps need room above N. */
  size_t limit = (size_t) o->n + 1024;
  bench_boot(o, limit < ((size_t) 1 << 20) ? 0 : limit, spawn_idle_root);
}

/* ---- spawn_exit ---- */

static void exit_body(beam_term_t arg) {
  (void) arg;
}

static void spawn_exit_root(beam_term_t arg) {
  (void) arg;
  size_t n = (size_t) g_opts->n;
  size_t start = beam_process_count(), peak = 0;
  size_t rss0 = bench_rss_bytes();
  beam_pid_t pid;

  int64_t t0 = bench_now_ns();
  for (size_t i = 0; i < n; i++) {
    size_t alive;
    while ((alive = beam_process_count() - start) >= SPAWN_EXIT_BOUND)
      BENCH_CHECK(beam_yield());
    peak = alive > peak ? alive : peak;
    BENCH_CHECK(beam_spawn(exit_body, beam_nil(), &pid));
  }
  while (beam_process_count() > start)
    BENCH_CHECK(beam_yield());
  int64_t t1 = bench_now_ns();
  size_t rss1 = bench_rss_bytes();

  g_res->schedulers = beam_scheduler_count();
  double s = (double) (t1 - t0) / 1e9;
  bench_put(g_res, "procs_per_s", (double) n / s, 0);
  bench_put(g_res, "wall_ms", s * 1e3, 1);
  /* With at most SPAWN_EXIT_BOUND alive this should stay near
  ** SPAWN_EXIT_BOUND pages; growth with N means exited processes' memory
  ** is not coming back while the runtime is busy. */
  bench_put(g_res, "rss_growth_mb",
            rss1 > rss0 ? (double) (rss1 - rss0) / 1048576.0 : 0.0, 1);
  bench_put(g_res, "peak_alive", (double) peak, 0);
}

void bench_spawn_exit(const bench_opts_t *o, bench_result_t *r) {
  g_opts = o;
  g_res = r;
  bench_boot(o, 0, spawn_exit_root);
}

/* ---- skynet ---- */

/* arg = {Parent, Num, Size}: this subtree covers leaves Num .. Num+Size-1
** and sends their sum to Parent. */
static void skynet_node(beam_term_t arg) {
  beam_pid_t parent = beam_tuple_get(arg, 0);
  int64_t num, size;
  BENCH_CHECK(beam_get_int(beam_tuple_get(arg, 1), &num));
  BENCH_CHECK(beam_get_int(beam_tuple_get(arg, 2), &size));
  if (size == 1) {
    BENCH_CHECK(beam_send(parent, beam_int(num)));
    return;
  }
  int64_t sub = size / SKYNET_FANOUT;
  beam_pid_t self = beam_self(), child;
  for (int64_t i = 0; i < SKYNET_FANOUT; i++) {
    beam_mark_t m = beam_arena_mark();
    BENCH_CHECK(beam_spawn(
        skynet_node, beam_tuple(3, self, beam_int(num + i * sub), beam_int(sub)),
        &child));
    beam_arena_release(m); /* spawn copied the argument */
  }
  int64_t sum = 0;
  for (int i = 0; i < SKYNET_FANOUT; i++) {
    beam_term_t msg;
    int64_t v;
    BENCH_CHECK(beam_receive_any(BEAM_INFINITY, &msg));
    BENCH_CHECK(beam_get_int(msg, &v));
    sum += v;
  }
  BENCH_CHECK(beam_send(parent, beam_int(sum)));
}

static void skynet_root(beam_term_t arg) {
  (void) arg;
  beam_pid_t child;
  size_t base = beam_process_count();
  int64_t t0 = bench_now_ns();
  BENCH_CHECK(beam_spawn(skynet_node,
                         beam_tuple(3, beam_self(), beam_int(0),
                                    beam_int(SKYNET_LEAVES)),
                         &child));
  beam_term_t msg;
  int64_t sum = -1;
  BENCH_CHECK(beam_receive_any(BEAM_INFINITY, &msg));
  int64_t t1 = bench_now_ns();
  BENCH_CHECK(beam_get_int(msg, &sum));
  bench_await_exit(base);

  g_res->schedulers = beam_scheduler_count();
  bench_put(g_res, "wall_ms", (double) (t1 - t0) / 1e6, 1);
  bench_put(g_res, "result", (double) sum, 0);
  /* The sum of 0 .. 999,999. */
  if (sum != (int64_t) SKYNET_LEAVES * (SKYNET_LEAVES - 1) / 2)
    g_res->failed = 1;
}

void bench_skynet(const bench_opts_t *o, bench_result_t *r) {
  g_opts = o;
  g_res = r;
  /* 1,111,111 processes in all; how many are alive at once depends on the
  ** schedule, so allow all of them. */
  bench_boot(o, (size_t) 2 << 20, skynet_root);
}
