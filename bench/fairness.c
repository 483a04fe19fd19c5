/* SPDX-License-Identifier: MIT */
/*
** fairness.c: can busy processes starve a ping-pong pair? The C twin of
** the 'fairness' workload in bench/erl/cbeam_bench.erl, step for step.
**
**   fairness --hogs H [--yield-check]
**
** H hog processes spin in a tight loop that makes no runtime call (a
** volatile LCG update, like the Erlang hog's '(X * 69069 + 1) band
** 16#ffffff'); with --yield-check each iteration also calls
** beam_yield_check(), so the runtime charges it a reduction and moves it
** to the back of its run queue when its slice is spent. The root and a
** ponger do {ping, I} / {pong, I} round trips (as in pingpong) for
** FAIR_MS, each timed on its own, after the hogs have had FAIR_WARM_MS to
** start. 'worst_ms' is the slowest round trip; 'p99_ms' the 99th
** percentile: the upper edge of its HIST_NS bucket below HIST_BUCKETS x
** HIST_NS = 10 ms, exact above (the Erlang side's constants and rule).
** The BEAM preempts a hog by reductions whatever it does, so it has no
** --yield-check: without it, cbeam shows what plain C loops do to latency.
**
** Stopping the hogs. The Erlang root kills them with exit(P, kill). A
** cbeam process acts on exit signals only inside runtime calls, and a hog
** without --yield-check makes none, so a kill would never land; the hogs
** instead poll 'g_stop', a shared atomic flag (one relaxed load per
** iteration: a read of a cache line nobody writes until the end), and
** return when it is set. The root then waits for the process count to be
** back to where it started, as every workload does.
**
** Not hanging. A hog that never calls the runtime keeps its scheduler
** thread; the watchdog (sysmon.c) hands a stuck scheduler's queue and
** timers to the others, and starts spare scheduler threads (spare.c) when
** every one is stuck. Those are bounded (beam_config_t.spare_schedulers),
** and can be turned off, so with more hogs than schedulers plus spares
** nothing else (the pair, a receive timeout, the root's warm-up sleep)
** would ever run again. A plain OS thread, the referee, is the safety
** net: the root stores the time it last made progress in 'g_since' (at
** its start, before the warm-up and before each round trip), and if that
** is RT_TIMEOUT_MS old the referee sets 'g_stop' itself, which frees the
** schedulers. The root, once it runs again, records the stall (the time
** since its last progress) as a timed-out round trip and stops measuring:
** with the hogs gone the rest would be a different experiment. Each round
** trip's receive also times out after RT_TIMEOUT_MS (for a pair that runs
** while the ponger is stuck), with the same effect. 'timeouts' counts
** those cases (0 or 1); such a sample's time is how long the root
** actually waited, at least RT_TIMEOUT_MS, so 'worst_ms' is then a lower
** bound. 'rts' counts completed round trips; the percentile is over the
** 'rts + timeouts' samples (on the BEAM, over 'rts': it never times out).
**
** The referee sleeps on a condition variable until 'g_since' could be
** RT_TIMEOUT_MS old, so it wakes about once per RT_TIMEOUT_MS while the
** root makes progress; bench_fairness() wakes it to quit after beam_run().
**
** Roots and globals: as in spawn.c; see bench.h. 'g_stop', 'g_since' and
** 'g_fired' cross threads outside the runtime, hence the atomics.
*/
#include "bench.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

enum {
  FAIR_MS = 2000,        /* the measured window */
  FAIR_WARM_MS = 50,     /* the hogs start this long before the first ping */
  RT_TIMEOUT_MS = 1000,  /* a round trip (or a root stall) this long ends it */
  HIST_NS = 100,         /* histogram bucket width */
  HIST_BUCKETS = 100000, /* 10 ms of 100 ns buckets; slower ones kept exactly */
  /* Samples of 10 ms or more, each started before the FAIR_MS deadline:
  ** at most FAIR_MS / 10 + 1, plus one stall before the first round trip. */
  SLOW_MAX = FAIR_MS / 10 + 2,
  REFEREE_IDLE_MS = 100, /* the referee's poll while the root has not begun */
};

