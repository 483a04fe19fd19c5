/* SPDX-License-Identifier: MIT */
/*
** server_loop_test.c: a long-running server loop written the documented way
** (README "Memory rules": one beam_arena_mark() before the loop, a
** beam_arena_release() at the end of every iteration) runs in constant
** memory.
**
** The bound, stated once (README says the same):
**  - RSS: after a warm-up of 10% of the run, RSS grows by less than
**    RSS_BOUND (8 MiB) until the end. Sampled from /proc/self/statm every
**    1% of the run; checked in the plain and TSan builds. ASan keeps freed
**    memory in a quarantine (256 MiB by default), so its RSS climbs by
**    about 200 bytes per pair whatever the program does: there the figures
**    are only logged, unless ASAN_OPTIONS holds quarantine_size_mb=0 (then
**    RSS is flat and checked). The arena checks run in every build.
**  - Heaps: after each release, beam_arena_bytes() is exactly what it was
**    at the mark, in the client and in the server; within an iteration it
**    stays under the mark plus ARENA_SLACK (one heap chunk, 64 KiB, plus the
**    iteration's own few hundred bytes).
**
** Sizes: 10,000,000 request/reply pairs in the plain build, scaled by
** BEAM_TEST_SCALE (0.1 under the sanitizers). Under TSan the pair count is
** capped further (TSAN_PAIRS, about 5 s there): a pair costs over ten
** times as much under TSan.
**
** Shared binaries: a 1 KiB binary sent and released repeatedly must give
** its reference back every time. The reference count is not public, so one
** helper (refc) reads it through the term layer's internal layout, as the
** unit tests in tests/unit/term do; everything else here is the public API.
*/
#include "../harness/check.h"

#include "../../src/term/heap.h"

#define RSS_BOUND   ((size_t) 8 << 20)
#define ARENA_SLACK ((size_t) 128 << 10)
#define TSAN_PAIRS  200000

/* Whether the RSS bound is checked in this build (see the top). */
static int rss_checked(void) {
#ifdef __SANITIZE_ADDRESS__
  const char *o = getenv("ASAN_OPTIONS");
  return o != NULL && strstr(o, "quarantine_size_mb=0") != NULL;
#else
  return 1;
#endif
}

static int64_t pairs;

static size_t max_sz(size_t a, size_t b) {
  return a > b ? a : b;
}

static int64_t get_i(beam_term_t t) {
  int64_t v = 0;
  ASSERT_OK(beam_get_int(t, &v));
  return v;
}

/* RSS over a run: the value when warm-up ends and the largest after it. */
typedef struct rss_track {
  size_t start, warm, max_after, end;
} rss_track_t;

/* Call after iteration 'i' (0-based) of 'total'. */
static void rss_sample(rss_track_t *r, int64_t i, int64_t total) {
  int64_t step = total / 100 > 0 ? total / 100 : 1;
  if ((i + 1) % step != 0 && i + 1 != total)
    return;
  size_t rss = beam_test_rss();
  if (i + 1 <= total / 10) {
    r->warm = rss; /* the last sample at or before 10% */
  } else {
    if (r->warm == 0)
      r->warm = rss;
    r->max_after = max_sz(r->max_after, rss);
  }
  r->end = rss;
}

static void rss_check(const char *what, const rss_track_t *r) {
  size_t growth = r->max_after > r->warm ? r->max_after - r->warm : 0;
  TLOG("%s: RSS start %zu KiB, after warm-up %zu KiB, max after %zu KiB, "
       "end %zu KiB: growth %zu KiB (bound %zu KiB%s)",
       what, r->start >> 10, r->warm >> 10, r->max_after >> 10, r->end >> 10,
       growth >> 10, RSS_BOUND >> 10,
       rss_checked() ? "" : ", not checked: ASan quarantine");
  if (rss_checked())
    ASSERT_LT(growth, RSS_BOUND);
}

/* ---- The request/reply server ---- */

/* {req, From, Ref, N} -> From ! {reply, Ref, N+1}; {stop, From} ->
** From ! {stats, Base, Peak, After}: its heap at the mark, the most it held
** within an iteration, and the most it held after a release. */
static void server(beam_term_t arg) {
  (void) arg;
  beam_term_t am_reply = beam_atom("reply");
  beam_mark_t m = beam_arena_mark();
  size_t base = beam_arena_bytes(), peak = base, after = base;
  for (;;) {
    beam_term_t from, ref, n;
    int c = beam_receive(BEAM_INFINITY, "{req, From, Ref, N}", &from, &ref, &n,
                         "{stop, From}", &from, NULL);
    ASSERT_OK(c);
    if (c == 1) {
      ASSERT_OK(beam_send(from, beam_fmt("{stats, ~u, ~u, ~u}", (uint64_t) base,
                                         (uint64_t) peak, (uint64_t) after)));
      return;
    }
    ASSERT_OK(
        beam_send(from, beam_tuple(3, am_reply, ref, beam_int(get_i(n) + 1))));
    peak = max_sz(peak, beam_arena_bytes());
    beam_arena_release(m);
    after = max_sz(after, beam_arena_bytes());
  }
}

