/* SPDX-License-Identifier: MIT */
/*
** memory.c: the workloads that measure a process's heap: a long-lived map
** state under collection, and the collector's pauses (issue 11).
**
**   map_state --keys K --n N  one process (the root) keeps a map of K keys
**               (integers 0..K-1, values {Iter, Key}) and applies N random
**               updates in a loop: a put of a random key with a new value,
**               every 16th iteration also a get of another random key
**               (checked), and beam_gc_maybe(&map) every iteration. No arena
**               calls in the loop: the collector alone keeps it bounded.
**   gc --live MB              the root builds a live set of about MB MiB (a
**               list of {I, [I, I+1]}, 72 bytes an element), then times
**               major collections of it (beam_gc_roots with BEAM_GC_MAJOR)
**               and minor ones with a little garbage on top of it.
**
** map_state in detail. The keys come from a 32-bit LCG, x = (x * 69069 + 1)
** mod 2^32 from x = 1, key = (x >> 8) mod K (the high 24 bits: the low bits
** of a power-of-two LCG have short periods); the put at iteration I (from
** 0) sets {I + 1, Key}. When I mod 16 = 0 the loop draws one more number
** and gets that key: the value must be {J, Key} with 0 <= J <= I + 1. The
** Erlang twin draws the same sequence. The initial map ({0, Key} for every
** key) is built in one step, untimed: a MAP_EXT decoded by beam_etf_decode
** (Erlang: maps:from_list), since K puts into today's flat maps would copy
** K^2/2 words. After the loop (untimed) the LCG sequence is replayed into
** a plain C array and every entry of the map is compared with it.
**
** Figures: update_ns = loop time / N, less the time spent sampling; every
** 1024 updates (and at the end) the loop samples RSS (/proc/self/statm)
** and the heap (beam_process_info heap_bytes). peak_rss_kb = the largest
** RSS sample minus the RSS when the root started (before the map was
** built); heap_kb = heap_bytes at the end of the loop, heap_peak_kb the
** largest sample; map_kb = the map's own size: heap_live_bytes after a
** major collection whose only root is the map (the bytes of one copy of
** it; Erlang: erts_debug:flat_size(Map) * 8); minor_gcs / major_gcs the
** collections during the loop (beam_process_info), gcs their sum (the
** Erlang twin says why it needs both forms).
**
** gc in detail. The list is built by a loop that calls beam_gc_maybe(&list)
** every element (as a program would; on the BEAM the heap grows through
** collections too): build_ms. Then one untimed major collection, then
** PAUSES timed major ones: pause_us is their median. Then MINORS times:
** build a garbage list of GARBAGE elements of the same shape (dropped),
** and time a minor collection (beam_gc(&list)): minor_us is the median.
** The live set is already in the old generation, so a minor collection
** copies nothing of it: minor_us should be tiny against pause_us. live_kb
** = heap_live_bytes after the last major (Erlang: flat_size * 8), heap_kb =
** heap_bytes at the end. The list is walked and checked at the end.
*/
#include "bench.h"

#include <string.h>

enum {
  SAMPLE_EVERY = 1024, /* map_state: updates between RSS / heap samples */
  GET_EVERY = 16,      /* map_state: a checked get each this many updates */
  ELEM_BYTES = 72,     /* gc: a cell + {I, L} + two cells, 9 words */
  PAUSES = 7,          /* gc: timed major collections */
  MINORS = 9,          /* gc: timed minor collections */
  GARBAGE = 1000,      /* gc: elements of garbage before each minor */
};

static const bench_opts_t *g_opts;
static bench_result_t *g_res;

int64_t bench_map_state_default_n(int64_t keys) {
  /* Today's flat maps copy all K keys per update: keep big-K runs short. */
  return keys > 10000 ? 10000 : 100000;
}

static uint32_t lcg(uint32_t x) {
  return x * 69069u + 1u;
}

static int64_t key_of(uint32_t x, int64_t k) {
  return (int64_t) (x >> 8) % k;
}

/* ---- map_state ---- */

static size_t heap_bytes(void) {
  beam_process_info_t info;
  BENCH_CHECK(beam_process_info(beam_self(), &info));
  return info.heap_bytes;
}

static void put_be32(unsigned char *p, uint32_t v) {
  p[0] = (unsigned char) (v >> 24);
  p[1] = (unsigned char) (v >> 16);
  p[2] = (unsigned char) (v >> 8);
  p[3] = (unsigned char) v;
}

/* ETF integer: SMALL_INTEGER_EXT or INTEGER_EXT. */
static size_t put_int(unsigned char *p, int64_t v) {
  if (v >= 0 && v < 256) {
    p[0] = 97;
    p[1] = (unsigned char) v;
    return 2;
  }
  p[0] = 98;
  put_be32(p + 1, (uint32_t) v);
  return 5;
}