#define RT_TIMEOUT_NS ((int64_t) RT_TIMEOUT_MS * 1000000)

static const bench_opts_t *g_opts;
static bench_result_t *g_res;

static atomic_bool g_stop;      /* the hogs return once it is set */
static atomic_bool g_fired;     /* the referee set g_stop: the root stalled */
static _Atomic int64_t g_since; /* the root's last progress, ns; 0 = not yet */

/* The round-trip samples: written by the root only. */
static uint32_t g_hist[HIST_BUCKETS];
static int64_t g_slow[SLOW_MAX];
static int g_nslow;
static int64_t g_samples, g_worst;

/* ---- Hogs ---- */

/* arg = the seed, 1..H. Spins until g_stop; 'yield_check' is a constant
** in each caller, so each body compiles to its own loop. */
static inline void hog_loop(beam_term_t arg, bool yield_check) {
  int64_t seed;
  BENCH_CHECK(beam_get_int(arg, &seed));
  volatile uint32_t x = (uint32_t) seed;
  while (!atomic_load_explicit(&g_stop, memory_order_relaxed)) {
    x = (x * 69069u + 1u) & 0xffffffu;
    if (yield_check)
      BENCH_CHECK(beam_yield_check());
  }
}

static void hog_plain(beam_term_t arg) {
  hog_loop(arg, false);
}

static void hog_yielding(beam_term_t arg) {
  hog_loop(arg, true);
}

/* ---- The referee (an OS thread, not a process) ---- */

static pthread_mutex_t g_ref_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_ref_cond;
static bool g_ref_quit; /* under g_ref_lock */

static void *referee(void *unused) {
  (void) unused;
  pthread_mutex_lock(&g_ref_lock);
  while (!g_ref_quit) {
    int64_t now = bench_now_ns();
    int64_t since = atomic_load_explicit(&g_since, memory_order_relaxed);
    int64_t wake = now + (int64_t) REFEREE_IDLE_MS * 1000000;
    if (since != 0 && !atomic_load(&g_stop)) {
      if (now - since >= RT_TIMEOUT_NS) {
        atomic_store(&g_fired, true);
        atomic_store(&g_stop, true);
      } else {
        wake = since + RT_TIMEOUT_NS;
      }
    }
    struct timespec ts = {.tv_sec = wake / 1000000000,
                          .tv_nsec = wake % 1000000000};
    pthread_cond_timedwait(&g_ref_cond, &g_ref_lock, &ts);
  }
  pthread_mutex_unlock(&g_ref_lock);
  return NULL;
}

static pthread_t referee_start(void) {
  pthread_condattr_t ca;
  pthread_t t;
  g_ref_quit = false;
  if (pthread_condattr_init(&ca) != 0 ||
      pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
      pthread_cond_init(&g_ref_cond, &ca) != 0 ||
      pthread_create(&t, NULL, referee, NULL) != 0) {
    fputs("cbeam-bench: fairness: cannot start the referee thread\n", stderr);
    exit(1);
  }
  pthread_condattr_destroy(&ca);
  return t;
}

static void referee_stop(pthread_t t) {
  pthread_mutex_lock(&g_ref_lock);
  g_ref_quit = true;
  pthread_cond_signal(&g_ref_cond);
  pthread_mutex_unlock(&g_ref_lock);
  pthread_join(t, NULL);
  pthread_cond_destroy(&g_ref_cond);
}

/* ---- The root ---- */

static void alive(int64_t now) {
  atomic_store_explicit(&g_since, now, memory_order_relaxed);
}

static void record(int64_t d) {
  g_samples++;
  g_worst = d > g_worst ? d : g_worst;
  if (d / HIST_NS < HIST_BUCKETS)
    g_hist[d / HIST_NS]++;
  else if (g_nslow < SLOW_MAX)
    g_slow[g_nslow++] = d;
  else
    bench_fail(__FILE__, __LINE__, "more slow samples than SLOW_MAX",
               BEAM_EINVAL);
}