/* Stop 'srv' and check the heap figures it reports. */
static void stop_server(beam_pid_t srv, size_t procs_before) {
  beam_mark_t m = beam_arena_mark();
  ASSERT_OK(beam_send(srv, beam_tuple(2, beam_atom("stop"), beam_self())));
  beam_term_t b, p, a;
  ASSERT_EQ(beam_receive(10000, "{stats, B, P, A}", &b, &p, &a, NULL), 0);
  size_t base = (size_t) get_i(b), peak = (size_t) get_i(p),
         after = (size_t) get_i(a);
  TLOG("server heap: %zu bytes at the mark, at most %zu within an "
       "iteration, at most %zu after a release",
       base, peak, after);
  ASSERT_EQ(after, base);
  ASSERT_LE(peak, base + ARENA_SLACK);
  beam_arena_release(m);
  while (beam_process_count() > procs_before)
    ASSERT_OK(beam_sleep(1));
}

static void client_main(beam_term_t arg) {
  (void) arg;
  size_t procs = beam_process_count();
  rss_track_t rss = {.start = beam_test_rss()};
  beam_pid_t self = beam_self(), srv;
  ASSERT_OK(beam_spawn(server, beam_nil(), &srv));
  beam_term_t am_req = beam_atom("req");

  beam_mark_t m = beam_arena_mark();
  size_t base = beam_arena_bytes(), peak = base;
  for (int64_t i = 0; i < pairs; i++) {
    beam_term_t ref = beam_make_ref(), n;
    ASSERT_OK(beam_send(srv, beam_tuple(4, am_req, self, ref, beam_int(i))));
    ASSERT_EQ(beam_receive(10000, "{reply, ~t, N}", ref, &n, NULL), 0);
    ASSERT_EQ(get_i(n), i + 1);
    peak = max_sz(peak, beam_arena_bytes());
    beam_arena_release(m);
    ASSERT_EQ(beam_arena_bytes(), base);
    rss_sample(&rss, i, pairs);
  }
  TLOG("%" PRId64 " request/reply pairs; client heap: %zu bytes at the "
       "mark, at most %zu within an iteration",
       pairs, base, peak);
  ASSERT_LE(peak, base + ARENA_SLACK);
  ASSERT_EQ(beam_mailbox_len(), 0);
  stop_server(srv, procs);
  rss_check("request/reply", &rss);
}

BEAM_TEST_T(server_loop_10m_pairs_constant_memory, 300) {
  pairs = (int64_t) (10000000 * beam_test_scale());
#ifdef __SANITIZE_THREAD__
  if (pairs > TSAN_PAIRS)
    pairs = TSAN_PAIRS;
#endif
  beam_config_t cfg = {.schedulers = 2};
  ASSERT_RAN(beam_run(client_main, beam_nil(), &cfg));
}

/* ---- Shared binaries ---- */

enum { BIN_BYTES = 1024 };

/* The reference count of a binary over 64 bytes (white-box: see the top). */
static size_t refc(beam_term_t t) {
  ASSERT(beam__is_box_of(t, BEAM__SUB_REFBIN));
  beam__bin_t *b = (beam__bin_t *) (uintptr_t) beam__box_ptr(t)[1];
  return atomic_load(&b->refc);
}

static unsigned char byte_at(size_t i, int64_t salt) {
  return (unsigned char) (i * 31 + (size_t) salt);
}

/* {bin, From, Seq, Bin, Salt} -> checks Bin's bytes, releases it, then
** From ! {ok, Seq}: so when the ack arrives the server holds no reference
** (From and Seq are immediates, kept in C variables across the release).
** {stop, From} -> as server(). */
static void bin_server(beam_term_t arg) {
  (void) arg;
  beam_term_t am_ok = beam_atom("ok");
  beam_mark_t m = beam_arena_mark();
  size_t base = beam_arena_bytes(), peak = base, after = base;
  for (;;) {
    beam_term_t from, seq, bin, salt;
    int c = beam_receive(BEAM_INFINITY, "{bin, From, Seq, Bin, Salt}", &from,
                         &seq, &bin, &salt, "{stop, From}", &from, NULL);
    ASSERT_OK(c);
    if (c == 1) {
      ASSERT_OK(beam_send(from, beam_fmt("{stats, ~u, ~u, ~u}", (uint64_t) base,
                                         (uint64_t) peak, (uint64_t) after)));
      return;
    }
    size_t len;
    const unsigned char *d = beam_binary_data(bin, &len);
    ASSERT(d != NULL);
    ASSERT_EQ(len, BIN_BYTES);
    int64_t s = get_i(salt);
    ASSERT_EQ(d[0], byte_at(0, s));
    ASSERT_EQ(d[BIN_BYTES - 1], byte_at(BIN_BYTES - 1, s));
    int64_t q = get_i(seq);
    peak = max_sz(peak, beam_arena_bytes());
    beam_arena_release(m);
    ASSERT_OK(beam_send(from, beam_tuple(2, am_ok, beam_int(q))));
    beam_arena_release(m); /* the reply tuple */
    after = max_sz(after, beam_arena_bytes());
  }
}

