/* SPDX-License-Identifier: MIT */
/* gen_server_memory_test.c: a GenServer whose state is a 100,000-key map
** serves calls that update it (10 million in 'make stress', a million in
** 'make test', fewer under the sanitizers) with no memory call in its
** callbacks: the behaviour collects its heap with the state as root, so
** the server's heap stays within a small multiple of the map (issue 12,
** "How we will know"). */
#include "../harness/check.h"

#define KEYS 100000

static beam_term_t m_init(beam_term_t arg) {
  (void) arg;
  beam_term_t map = beam_map_new();
  for (int64_t i = 0; i < KEYS; i++) {
    map = beam_map_put(map, beam_int(i), beam_int(0));
    beam_gc_maybe(&map); /* init builds the state; the loop collects after */
  }
  return beam_tuple(2, beam_atom("ok"), map);
}

/* {put, K, V} -> old value; heap_bytes -> this process's heap. */
static beam_term_t m_call(beam_term_t req, beam_term_t from, beam_term_t map) {
  (void) from;
  beam_term_t k, v, old;
  if (beam_match(req, "{put, K, V}", &k, &v) == 1) {
    if (beam_map_get(map, k, &old) != 1)
      old = beam_atom("nil");
    return beam_tuple(3, beam_atom("reply"), old, beam_map_put(map, k, v));
  }
  beam_process_info_t info;
  beam_process_info(beam_self(), &info);
  return beam_tuple(3, beam_atom("reply"),
                    beam_tuple(2, beam_uint(info.heap_bytes),
                               beam_uint(beam_map_size(map))),
                    map);
}

static const beam_gen_server_t map_server = {.init = m_init,
                                             .handle_call = m_call};

static void client_main(beam_term_t arg) {
  (void) arg;
  int64_t calls = (int64_t) (1000000 * beam_test_scale());
  if (calls < 20000)
    calls = 20000;
  beam_term_t s;
  ASSERT_EQ(beam_match(beam_gen_server_start_link(&map_server, beam_nil(),
                                                  NULL),
                       "{ok, S}", &s),
            1);
  beam_term_t first = beam_gen_server_call(s, beam_atom("heap"), 5000);
  uint64_t heap0 = 0, peak = 0, h;
  ASSERT_OK(beam_get_uint(beam_tuple_get(first, 0), &heap0));
  beam_mark_t mark = beam_arena_mark(); /* the client's own replies */
  uint64_t x = 88172645463325252u;
  for (int64_t c = 1; c <= calls; c++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    beam_term_t old = beam_gen_server_call(
        s, beam_fmt("{put, ~i, ~i}", (int) (x % KEYS), (int) (c & 0xffff)),
        5000);
    ASSERT_FALSE(beam_is(old, "nil")); /* every key was there */
    if (c % 16384 == 0) {
      beam_term_t r = beam_gen_server_call(s, beam_atom("heap"), 5000);
      ASSERT_OK(beam_get_uint(beam_tuple_get(r, 0), &h));
      peak = h > peak ? h : peak;
      beam_arena_release(mark);
    }
  }
  beam_term_t last = beam_gen_server_call(s, beam_atom("heap"), 5000);
  ASSERT_TERM_EQ(beam_tuple_get(last, 1), beam_int(KEYS));
  TLOG("%" PRId64 " calls: server heap %" PRIu64 " KiB after init, peak %"
       PRIu64 " KiB",
       calls, heap0 / 1024, peak / 1024);
  /* Bounded: a few times what the map needs, whatever the number of calls
  ** (without collection it would grow by ~100 bytes a call). */
  ASSERT_LT(peak, 6 * (heap0 > 4096 * 1024 ? heap0 : 4096 * 1024));
  ASSERT_OK(beam_gen_server_stop(s, beam_atom("normal"), 5000));
}

BEAM_TEST_T(gen_server_100k_key_state_in_bounded_memory, 300) {
  ASSERT_RAN(beam_run(client_main, beam_nil(), NULL));
}