/* #{Key => {0, Key}} for Key in 0..k-1, in one step: a decoded MAP_EXT. */
static beam_term_t initial_map(int64_t k) {
  size_t cap = 6 + (size_t) k * (5 + 2 + 2 + 5);
  unsigned char *buf = malloc(cap), *p = buf;
  if (buf == NULL)
    bench_fail(__FILE__, __LINE__, "malloc", BEAM_ENOMEM);
  *p++ = 131;
  *p++ = 116; /* MAP_EXT */
  put_be32(p, (uint32_t) k);
  p += 4;
  for (int64_t i = 0; i < k; i++) {
    p += put_int(p, i);
    *p++ = 104; /* SMALL_TUPLE_EXT */
    *p++ = 2;
    p += put_int(p, 0);
    p += put_int(p, i);
  }
  beam_term_t m = beam_etf_decode(buf, (size_t) (p - buf), NULL, NULL);
  free(buf);
  BENCH_CHECK(beam_term_error(m));
  if (beam_map_size(m) != (size_t) k)
    bench_fail(__FILE__, __LINE__, "initial map size", BEAM_EBADTERM);
  return m;
}

/* {J, Key} with lo <= J <= hi? */
static int value_ok(beam_term_t v, int64_t key, int64_t lo, int64_t hi) {
  int64_t j, kk;
  return beam_tuple_size(v) == 2 &&
         beam_get_int(beam_tuple_get(v, 0), &j) == 0 &&
         beam_get_int(beam_tuple_get(v, 1), &kk) == 0 && kk == key && j >= lo &&
         j <= hi;
}

/* Replays the loop's LCG sequence into an array and compares every key. */
static int map_check(beam_term_t map, int64_t k, int64_t n) {
  int64_t *last = calloc((size_t) k, sizeof *last);
  if (last == NULL)
    bench_fail(__FILE__, __LINE__, "calloc", BEAM_ENOMEM);
  uint32_t x = 1;
  for (int64_t i = 0; i < n; i++) {
    x = lcg(x);
    last[key_of(x, k)] = i + 1;
    if (i % GET_EVERY == 0)
      x = lcg(x);
  }
  int ok = beam_map_size(map) == (size_t) k;
  for (int64_t key = 0; ok && key < k; key++) {
    beam_mark_t m = beam_arena_mark();
    beam_term_t v;
    ok = beam_map_get(map, beam_int(key), &v) == 1 &&
         value_ok(v, key, last[key], last[key]);
    beam_arena_release(m);
  }
  free(last);
  return ok;
}

static void map_state_root(beam_term_t arg) {
  (void) arg;
  int64_t k = g_opts->keys, n = g_opts->n;
  size_t rss0 = bench_rss_bytes(), rss_peak = rss0;
  beam_term_t map = initial_map(k);
  BENCH_CHECK(beam_gc_roots((beam_term_t *const[]){&map}, 1, BEAM_GC_MAJOR));
  beam_process_info_t info;
  BENCH_CHECK(beam_process_info(beam_self(), &info));
  uint64_t minor0 = info.minor_gcs, major0 = info.major_gcs;
  size_t heap_peak = info.heap_bytes;

  int failed = 0;
  uint32_t x = 1;
  int64_t sampling = 0; /* ns spent sampling, taken out of the loop time */
  int64_t t0 = bench_now_ns();
  for (int64_t i = 0; i < n; i++) {
    x = lcg(x);
    int64_t key = key_of(x, k);
    map = beam_map_put(map, beam_int(key),
                       beam_tuple(2, beam_int(i + 1), beam_int(key)));
    if (i % GET_EVERY == 0) {
      x = lcg(x);
      int64_t key2 = key_of(x, k);
      beam_term_t v;
      if (beam_map_get(map, beam_int(key2), &v) != 1 ||
          !value_ok(v, key2, 0, i + 1))
        failed = 1;
    }
    if (i % SAMPLE_EVERY == 0) {
      int64_t s0 = bench_now_ns();
      size_t rss = bench_rss_bytes(), hb = heap_bytes();
      rss_peak = rss > rss_peak ? rss : rss_peak;
      heap_peak = hb > heap_peak ? hb : heap_peak;
      sampling += bench_now_ns() - s0;
    }
    BENCH_CHECK(beam_gc_maybe(&map));
  }
  int64_t t1 = bench_now_ns();
  BENCH_CHECK(beam_term_error(map));
  size_t rss = bench_rss_bytes();
  rss_peak = rss > rss_peak ? rss : rss_peak;
  BENCH_CHECK(beam_process_info(beam_self(), &info));
  size_t heap_end = info.heap_bytes;
  heap_peak = heap_end > heap_peak ? heap_end : heap_peak;
  uint64_t minors = info.minor_gcs - minor0, majors = info.major_gcs - major0;

  /* The map's own size: one major collection keeping only the map. */
  BENCH_CHECK(beam_gc_roots((beam_term_t *const[]){&map}, 1, BEAM_GC_MAJOR));
  BENCH_CHECK(beam_process_info(beam_self(), &info));
  size_t map_bytes = info.heap_live_bytes;
  if (!map_check(map, k, n))
    failed = 1;

  g_res->schedulers = beam_scheduler_count();
  g_res->failed = failed;
  bench_put(g_res, "update_ns", (double) (t1 - t0 - sampling) / (double) n, 1);
  bench_put(g_res, "peak_rss_kb",
            (double) (rss_peak > rss0 ? rss_peak - rss0 : 0) / 1024, 0);
  bench_put(g_res, "heap_kb", (double) heap_end / 1024, 0);
  bench_put(g_res, "heap_peak_kb", (double) heap_peak / 1024, 0);
  bench_put(g_res, "map_kb", (double) map_bytes / 1024, 1);
  bench_put(g_res, "minor_gcs", (double) minors, 0);
  bench_put(g_res, "major_gcs", (double) majors, 0);
  bench_put(g_res, "gcs", (double) (minors + majors), 0);
}

