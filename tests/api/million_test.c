/* SPDX-License-Identifier: MIT */
/* million_test.c: a million processes alive at once, each blocked in
** receive; then all ended: the count returns to its start and RSS falls
** back. Also: an idle runtime with all of them blocked uses ~0% CPU. */
#include "../harness/check.h"

#include <sys/resource.h>
#include <time.h>

static void idle(beam_term_t arg) {
  (void) arg;
  beam_receive(BEAM_INFINITY, "stop", NULL);
}

static double cpu_seconds(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double) ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 +
         (double) ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
}

static double wall_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + ts.tv_nsec * 1e-9;
}

static size_t target;

static void million_main(beam_term_t arg) {
  (void) arg;
  size_t start = beam_process_count();
  beam_memory_t m;
  ASSERT_OK(beam_memory(&m));
  size_t idle0 = m.idle_processes;
  size_t rss0 = beam_test_rss();
  beam_pid_t *pids = malloc(target * sizeof *pids);
  ASSERT(pids != NULL);
  double t0 = wall_seconds();
  for (size_t i = 0; i < target; i++)
    ASSERT_OK(beam_spawn(idle, beam_nil(), &pids[i]));
  /* Let every one of them reach its receive. */
  while (beam_process_count() != start + target)
    beam_sleep(1);
  double t1 = wall_seconds();
  /* ... and wait long enough to count as idle: their stacks are saved
  ** (idle.c), all of them within a few seconds. */
  for (int i = 0; i < 600; i++) { /* 30 s at most, on a busy machine */
    ASSERT_OK(beam_memory(&m));
    if (m.idle_processes >= idle0 + target)
      break;
    beam_sleep(50);
  }
  ASSERT_GE(m.idle_processes, idle0 + target);
  double t2 = wall_seconds();
  size_t rss1 = beam_test_rss();
  TLOG("spawned %zu in %.0f ms, all idle %.0f ms later; RSS +%zu MiB, "
       "%zu bytes/process",
       target, (t1 - t0) * 1000, (t2 - t1) * 1000, (rss1 - rss0) >> 20,
       (rss1 - rss0) / target);
  /* Under 1 KiB each (the descriptor, the saved stack, the pid table's
  ** entry and the pid array); the sanitizers' shadow memory does not
  ** count. */
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
  ASSERT_LT((rss1 - rss0) / target, 1024);
#endif

  /* Idle: everything blocked, nothing to do. */
  double c0 = cpu_seconds(), w0 = wall_seconds();
  beam_sleep(2000);
  double cpu = cpu_seconds() - c0, wall = wall_seconds() - w0;
  TLOG("idle: %.3f s CPU over %.3f s (%.2f%%)", cpu, wall,
       100 * cpu / wall);
  ASSERT(cpu / wall < 0.05);

  for (size_t i = 0; i < target; i++)
    ASSERT_OK(beam_send(pids[i], beam_atom("stop")));
  while (beam_process_count() != start)
    beam_sleep(1);
  /* Grace periods pass and stacks go back to the OS (one madvise per
  ** stack: allow some seconds for a million). */
  size_t rss2 = beam_test_rss();
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
  for (int i = 0; i < 300 && rss2 - rss0 >= (rss1 - rss0) / 4; i++) {
    beam_sleep(100);
    rss2 = beam_test_rss();
  }
#endif
  TLOG("after exit: RSS +%zu MiB over start", (rss2 - rss0) >> 20);
  ASSERT_EQ(beam_process_count(), start);
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  /* The sanitizers keep shadow memory and quarantines of their own. */
  TLOG("RSS check skipped under a sanitizer");
#else
  /* Back to within a quarter of the peak growth. */
  ASSERT_LT(rss2 - rss0, (rss1 - rss0) / 4);
#endif
  free(pids);
}

BEAM_TEST_T(million_processes_alive_then_gone, 180) {
  target = (size_t) (1000000 * beam_test_scale());
#ifdef __SANITIZE_THREAD__
  target = 5000; /* TSan counts each fiber as a thread (limit 8128) */
#endif
  beam_config_t cfg = {.schedulers = 2};
  ASSERT_RAN(beam_run(million_main, beam_nil(), &cfg));
}
