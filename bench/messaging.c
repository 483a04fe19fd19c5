/* SPDX-License-Identifier: MIT */
/*
** messaging.c: the workloads that measure send and receive.
**
**   pingpong   two processes, N round trips of {ping, I} / {pong, I}.
**   ring       N processes in a ring pass one {token, K} for L laps.
**   fanin      S senders each send N {msg, I} to one receiver.
**   selective  call/reply with Q unrelated messages queued in the caller:
**              once with a fresh ref per call (the ref-receive skip), once
**              with a plain {reply, X} pattern that scans all Q each time.
**
** Every message is a small tuple built per iteration rather than an atom,
** so each send pays for a real deep copy, as an Erlang message would. Every
** loop marks its heap at the top and releases at the bottom, so a process
** runs in constant memory however large N is (term.h); a receive that
** returns a message moves it into the heap, so the release also frees it.
**
** Replies are matched against the value that was sent (an input hole
** '~t'), so a lost, duplicated or reordered message stops the benchmark
** (the receive would block) instead of producing a plausible figure.
**
** Roots and globals: as in spawn.c, the root process times the work and
** writes 'g_res'; see bench.h.
*/
#include "bench.h"

#include <string.h>

static const bench_opts_t *g_opts;
static bench_result_t *g_res;

/* ---- pingpong ---- */

/* arg = the pinger's pid. Answers {ping, I} with {pong, I} until 'stop'.
** (fairness.c uses it too.) */
void bench_pong_body(beam_term_t arg) {
  beam_pid_t peer = arg;
  beam_term_t am_pong = beam_atom("pong");
  for (;;) {
    beam_mark_t m = beam_arena_mark();
    beam_term_t i;
    int c = beam_receive(BEAM_INFINITY, "{ping, I}", &i, "stop", NULL);
    BENCH_CHECK(c);
    if (c == 1)
      return;
    BENCH_CHECK(beam_send(peer, beam_tuple(2, am_pong, i)));
    beam_arena_release(m);
  }
}

static void pingpong_root(beam_term_t arg) {
  (void) arg;
  int64_t n = g_opts->n;
  size_t base = beam_process_count();
  beam_term_t am_ping = beam_atom("ping");
  beam_pid_t pong;
  BENCH_CHECK(beam_spawn(bench_pong_body, beam_self(), &pong));

  int64_t t0 = bench_now_ns();
  for (int64_t k = 0; k < n; k++) {
    beam_mark_t m = beam_arena_mark();
    beam_term_t i = beam_int(k);
    BENCH_CHECK(beam_send(pong, beam_tuple(2, am_ping, i)));
    BENCH_CHECK(beam_receive(BEAM_INFINITY, "{pong, ~t}", i, NULL));
    beam_arena_release(m);
  }
  int64_t t1 = bench_now_ns();
  BENCH_CHECK(beam_send(pong, beam_atom("stop")));
  bench_await_exit(base);

  g_res->schedulers = beam_scheduler_count();
  bench_put(g_res, "rt_ns", (double) (t1 - t0) / (double) n, 1);
  bench_put(g_res, "wall_ms", (double) (t1 - t0) / 1e6, 1);
}

void bench_pingpong(const bench_opts_t *o, bench_result_t *r) {
  g_opts = o;
  g_res = r;
  bench_boot(o, 0, pingpong_root);
}

/* ---- ring ---- */

/* arg = the root's pid. Waits for {next, P}, then forwards {token, K} as
** {token, K-1} to P; the holder of {token, 0} tells the root 'done'. */
static void ring_node(beam_term_t arg) {
  beam_pid_t root = arg, next;
  BENCH_CHECK(beam_receive(BEAM_INFINITY, "{next, P}", &next, NULL));
  beam_term_t am_token = beam_atom("token");
  for (;;) {
    beam_mark_t m = beam_arena_mark();
    beam_term_t kt;
    int64_t k;
    int c = beam_receive(BEAM_INFINITY, "{token, K}", &kt, "stop", NULL);
    BENCH_CHECK(c);
    if (c == 1)
      return;
    BENCH_CHECK(beam_get_int(kt, &k));
    if (k == 0)
      BENCH_CHECK(beam_send(root, beam_atom("done")));
    else
      BENCH_CHECK(beam_send(next, beam_tuple(2, am_token, beam_int(k - 1))));
    beam_arena_release(m);
  }
}

