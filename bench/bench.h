/* SPDX-License-Identifier: MIT */
/*
** bench.h: what the driver (main.c) and the workloads share.
**
** A workload is one function 'bench_fn_t' that boots the runtime once
** (through bench_boot()), measures, and fills a 'bench_result_t': an
** ordered list of key=value figures, the first of which is the *main
** figure* that '--runs R' takes the median of. Workloads read their
** parameters from the 'bench_opts_t' they are given and never print: main.c
** prints exactly one line per invocation, so the output stays machine
** readable whatever the number of runs.
**
** Results cross from processes to main() through plain globals owned by
** each workload file: the root process writes them before it returns, and
** beam_run() joins every scheduler thread before it returns, which orders
** those writes before main()'s reads.
*/
#ifndef CBEAM_BENCH_H
#define CBEAM_BENCH_H

#include <cbeam.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* Parameters of one invocation; 0 in 'schedulers' means one per core. */
typedef struct bench_opts {
  int64_t n;          /* --n: processes, round trips, messages per sender */
  int64_t laps;       /* --laps (ring) */
  int64_t senders;    /* --senders (fanin) */
  int64_t queued;     /* --queued (selective) */
  const char *kind;   /* --kind (bigmsg): "bin" or "list" */
  int64_t hogs;       /* --hogs (fairness) */
  int yield_check;    /* --yield-check (fairness): hogs call beam_yield_check */
  int64_t keys;       /* --keys (map_state) */
  int64_t live_mb;    /* --live (gc): MiB of live terms */
  int64_t clients;    /* --clients (genserver_call) */
  int64_t max_concurrency; /* --max-concurrency (async_stream); 0 = the
                           ** scheduler count */
  unsigned schedulers; /* --schedulers */
  int runs;           /* --runs */
} bench_opts_t;

enum { BENCH_MAX_KEYS = 8 };

/* One figure: printed as 'key=value' with 'decimals' digits after the
** point (0 prints an integer). */
typedef struct bench_kv {
  const char *key;
  double value;
  int decimals;
} bench_kv_t;

typedef struct bench_result {
  bench_kv_t kv[BENCH_MAX_KEYS]; /* kv[0] is the main figure */
  int count;
  unsigned schedulers; /* as the runtime reported it while running */
  int failed;          /* a wrong answer: main() exits 1 after printing */
} bench_result_t;

/* Runs the workload once. */
typedef void (*bench_fn_t)(const bench_opts_t *o, bench_result_t *r);

/* ---- Workloads (spawn.c, messaging.c, timers.c, bigmsg.c, fairness.c,
** hiccup.c, memory.c, otp.c) ---- */

void bench_spawn_idle(const bench_opts_t *o, bench_result_t *r);
void bench_spawn_exit(const bench_opts_t *o, bench_result_t *r);
void bench_skynet(const bench_opts_t *o, bench_result_t *r);
void bench_pingpong(const bench_opts_t *o, bench_result_t *r);
void bench_ring(const bench_opts_t *o, bench_result_t *r);
void bench_fanin(const bench_opts_t *o, bench_result_t *r);
void bench_selective(const bench_opts_t *o, bench_result_t *r);
void bench_timers(const bench_opts_t *o, bench_result_t *r);
void bench_bigmsg(const bench_opts_t *o, bench_result_t *r);
void bench_fairness(const bench_opts_t *o, bench_result_t *r);
void bench_hiccup(const bench_opts_t *o, bench_result_t *r); /* no runtime */
void bench_map_state(const bench_opts_t *o, bench_result_t *r);
void bench_gc(const bench_opts_t *o, bench_result_t *r);
void bench_genserver_call(const bench_opts_t *o, bench_result_t *r);
void bench_genserver_cast(const bench_opts_t *o, bench_result_t *r);
void bench_agent_update(const bench_opts_t *o, bench_result_t *r);
void bench_async_stream(const bench_opts_t *o, bench_result_t *r);
/* bigmsg's --n default depends on --kind. */
int64_t bench_bigmsg_default_n(const char *kind);
/* map_state's --n default depends on --keys. */
int64_t bench_map_state_default_n(int64_t keys);

/* The ponger of pingpong (messaging.c): arg = the pinger's pid; answers
** {ping, I} with {pong, I} until 'stop'. */
void bench_pong_body(beam_term_t arg);

/* ---- Helpers (util.c) ---- */

/* Monotonic clock, ns. Safe in processes: it reads no thread-locals. */
int64_t bench_now_ns(void);
/* Resident set size from /proc/self/statm, bytes (0 if unreadable). */
size_t bench_rss_bytes(void);
/* Append a figure to 'r'. */
void bench_put(bench_result_t *r, const char *key, double value,
               int decimals);
/* [proc, yields] Wait until at most 'baseline' processes are alive. Every
** root calls it before returning: a beam_run() that ends with processes
** still alive is a different (and, at the time of writing, crashing on the
** next boot: README.md) code path, not part of any measurement. */
void bench_await_exit(size_t baseline);
/* Boot the runtime with 'o''s scheduler count and 'process_limit' (0 = the
** default), run 'fn' as the root process, and return when it ends. Exits
** the program with status 1 if the runtime cannot boot. */
void bench_boot(const bench_opts_t *o, size_t process_limit, beam_fn_t fn);

/* Abort the benchmark on a failed runtime call: a benchmark that lost a
** message or a process would report a meaningless figure. _Exit() rather
** than exit(): other scheduler threads are still running. */
#define BENCH_CHECK(call)                                                      \
  do {                                                                         \
    int bench_rc_ = (call);                                                    \
    if (bench_rc_ < 0)                                                         \
      bench_fail(__FILE__, __LINE__, #call, bench_rc_);                        \
  } while (0)

_Noreturn void bench_fail(const char *file, int line, const char *what,
                          int rc);

#endif
