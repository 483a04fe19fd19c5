/* SPDX-License-Identifier: MIT */
/*
** util.c: clock, memory and boot helpers for the benchmark workloads.
**
** Time is CLOCK_MONOTONIC in ns rather than beam_monotonic_ms(): the timer
** workload measures lateness well below a millisecond. Memory is the
** resident set from /proc/self/statm (pages actually touched), which is
** what a million idle processes cost the machine; virtual size would count
** every reserved but untouched stack.
**
** bench_boot() is the one place that fills a beam_config_t, so every
** workload honours '--schedulers' the same way.
*/
#include "bench.h"

#include <time.h>
#include <unistd.h>

int64_t bench_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

size_t bench_rss_bytes(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  if (f == NULL)
    return 0;
  unsigned long size = 0, resident = 0;
  int got = fscanf(f, "%lu %lu", &size, &resident);
  fclose(f);
  if (got != 2)
    return 0;
  return (size_t) resident * (size_t) sysconf(_SC_PAGESIZE);
}

void bench_put(bench_result_t *r, const char *key, double value,
               int decimals) {
  if (r->count >= BENCH_MAX_KEYS) {
    fprintf(stderr, "cbeam-bench: too many keys (internal error)\n");
    _Exit(1);
  }
  r->kv[r->count++] = (bench_kv_t){key, value, decimals};
}

void bench_await_exit(size_t baseline) {
  while (beam_process_count() > baseline)
    BENCH_CHECK(beam_sleep(1));
}

void bench_boot(const bench_opts_t *o, size_t process_limit, beam_fn_t fn) {
  beam_config_t cfg = {.schedulers = o->schedulers,
                       .process_limit = process_limit};
  int rc = beam_run(fn, beam_nil(), &cfg);
  if (rc < 0) {
    fprintf(stderr, "cbeam-bench: beam_run: %s (%s)\n", beam_err_name(rc),
            beam_strerror(rc));
    exit(1);
  }
}

_Noreturn void bench_fail(const char *file, int line, const char *what,
                          int rc) {
  fprintf(stderr, "cbeam-bench: %s:%d: %s failed: %s (%s)\n", file, line,
          what, beam_err_name(rc), beam_strerror(rc));
  fflush(stderr);
  _Exit(1);
}