/* After a step that waited: if the referee had to stop the hogs, record
** the stall as a timed-out sample and say so. */
static bool stalled(int64_t *timeouts) {
  if (!atomic_load(&g_fired))
    return false;
  record(bench_now_ns() - atomic_load(&g_since));
  (*timeouts)++;
  return true;
}

/* Round trips until the deadline or the first timeout; returns how many
** completed. */
static int64_t round_trips(beam_pid_t pong, int64_t *timeouts) {
  beam_term_t am_ping = beam_atom("ping");
  int64_t deadline = bench_now_ns() + (int64_t) FAIR_MS * 1000000, k;
  for (k = 0;; k++) {
    int64_t t0 = bench_now_ns();
    if (t0 >= deadline)
      break;
    alive(t0);
    beam_mark_t m = beam_arena_mark();
    beam_term_t i = beam_int(k);
    BENCH_CHECK(beam_send(pong, beam_tuple(2, am_ping, i)));
    int rc = beam_receive(RT_TIMEOUT_MS, "{pong, ~t}", i, NULL);
    int64_t d = bench_now_ns() - t0;
    beam_arena_release(m);
    if (rc != BEAM_ETIMEDOUT)
      BENCH_CHECK(rc);
    record(d);
    if (rc == BEAM_ETIMEDOUT || d >= RT_TIMEOUT_NS || atomic_load(&g_fired)) {
      (*timeouts)++;
      break;
    }
  }
  return k;
}

/* The latency (ns) that at least 'p' of all samples are at or below. */
static int64_t percentile(double p) {
  if (g_samples == 0)
    return 0;
  int64_t need = (int64_t) ceil(p * (double) g_samples), acc = 0;
  need = need < 1 ? 1 : need;
  for (int64_t b = 0; b < HIST_BUCKETS; b++)
    if ((acc += g_hist[b]) >= need)
      return (b + 1) * HIST_NS;
  for (int i = 1; i < g_nslow; i++) /* insertion sort: a few hundred */
    for (int j = i; j > 0 && g_slow[j - 1] > g_slow[j]; j--) {
      int64_t t = g_slow[j];
      g_slow[j] = g_slow[j - 1];
      g_slow[j - 1] = t;
    }
  return g_slow[need - acc - 1];
}

static void fairness_root(beam_term_t arg) {
  (void) arg;
  size_t base = beam_process_count();
  int64_t rts = 0, timeouts = 0;
  beam_fn_t hog = g_opts->yield_check ? hog_yielding : hog_plain;
  beam_pid_t pid, pong;
  alive(bench_now_ns());
  for (int64_t i = 1; i <= g_opts->hogs; i++) {
    beam_mark_t m = beam_arena_mark();
    BENCH_CHECK(beam_spawn(hog, beam_int(i), &pid));
    beam_arena_release(m);
  }
  BENCH_CHECK(beam_spawn(bench_pong_body, beam_self(), &pong));
  if (!stalled(&timeouts)) {
    alive(bench_now_ns());
    BENCH_CHECK(beam_sleep(FAIR_WARM_MS));
    if (!stalled(&timeouts))
      rts = round_trips(pong, &timeouts);
  }
  atomic_store(&g_stop, true);
  BENCH_CHECK(beam_send(pong, beam_atom("stop")));
  bench_await_exit(base);

  g_res->schedulers = beam_scheduler_count();
  bench_put(g_res, "worst_ms", (double) g_worst / 1e6, 3);
  bench_put(g_res, "p99_ms", (double) percentile(0.99) / 1e6, 3);
  bench_put(g_res, "rts", (double) rts, 0);
  bench_put(g_res, "timeouts", (double) timeouts, 0);
}

void bench_fairness(const bench_opts_t *o, bench_result_t *r) {
  g_opts = o;
  g_res = r;
  memset(g_hist, 0, sizeof g_hist);
  g_nslow = 0;
  g_samples = g_worst = 0;
  atomic_store(&g_stop, false);
  atomic_store(&g_fired, false);
  atomic_store(&g_since, 0);
  pthread_t ref = referee_start();
  size_t limit = (size_t) o->hogs + 1024;
  bench_boot(o, limit < ((size_t) 1 << 20) ? 0 : limit, fairness_root);
  referee_stop(ref);
}
