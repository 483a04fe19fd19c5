/* SPDX-License-Identifier: MIT */
/*
** hiccup.c: the machine's own stall floor, for reading fairness figures.
**
**   hiccup [--schedulers K]
**
** K plain OS threads (no runtime at all; 0 = one per core) each spin for
** FAIR_MS reading the monotonic clock and keep the longest gap between two
** reads. A gap is time the thread did not run: the OS or, on a VM, the
** hypervisor took the core. No scheduler can give a process a better
** worst case than this, so 'fairness' worst_ms figures (cbeam's and the
** BEAM's) are only meaningful above it. Keys: 'worst_ms' the longest gap
** on any thread; 'gaps_1ms' how many gaps were 1 ms or longer, summed over
** the threads. The BEAM side has no twin: the floor is the machine's.
*/
#include "bench.h"

#include <pthread.h>
#include <unistd.h>

enum { HICCUP_MS = 2000 }; /* as fairness' measured window */

typedef struct {
  pthread_t thread;
  int64_t worst_ns, gaps_1ms;
} spinner_t;

static void *spin(void *arg) {
  spinner_t *sp = arg;
  int64_t last = bench_now_ns(), end = last + (int64_t) HICCUP_MS * 1000000;
  while (last < end) {
    int64_t now = bench_now_ns(), gap = now - last;
    if (gap > sp->worst_ns)
      sp->worst_ns = gap;
    if (gap >= 1000000)
      sp->gaps_1ms++;
    last = now;
  }
  return NULL;
}

void bench_hiccup(const bench_opts_t *o, bench_result_t *r) {
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  unsigned k = o->schedulers ? o->schedulers : (unsigned) (cores > 0 ? cores : 1);
  spinner_t *sp = calloc(k, sizeof *sp);
  if (!sp) {
    fputs("cbeam-bench: hiccup: out of memory\n", stderr);
    exit(1);
  }
  for (unsigned i = 0; i < k; i++)
    if (pthread_create(&sp[i].thread, NULL, spin, &sp[i]) != 0) {
      fputs("cbeam-bench: hiccup: cannot start a thread\n", stderr);
      exit(1);
    }
  int64_t worst = 0, gaps = 0;
  for (unsigned i = 0; i < k; i++) {
    pthread_join(sp[i].thread, NULL);
    worst = sp[i].worst_ns > worst ? sp[i].worst_ns : worst;
    gaps += sp[i].gaps_1ms;
  }
  free(sp);
  bench_put(r, "worst_ms", (double) worst / 1e6, 3);
  bench_put(r, "gaps_1ms", (double) gaps, 0);
  r->schedulers = k;
}
