/* SPDX-License-Identifier: MIT */
/* million.c: a million idle processes, each blocked in receive, then all
** stopped; then a tenth as many hibernated ones. Prints the time taken and
** the memory per process, as the OS sees it (RSS) and as beam_memory()
** counts it: a process that has waited a while has its stack saved and
** the page given back (docs/memory.md).
**
**   pids = for _ <- 1..1_000_000, do: spawn(fn -> receive do :stop -> :ok end end)
**   Enum.each(pids, &send(&1, :stop))
**   spawn(fn -> :erlang.hibernate(M, :wait_stop, []) end)   # a tenth as many
**
** Usage: million [N]   (default 1,000,000)
*/
#include <cbeam.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static void hibernating(beam_term_t arg) {
  beam_hibernate(idle, arg); /* idle() runs when "stop" comes */
}

/* Spawn n processes running 'fn', report their memory, stop them. */
static void round_of(const char *what, beam_fn_t fn, int64_t n) {
  beam_pid_t *pids = malloc((size_t) n * sizeof *pids);
  if (!pids)
    return;
  memset(pids, 0, (size_t) n * sizeof *pids); /* touched before the sample */
  beam_sleep(500); /* what an earlier round freed goes back to the OS */
  size_t base = beam_process_count(), rss0 = rss_bytes();
  int64_t t0 = beam_monotonic_ms();
  for (int64_t i = 0; i < n; i++) {
    int rc = beam_spawn(fn, beam_nil(), &pids[i]);
    if (rc != 0) {
      printf("spawn %lld failed: %s\n", (long long) i, beam_strerror(rc));
      n = i;
      break;
    }
  }
  while (beam_process_count() < base + (size_t) n)
    beam_sleep(1);
  int64_t t1 = beam_monotonic_ms();
  beam_sleep(1000); /* all reach their wait and stay a while (docs/memory.md) */
  beam_memory_t m;
  beam_memory(&m);
  size_t rss1 = rss_bytes();
  printf("%lld processes %s after %lld ms: %zu bytes each (RSS); "
         "%zu idle, %zu bytes each in all (beam_memory)\n",
         (long long) n, what, (long long) (t1 - t0),
         rss1 > rss0 ? (rss1 - rss0) / (size_t) n : 0, m.idle_processes,
         m.processes / m.process_count);
  int64_t t2 = beam_monotonic_ms();
  for (int64_t i = 0; i < n; i++)
    beam_send(pids[i], beam_atom("stop"));
  while (beam_process_count() > base)
    beam_sleep(1);
  printf("all stopped after %lld ms; %zu processes left\n",
         (long long) (beam_monotonic_ms() - t2), beam_process_count());
  free(pids);
}

static void main_proc(beam_term_t arg) {
  int64_t n = 0;
  beam_get_int(arg, &n);
  round_of("blocked in receive", idle, n);
  round_of("hibernated", hibernating, n / 10 > 0 ? n / 10 : 1);
}

int main(int argc, char **argv) {
  long long n = argc > 1 ? atoll(argv[1]) : 1000000;
  beam_config_t cfg = {.process_limit = (size_t) n + 16};
  return beam_run(main_proc, beam_int(n), &cfg) == 0 ? 0 : 1;
}