static void ring_root(beam_term_t arg) {
  (void) arg;
  size_t n = (size_t) g_opts->n;
  int64_t hops = g_opts->n * g_opts->laps;
  size_t base = beam_process_count();
  beam_pid_t *pids = malloc(n * sizeof *pids);
  if (pids == NULL)
    bench_fail(__FILE__, __LINE__, "malloc", BEAM_ENOMEM);
  for (size_t i = 0; i < n; i++)
    BENCH_CHECK(beam_spawn(ring_node, beam_self(), &pids[i]));
  for (size_t i = 0; i < n; i++) {
    beam_mark_t m = beam_arena_mark();
    BENCH_CHECK(beam_send(pids[i], beam_fmt("{next, ~t}", pids[(i + 1) % n])));
    beam_arena_release(m);
  }

  /* The root's send is not a hop: node 0 receives 'hops' and the token then
  ** crosses 'hops' node-to-node links before 'done'. */
  int64_t t0 = bench_now_ns();
  BENCH_CHECK(beam_send(pids[0], beam_fmt("{token, ~i}", hops)));
  BENCH_CHECK(beam_receive(BEAM_INFINITY, "done", NULL));
  int64_t t1 = bench_now_ns();

  beam_term_t stop = beam_atom("stop");
  for (size_t i = 0; i < n; i++)
    BENCH_CHECK(beam_send(pids[i], stop));
  free(pids);
  bench_await_exit(base);

  g_res->schedulers = beam_scheduler_count();
  bench_put(g_res, "hop_ns", (double) (t1 - t0) / (double) hops, 1);
  bench_put(g_res, "wall_ms", (double) (t1 - t0) / 1e6, 1);
}

void bench_ring(const bench_opts_t *o, bench_result_t *r) {
  g_opts = o;
  g_res = r;
  size_t limit = (size_t) o->n + 1024;
  bench_boot(o, limit < ((size_t) 1 << 20) ? 0 : limit, ring_root);
}

/* ---- fanin ---- */

/* arg = {Receiver, N}: sends {msg, 0} .. {msg, N-1}. */
static void fanin_sender(beam_term_t arg) {
  beam_pid_t to = beam_tuple_get(arg, 0);
  int64_t n;
  BENCH_CHECK(beam_get_int(beam_tuple_get(arg, 1), &n));
  beam_term_t am_msg = beam_atom("msg");
  for (int64_t i = 0; i < n; i++) {
    beam_mark_t m = beam_arena_mark();
    BENCH_CHECK(beam_send(to, beam_tuple(2, am_msg, beam_int(i))));
    beam_arena_release(m);
  }
}

static void fanin_root(beam_term_t arg) {
  (void) arg;
  int64_t s = g_opts->senders, n = g_opts->n, total = s * n;
  size_t base = beam_process_count();
  beam_pid_t pid;
  int64_t t0 = bench_now_ns();
  for (int64_t i = 0; i < s; i++) {
    beam_mark_t m = beam_arena_mark();
    BENCH_CHECK(beam_spawn(fanin_sender, beam_fmt("{~t, ~i}", beam_self(), n),
                           &pid));
    beam_arena_release(m);
  }
  int64_t peak = 0;
  for (int64_t i = 0; i < total; i++) {
    beam_mark_t m = beam_arena_mark();
    beam_term_t msg;
    BENCH_CHECK(beam_receive_any(BEAM_INFINITY, &msg));
    if ((i & 1023) == 0) {
      int64_t len = beam_mailbox_len();
      peak = len > peak ? len : peak;
    }
    beam_arena_release(m);
  }
  int64_t t1 = bench_now_ns();
  bench_await_exit(base);

  g_res->schedulers = beam_scheduler_count();
  double secs = (double) (t1 - t0) / 1e9;
  bench_put(g_res, "msgs_per_s", (double) total / secs, 0);
  bench_put(g_res, "wall_ms", secs * 1e3, 1);
  /* Sampled every 1024 receives: how far the senders got ahead. */
  bench_put(g_res, "peak_queue", (double) peak, 0);
}

