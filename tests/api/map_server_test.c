/* SPDX-License-Identifier: MIT */
/* map_server_test.c: a server whose state is a 100,000-key map handles 10
** million updates (scaled down under the sanitizers) with no arena calls
** in its loop, only beam_gc_maybe, in memory bounded by a small multiple
** of what it keeps (issue 11, "How we will know"). The bound is on the
** process's heap (beam_process_info) and on the OS process's RSS, sampled
** as it runs. */
#include "../harness/check.h"

#include <stdio.h>
#include <unistd.h>

#define KEYS 100000
#define MAX(a, b) ((a) > (b) ? (a) : (b))

static size_t rss_bytes(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  long pages = 0, resident = 0;
  if (f) {
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
      resident = 0;
    fclose(f);
  }
  return (size_t) resident * (size_t) sysconf(_SC_PAGESIZE);
}

static void server_main(beam_term_t arg) {
  int64_t updates;
  ASSERT_OK(beam_get_int(arg, &updates));
  beam_term_t state = beam_map_new();
  for (int64_t i = 0; i < KEYS; i++) {
    state = beam_map_put(state, beam_int(i), beam_tuple(2, beam_int(i),
                                                        beam_int(0)));
    beam_gc_maybe(&state);
  }
  ASSERT_OK(beam_gc_roots((beam_term_t *[]){&state}, 1, BEAM_GC_MAJOR));
  beam_process_info_t info;
  ASSERT_OK(beam_process_info(beam_self(), &info));
  size_t live = info.heap_live_bytes, rss0 = rss_bytes(), peak_heap = 0,
         peak_rss = 0;
  TLOG("the map alone: %zu KiB; RSS %zu KiB", live / 1024, rss0 / 1024);
  uint64_t x = 88172645463325252u;
  for (int64_t u = 1; u <= updates; u++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    int64_t k = (int64_t) (x % KEYS);
    state = beam_map_put(state, beam_int(k), beam_tuple(2, beam_int(k),
                                                        beam_int(u)));
    ASSERT_GE(beam_gc_maybe(&state), 0);
    if (u % 65536 == 0) {
      ASSERT_OK(beam_process_info(beam_self(), &info));
      peak_heap = MAX(peak_heap, info.heap_bytes);
      peak_rss = MAX(peak_rss, rss_bytes());
    }
  }
  ASSERT_EQ(beam_map_size(state), KEYS);
  beam_term_t v;
  ASSERT_EQ(beam_map_get(state, beam_int(7), &v), 1);
  ASSERT_EQ(beam_tuple_size(v), 2);
  TLOG("%" PRId64 " updates: heap peak %zu KiB (%.1fx the map), RSS growth "
       "peak %zu KiB",
       updates, peak_heap / 1024, (double) peak_heap / (double) live,
       (peak_rss > rss0 ? peak_rss - rss0 : 0) / 1024);
#if defined(__SANITIZE_ADDRESS__)
  /* ASan keeps every chunk on malloc (so it sees uses after a
  ** collection): to-space is not trimmed, and shadow memory skews RSS. */
  ASSERT_LT(peak_heap, 8 * live);
#elif defined(__SANITIZE_THREAD__)
  ASSERT_LT(peak_heap, 4 * live); /* TSan's shadow memory skews RSS */
#else
  ASSERT_LT(peak_heap, 4 * live);
  ASSERT_LT(peak_rss, rss0 + 4 * live);
#endif
}

BEAM_TEST_T(map_server_keeps_a_100k_key_state_in_bounded_memory, 180) {
  int64_t updates = (int64_t) (10000000 * beam_test_scale());
  beam_config_t cfg = {0};
  cfg.schedulers = 1;
  ASSERT_RAN(beam_run(server_main, beam_int(updates), &cfg));
}