static int64_t bin_rounds;

/* Send 'bin' (salt 's') as round 'i' and wait for the server to have
** dropped it. */
static void bin_round(beam_pid_t srv, beam_term_t bin, int64_t s, int64_t i) {
  ASSERT_OK(beam_send(
      srv, beam_fmt("{bin, ~t, ~i, ~t, ~i}", beam_self(), i, bin, s)));
  ASSERT_EQ(beam_receive(10000, "{ok, ~i}", i, NULL), 0);
  /* Ours is the only reference left: the message block's went when the
  ** server released its iteration. */
  ASSERT_EQ(refc(bin), 1);
}

static beam_term_t make_bin(int64_t s) {
  unsigned char bytes[BIN_BYTES];
  for (size_t i = 0; i < BIN_BYTES; i++)
    bytes[i] = byte_at(i, s);
  beam_term_t b = beam_binary(bytes, sizeof bytes);
  ASSERT_OK(beam_term_error(b));
  return b;
}

/* A process that takes only 'stop', leaving every other message unread. */
static void hoarder(beam_term_t arg) {
  (void) arg;
  ASSERT_EQ(beam_receive(10000, "stop", NULL), 0);
}

static void bin_main(beam_term_t arg) {
  (void) arg;
  size_t procs = beam_process_count();
  beam_pid_t srv;
  ASSERT_OK(beam_spawn(bin_server, beam_nil(), &srv));

  /* 1. One binary, built once, sent bin_rounds times: shared, never
  **    copied, and its count back to 1 after every round trip. */
  beam_term_t shared = make_bin(7);
  ASSERT_EQ(refc(shared), 1);
  const void *shared_data = beam_binary_data(shared, NULL);
  rss_track_t rss1 = {.start = beam_test_rss()};
  beam_mark_t m = beam_arena_mark();
  size_t base = beam_arena_bytes();
  for (int64_t i = 0; i < bin_rounds; i++) {
    bin_round(srv, shared, 7, i);
    beam_arena_release(m);
    ASSERT_EQ(beam_arena_bytes(), base);
    rss_sample(&rss1, i, bin_rounds);
  }
  ASSERT_EQ(refc(shared), 1);
  ASSERT(beam_binary_data(shared, NULL) == shared_data);
  rss_check("one shared 1 KiB binary", &rss1);

  /* 2. A fresh binary per round, released by both sides: a reference left
  **    behind anywhere would keep its 1 KiB alive, so RSS would climb by
  **    about 1 KiB a round (some 200 MiB over the plain build's 200,000
  **    rounds). */
  rss_track_t rss2 = {.start = beam_test_rss()};
  for (int64_t i = 0; i < bin_rounds; i++) {
    beam_term_t b = make_bin(i);
    bin_round(srv, b, i, i);
    beam_arena_release(m); /* drops the last reference: frees it */
    ASSERT_EQ(beam_arena_bytes(), base);
    rss_sample(&rss2, i, bin_rounds);
  }
  rss_check("a fresh 1 KiB binary per round", &rss2);
  stop_server(srv, procs);

  /* 3. Copies left unread in a mailbox are dropped when the process ends. */
  beam_pid_t h;
  ASSERT_OK(beam_spawn(hoarder, beam_nil(), &h));
  for (int i = 0; i < 1000; i++) {
    ASSERT_OK(beam_send(h, beam_tuple(2, beam_atom("keep"), shared)));
    beam_arena_release(m);
  }
  ASSERT_EQ(refc(shared), 1001);
  ASSERT_OK(beam_send(h, beam_atom("stop")));
  while (beam_process_count() > procs)
    ASSERT_OK(beam_sleep(1));
  /* The exit frees the mailbox; allow for deferred reclamation. */
  for (int i = 0; i < 5000 && refc(shared) != 1; i++)
    ASSERT_OK(beam_sleep(1));
  ASSERT_EQ(refc(shared), 1);
}

BEAM_TEST_T(server_loop_1k_binary_refcount_drops, 120) {
  bin_rounds = (int64_t) (200000 * beam_test_scale());
#ifdef __SANITIZE_THREAD__
  if (bin_rounds > TSAN_PAIRS / 10)
    bin_rounds = TSAN_PAIRS / 10;
#endif
  beam_config_t cfg = {.schedulers = 2};
  ASSERT_RAN(beam_run(bin_main, beam_nil(), &cfg));
}
