/* SPDX-License-Identifier: MIT */
/*
** bigmsg.c: the cost of sending a large term, against a small one.
**
**   bigmsg --kind bin   {msg, I, Bin}, Bin one 1 KiB binary built once and
**                       sent N times (default 1e6). Binaries over 64 bytes
**                       are shared by reference count, so each send copies
**                       a 4-word box and bumps a count: it should cost about
**                       what a small message costs.
**   bigmsg --kind list  {msg, I, List}, List one list of 100 small integers
**                       built once and sent N times (default 1e5); each send
**                       deep-copies the 100 cells (1.6 KiB).
**
** Each run has two timed phases on the same runtime, so the comparison is
** made under the same conditions: the kind asked for ('msg_ns') and the
** same protocol with a small message {msg, I, 0} ('small_ns'), after a
** short untimed warm-up. A phase: one sender (the root) streams N messages
** to a fresh receiver that takes each one, checks it (I is the next
** sequence number, the payload is intact: so a lost, reordered or torn
** message fails the run) and frees it. msg_ns = time from the first send
** until the receiver has taken the last one, divided by N.
**
** Flow control: sending never blocks, so an unthrottled sender can run
** ahead and queue up to N messages (memory then grows with N, and the
** figure measures queue growth rather than the message path). The receiver
** acknowledges every ACK_EVERY messages with {ack, Count} and the sender
** keeps at most WINDOW unacknowledged ones in flight: the queue, and so
** memory, stay flat whatever N is, while the two processes still run in
** parallel on two schedulers.
**
** Memory: both loops mark the heap at the top and release at the bottom
** (term.h), which frees the received copy and drops its binary reference.
** 'rss_peak_kb' is the largest RSS seen (sampled every RSS_EVERY sends and
** at phase ends) minus the RSS when the root started, 'rss_end_kb' the
** same at the end: both should stay near zero and must not grow with N.
*/
#include "bench.h"

#include <string.h>

enum {
  BIN_BYTES = 1024,
  LIST_LEN = 100,
  WINDOW = 4096,     /* unacknowledged messages in flight, at most */
  ACK_EVERY = 256,   /* the receiver acks each this many */
  RSS_EVERY = 16384, /* sends between RSS samples */
};

typedef enum { K_SMALL, K_BIN, K_LIST } kind_t;

static const bench_opts_t *g_opts;
static bench_result_t *g_res;
static size_t g_rss0, g_rss_peak;

int64_t bench_bigmsg_default_n(const char *kind) {
  return strcmp(kind, "list") == 0 ? 100000 : 1000000;
}

static void sample_rss(void) {
  size_t rss = bench_rss_bytes();
  if (rss > g_rss_peak)
    g_rss_peak = rss;
}

/* The payload's byte at index i, so a torn binary shows. */
static unsigned char bin_byte(size_t i) {
  return (unsigned char) (i * 7 + 3);
}

static void check_payload(kind_t kind, beam_term_t p) {
  int ok = 0;
  if (kind == K_SMALL) {
    int64_t v;
    ok = beam_get_int(p, &v) == 0 && v == 0;
  } else if (kind == K_BIN) {
    size_t len;
    const unsigned char *d = beam_binary_data(p, &len);
    ok = d != NULL && len == BIN_BYTES && d[0] == bin_byte(0) &&
         d[BIN_BYTES - 1] == bin_byte(BIN_BYTES - 1);
  } else {
    /* O(1): the head and the second cell. The walk of all 100 would be the
    ** consumer's work, not the message path's. */
    int64_t h0, h1;
    ok = beam_get_int(beam_hd(p), &h0) == 0 &&
         beam_get_int(beam_hd(beam_tl(p)), &h1) == 0 && h0 == 0 && h1 == 1;
  }
  if (!ok)
    bench_fail(__FILE__, __LINE__, "payload check", BEAM_EBADTERM);
}

/* arg = {Sender, Kind}. Takes {msg, I, P} until 'stop'; I must count up
** from 0. Acks {ack, Count} every ACK_EVERY messages; answers 'flush' with
** {flushed, Count}, after every ack it sent (per-pair FIFO). */
static void receiver(beam_term_t arg) {
  beam_pid_t sender = beam_tuple_get(arg, 0);
  int64_t kind;
  BENCH_CHECK(beam_get_int(beam_tuple_get(arg, 1), &kind));
  beam_term_t am_ack = beam_atom("ack"), am_flushed = beam_atom("flushed");
  int64_t count = 0;
  for (;;) {
    beam_mark_t m = beam_arena_mark();
    beam_term_t it, p;
    int c = beam_receive(BEAM_INFINITY, "{msg, I, P}", &it, &p, "flush", "stop",
                         NULL);
    BENCH_CHECK(c);
    if (c == 2)
      return;
    if (c == 0) {
      int64_t i;
      BENCH_CHECK(beam_get_int(it, &i));
      if (i != count)
        bench_fail(__FILE__, __LINE__, "sequence check", BEAM_EBADTERM);
      check_payload((kind_t) kind, p);
      count++;
    }
    if (c == 1)
      BENCH_CHECK(
          beam_send(sender, beam_tuple(2, am_flushed, beam_int(count))));
    else if (count % ACK_EVERY == 0)
      BENCH_CHECK(beam_send(sender, beam_tuple(2, am_ack, beam_int(count))));
    beam_arena_release(m);
  }
}

