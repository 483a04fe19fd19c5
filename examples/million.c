/* SPDX-License-Identifier: MIT */
/* million.c: a million idle processes, each blocked in receive, then all
** stopped. Prints the time taken and the memory per process.
**
**   pids = for _ <- 1..1_000_000, do: spawn(fn -> receive do :stop -> :ok end end)
**   Enum.each(pids, &send(&1, :stop))
**
** Usage: million [N]   (default 1,000,000)
*/
#include <cbeam.h>
#include <stdio.h>
#include <stdlib.h>

static size_t rss_bytes(void) {
  unsigned long size = 0, rss = 0;
  FILE *f = fopen("/proc/self/statm", "r");
  if (f) {
    if (fscanf(f, "%lu %lu", &size, &rss) != 2)
      rss = 0;
    fclose(f);
  }
  return rss * 4096;
}

static void idle(beam_term_t arg) {
  (void) arg;
  beam_receive(BEAM_INFINITY, "stop", NULL);
}

static void main_proc(beam_term_t arg) {
  int64_t n = 0;
  beam_get_int(arg, &n);
  beam_pid_t *pids = malloc((size_t) n * sizeof *pids);
  if (!pids)
    return;
  size_t base = beam_process_count(), rss0 = rss_bytes();
  int64_t t0 = beam_monotonic_ms();
  for (int64_t i = 0; i < n; i++) {
    int rc = beam_spawn(idle, beam_nil(), &pids[i]);
    if (rc != 0) {
      printf("spawn %lld failed: %s\n", (long long) i, beam_strerror(rc));
      n = i;
      break;
    }
  }
  while (beam_process_count() < base + (size_t) n)
    beam_sleep(1);
  beam_sleep(100); /* every one of them reaches its receive */
  int64_t t1 = beam_monotonic_ms();
  size_t rss1 = rss_bytes();
  printf("%lld processes alive after %lld ms, %zu bytes per process\n",
         (long long) n, (long long) (t1 - t0), (rss1 - rss0) / (size_t) n);
  for (int64_t i = 0; i < n; i++)
    beam_send(pids[i], beam_atom("stop"));
  while (beam_process_count() > base)
    beam_sleep(1);
  printf("all stopped after %lld ms more; %zu processes left\n",
         (long long) (beam_monotonic_ms() - t1), beam_process_count());
  free(pids);
}

int main(int argc, char **argv) {
  long long n = argc > 1 ? atoll(argv[1]) : 1000000;
  beam_config_t cfg = {.process_limit = (size_t) n + 16};
  return beam_run(main_proc, beam_int(n), &cfg) == 0 ? 0 : 1;
}