void bench_fanin(const bench_opts_t *o, bench_result_t *r) {
  g_opts = o;
  g_res = r;
  size_t limit = (size_t) o->senders + 1024;
  bench_boot(o, limit < ((size_t) 1 << 20) ? 0 : limit, fanin_root);
}

/* ---- selective ---- */

/* Serves {call, From, Ref, X} with {Ref, X} and {call, From, X} with
** {reply, X} until 'stop'. */
static void selective_server(beam_term_t arg) {
  (void) arg;
  beam_term_t am_reply = beam_atom("reply");
  for (;;) {
    beam_mark_t m = beam_arena_mark();
    beam_term_t from, ref, x;
    int c = beam_receive(BEAM_INFINITY, "{call, From, Ref, X}", &from, &ref,
                         &x, "{call, From, X}", &from, &x, "stop", NULL);
    BENCH_CHECK(c);
    if (c == 2)
      return;
    beam_term_t tag = c == 0 ? ref : am_reply;
    BENCH_CHECK(beam_send(from, beam_tuple(2, tag, x)));
    beam_arena_release(m);
  }
}

static void selective_root(beam_term_t arg) {
  (void) arg;
  int64_t q = g_opts->queued, n = g_opts->n;
  size_t base = beam_process_count();
  beam_pid_t self = beam_self(), server;
  beam_term_t am_call = beam_atom("call"), am_noise = beam_atom("noise");
  for (int64_t i = 0; i < q; i++) {
    beam_mark_t m = beam_arena_mark();
    BENCH_CHECK(beam_send(self, beam_tuple(2, am_noise, beam_int(i))));
    beam_arena_release(m);
  }
  BENCH_CHECK(beam_spawn(selective_server, beam_nil(), &server));

  /* With a ref: every queued message predates the ref and is skipped. */
  int64_t t0 = bench_now_ns();
  for (int64_t k = 0; k < n; k++) {
    beam_mark_t m = beam_arena_mark();
    beam_term_t ref = beam_make_ref(), reply, x = beam_int(k);
    BENCH_CHECK(beam_send(server, beam_tuple(4, am_call, self, ref, x)));
    BENCH_CHECK(beam_receive(BEAM_INFINITY, "{~t, Reply}", ref, &reply, NULL));
    if (!beam_equal(reply, x))
      bench_fail(__FILE__, __LINE__, "reply check", BEAM_EINVAL);
    beam_arena_release(m);
  }
  int64_t t1 = bench_now_ns();

  /* Without: each receive looks at all 'q' queued messages first. */
  for (int64_t k = 0; k < n; k++) {
    beam_mark_t m = beam_arena_mark();
    beam_term_t x = beam_int(k);
    BENCH_CHECK(beam_send(server, beam_tuple(3, am_call, self, x)));
    BENCH_CHECK(beam_receive(BEAM_INFINITY, "{reply, ~t}", x, NULL));
    beam_arena_release(m);
  }
  int64_t t2 = bench_now_ns();

  int64_t left = beam_mailbox_len();
  BENCH_CHECK(beam_send(server, beam_atom("stop")));
  bench_await_exit(base);
  g_res->schedulers = beam_scheduler_count();
  bench_put(g_res, "op_us", (double) (t1 - t0) / 1e3 / (double) n, 3);
  bench_put(g_res, "scan_op_us", (double) (t2 - t1) / 1e3 / (double) n, 3);
  if (left != q) {
    fprintf(stderr, "cbeam-bench: selective: %lld messages left queued, "
                    "expected %lld\n", (long long) left, (long long) q);
    g_res->failed = 1;
  }
}

void bench_selective(const bench_opts_t *o, bench_result_t *r) {
  g_opts = o;
  g_res = r;
  bench_boot(o, 0, selective_root);
}