/* Wait for one {ack, Count}; returns Count. */
static int64_t take_ack(void) {
  beam_mark_t m = beam_arena_mark();
  beam_term_t ct;
  int64_t count;
  BENCH_CHECK(beam_receive(BEAM_INFINITY, "{ack, C}", &ct, NULL));
  BENCH_CHECK(beam_get_int(ct, &count));
  beam_arena_release(m);
  return count;
}

/* Stream n {msg, I, payload} to a fresh receiver; ns per message. */
static double phase(kind_t kind, beam_term_t payload, int64_t n) {
  size_t base = beam_process_count();
  beam_pid_t r;
  beam_mark_t m0 = beam_arena_mark();
  BENCH_CHECK(beam_spawn(
      receiver, beam_tuple(2, beam_self(), beam_int((int64_t) kind)), &r));
  beam_arena_release(m0);
  beam_term_t am_msg = beam_atom("msg");

  int64_t acked = 0;
  int64_t t0 = bench_now_ns();
  for (int64_t k = 0; k < n; k++) {
    while (k - acked >= WINDOW)
      acked = take_ack();
    beam_mark_t m = beam_arena_mark();
    BENCH_CHECK(beam_send(r, beam_tuple(3, am_msg, beam_int(k), payload)));
    beam_arena_release(m);
    if (k % RSS_EVERY == 0)
      sample_rss();
  }
  BENCH_CHECK(beam_send(r, beam_atom("flush")));
  beam_mark_t mf = beam_arena_mark();
  beam_term_t got;
  BENCH_CHECK(beam_receive(BEAM_INFINITY, "{flushed, C}", &got, NULL));
  int64_t t1 = bench_now_ns();
  int64_t total;
  BENCH_CHECK(beam_get_int(got, &total));
  if (total != n)
    bench_fail(__FILE__, __LINE__, "receiver count", BEAM_EBADTERM);
  beam_arena_release(mf);
  sample_rss();

  /* Acks still queued: they were all sent before {flushed, _}, so they are
  ** all here now (at most WINDOW / ACK_EVERY + 1). */
  beam_term_t stale;
  for (;;) {
    beam_mark_t m = beam_arena_mark();
    int rc = beam_receive_any(0, &stale);
    beam_arena_release(m);
    if (rc == BEAM_ETIMEDOUT)
      break;
    BENCH_CHECK(rc);
  }
  BENCH_CHECK(beam_send(r, beam_atom("stop")));
  bench_await_exit(base);
  return (double) (t1 - t0) / (double) n;
}

static void bigmsg_root(beam_term_t arg) {
  (void) arg;
  int64_t n = g_opts->n;
  kind_t kind = strcmp(g_opts->kind, "list") == 0 ? K_LIST : K_BIN;
  g_rss0 = g_rss_peak = bench_rss_bytes();

  /* Built once, outside every per-iteration mark: it lives on the root's
  ** heap for the whole run and every send reads it. */
  beam_term_t payload;
  if (kind == K_BIN) {
    unsigned char bytes[BIN_BYTES];
    for (size_t i = 0; i < BIN_BYTES; i++)
      bytes[i] = bin_byte(i);
    payload = beam_binary(bytes, sizeof bytes);
  } else {
    beam_term_t elems[LIST_LEN];
    for (int64_t i = 0; i < LIST_LEN; i++)
      elems[i] = beam_int(i);
    payload = beam_list_v(LIST_LEN, elems);
  }
  BENCH_CHECK(beam_term_error(payload));
  beam_term_t small = beam_int(0);

  int64_t warm = n / 10 < 10000 ? n / 10 : 10000;
  if (warm > 0) {
    phase(kind, payload, warm);
    phase(K_SMALL, small, warm);
  }
  int64_t t0 = bench_now_ns();
  double msg_ns = phase(kind, payload, n);
  int64_t t1 = bench_now_ns();
  double small_ns = phase(K_SMALL, small, n);
  size_t rss_end = bench_rss_bytes();

  g_res->schedulers = beam_scheduler_count();
  bench_put(g_res, "msg_ns", msg_ns, 1);
  bench_put(g_res, "small_ns", small_ns, 1);
  bench_put(g_res, "ratio", msg_ns / small_ns, 2);
  bench_put(g_res, "wall_ms", (double) (t1 - t0) / 1e6, 1);
  bench_put(g_res, "rss_peak_kb",
            (double) (g_rss_peak > g_rss0 ? g_rss_peak - g_rss0 : 0) / 1024, 0);
  bench_put(g_res, "rss_end_kb",
            (double) (rss_end > g_rss0 ? rss_end - g_rss0 : 0) / 1024, 0);
}

void bench_bigmsg(const bench_opts_t *o, bench_result_t *r) {
  g_opts = o;
  g_res = r;
  bench_boot(o, 0, bigmsg_root);
}