void bench_map_state(const bench_opts_t *o, bench_result_t *r) {
  g_opts = o;
  g_res = r;
  bench_boot(o, 0, map_state_root);
}

/* ---- gc ---- */

/* {I, [I, I + 1]} */
static beam_term_t elem(int64_t i) {
  return beam_tuple(2, beam_int(i), beam_list(2, beam_int(i), beam_int(i + 1)));
}

/* [{1, [1, 2]}, {2, [2, 3]}, ..., {n, [n, n + 1]}]; the live one collects
** as it grows. */
static beam_term_t build_list(int64_t n, int collect) {
  beam_term_t l = beam_nil();
  for (int64_t i = n; i > 0; i--) {
    l = beam_cons(elem(i), l);
    if (collect)
      BENCH_CHECK(beam_gc_maybe(&l));
  }
  BENCH_CHECK(beam_term_error(l));
  return l;
}

static int list_ok(beam_term_t l, int64_t n) {
  for (int64_t i = 1; i <= n; i++, l = beam_tl(l)) {
    int64_t a, b, c;
    beam_term_t e = beam_hd(l);
    beam_term_t in = beam_tuple_get(e, 1);
    if (beam_is_error(e) || beam_tuple_size(e) != 2 ||
        beam_get_int(beam_tuple_get(e, 0), &a) != 0 || a != i ||
        beam_get_int(beam_hd(in), &b) != 0 || b != i ||
        beam_get_int(beam_hd(beam_tl(in)), &c) != 0 || c != i + 1 ||
        beam_type(beam_tl(beam_tl(in))) != BEAM_T_NIL)
      return 0;
  }
  return beam_type(l) == BEAM_T_NIL;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
  return x < y ? -1 : x > y;
}

static int64_t median(int64_t *v, int n) {
  qsort(v, (size_t) n, sizeof *v, cmp_i64);
  return v[(n - 1) / 2];
}

static void gc_root(beam_term_t arg) {
  (void) arg;
  int64_t n = g_opts->live_mb * 1024 * 1024 / ELEM_BYTES;
  int64_t t0 = bench_now_ns();
  beam_term_t live = build_list(n, 1);
  int64_t t1 = bench_now_ns();
  beam_term_t *const roots[] = {&live};
  BENCH_CHECK(beam_gc_roots(roots, 1, BEAM_GC_MAJOR)); /* untimed */

  int64_t pause[PAUSES], minor[MINORS];
  for (int r = 0; r < PAUSES; r++) {
    int64_t s = bench_now_ns();
    BENCH_CHECK(beam_gc_roots(roots, 1, BEAM_GC_MAJOR));
    pause[r] = bench_now_ns() - s;
  }
  beam_process_info_t info;
  BENCH_CHECK(beam_process_info(beam_self(), &info));
  size_t live_bytes = info.heap_live_bytes;
  uint64_t major0 = info.major_gcs;
  for (int r = 0; r < MINORS; r++) {
    beam_term_t g = build_list(GARBAGE, 0);
    if (beam_list_length(g) != GARBAGE)
      bench_fail(__FILE__, __LINE__, "garbage", BEAM_EBADTERM);
    int64_t s = bench_now_ns();
    BENCH_CHECK(beam_gc(&live)); /* 'g' is garbage now */
    minor[r] = bench_now_ns() - s;
  }
  BENCH_CHECK(beam_process_info(beam_self(), &info));
  /* A minor that turned itself into a major would not be one. */
  int failed = info.major_gcs != major0 || !list_ok(live, n);

  g_res->schedulers = beam_scheduler_count();
  g_res->failed = failed;
  bench_put(g_res, "pause_us", (double) median(pause, PAUSES) / 1e3, 1);
  bench_put(g_res, "minor_us", (double) median(minor, MINORS) / 1e3, 1);
  bench_put(g_res, "live_kb", (double) live_bytes / 1024, 0);
  bench_put(g_res, "heap_kb", (double) info.heap_bytes / 1024, 0);
  bench_put(g_res, "build_ms", (double) (t1 - t0) / 1e6, 1);
}

void bench_gc(const bench_opts_t *o, bench_result_t *r) {
  g_opts = o;
  g_res = r;
  bench_boot(o, 0, gc_root);
}
