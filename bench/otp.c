/* SPDX-License-Identifier: MIT */
/*
** otp.c: the workloads of the OTP layer (include/cbeam/otp.h).
**
**   genserver_call  N calls {add, I} to a GenServer that sums them and
**                   replies with the sum so far: call_ns. With --clients
**                   C > 1, C clients on C servers, N calls in all:
**                   calls_per_s.
**   genserver_cast  N casts {add, I}, then one call that must see all of
**                   them: cast_ns.
**   agent_update    an Agent holding an integer: N beam_agent_update calls
**                   adding I (synchronous, as Agent.update), then one get
**                   that must see the sum: update_ns.
**   async_stream    beam_async_stream over the integers 1..N, ordered, with
**                   a task per element returning 2x, at most
**                   --max-concurrency (default: the schedulers) at once;
**                   the results are summed and checked: elem_ns.
**
** Every reply is checked against the sum the client computes itself, so a
** lost or reordered message stops the benchmark. The client releases its
** heap every 4096 calls; the server never manages memory (the behaviour
** collects its heap).
*/
#include "bench.h"

static const bench_opts_t *g_opts;
static bench_result_t *g_res;
/* Looked up once, as a C program would (the callbacks run per message). */
static beam_term_t am_ok, am_reply, am_noreply;

static int64_t int_of(beam_term_t t) {
  int64_t v = 0;
  beam_get_int(t, &v);
  return v;
}

/* State: the sum of every {add, I}. */
static beam_term_t s_init(beam_term_t arg) {
  (void) arg;
  return beam_tuple(2, am_ok, beam_int(0));
}

static beam_term_t s_call(beam_term_t req, beam_term_t from, beam_term_t s) {
  (void) from;
  if (beam_is_tuple(req)) /* {add, I} */
    s = beam_int(int_of(s) + int_of(beam_tuple_get(req, 1)));
  return beam_tuple(3, am_reply, s, s);
}

static beam_term_t s_cast(beam_term_t req, beam_term_t s) {
  return beam_tuple(2, am_noreply,
                    beam_int(int_of(s) + int_of(beam_tuple_get(req, 1))));
}

static const beam_gen_server_t summer = {.init = s_init,
                                         .handle_call = s_call,
                                         .handle_cast = s_cast};

/* Every workload's entry: the root fills 'r' from 'o'. */
static void boot(const bench_opts_t *o, bench_result_t *r, beam_fn_t root) {
  g_opts = o;
  g_res = r;
  bench_boot(o, 0, root);
}

static void look_up_atoms(void) {
  am_ok = beam_atom("ok");
  am_reply = beam_atom("reply");
  am_noreply = beam_atom("noreply");
}

static beam_pid_t start_summer(void) {
  beam_term_t r = beam_gen_server_start_link(&summer, beam_nil(), NULL);
  if (!beam_is_tuple(r) || !beam_is(beam_tuple_get(r, 0), "ok"))
    bench_fail(__FILE__, __LINE__, "beam_gen_server_start_link", BEAM_EINVAL);
  return beam_tuple_get(r, 1);
}

/* 'n' checked calls to 'server'. */
static void call_loop(beam_pid_t server, int64_t n) {
  beam_term_t am_add = beam_atom("add");
  int64_t sum = 0;
  beam_mark_t m = beam_arena_mark();
  for (int64_t i = 1; i <= n; i++) {
    sum += i;
    beam_term_t r =
        beam_gen_server_call(server, beam_tuple(2, am_add, beam_int(i)),
                             BEAM_INFINITY);
    if (int_of(r) != sum)
      bench_fail(__FILE__, __LINE__, "reply", BEAM_EINVAL);
    if ((i & 4095) == 0) {
      beam_arena_release(m);
      m = beam_arena_mark();
    }
  }
  beam_arena_release(m);
}

/* ---- genserver_call ---- */

/* {Parent, N}: its own server, N calls, then 'done' to the parent. */
static void client_body(beam_term_t arg) {
  beam_pid_t server = start_summer();
  call_loop(server, int_of(beam_tuple_get(arg, 1)));
  BENCH_CHECK(beam_gen_server_stop(server, beam_atom("normal"),
                                   BEAM_INFINITY));
  BENCH_CHECK(beam_send(beam_tuple_get(arg, 0), beam_atom("done")));
}

static void call_root(beam_term_t arg) {
  (void) arg;
  look_up_atoms(); /* before any server or client runs */
  int64_t n = g_opts->n, c = g_opts->clients;
  size_t base = beam_process_count();
  int64_t t0, t1;
  if (c <= 1) {
    beam_pid_t server = start_summer();
    t0 = bench_now_ns();
    call_loop(server, n);
    t1 = bench_now_ns();
    BENCH_CHECK(beam_gen_server_stop(server, beam_atom("normal"),
                                     BEAM_INFINITY));
  } else {
    t0 = bench_now_ns();
    for (int64_t k = 0; k < c; k++) {
      beam_pid_t p;
      BENCH_CHECK(beam_spawn(client_body,
                             beam_tuple(2, beam_self(), beam_int(n / c)), &p));
    }
    for (int64_t k = 0; k < c; k++)
      BENCH_CHECK(beam_receive(BEAM_INFINITY, "done", NULL));
    t1 = bench_now_ns();
    n = n / c * c;
  }
  bench_await_exit(base);
  g_res->schedulers = beam_scheduler_count();
  if (c <= 1)
    bench_put(g_res, "call_ns", (double) (t1 - t0) / (double) n, 1);
  bench_put(g_res, "calls_per_s", (double) n / ((double) (t1 - t0) / 1e9), 0);
}

void bench_genserver_call(const bench_opts_t *o, bench_result_t *r) {
  boot(o, r, call_root);
}

/* ---- genserver_cast ---- */

static void cast_root(beam_term_t arg) {
  (void) arg;
  look_up_atoms();
  int64_t n = g_opts->n, sum = 0;
  size_t base = beam_process_count();
  beam_pid_t server = start_summer();
  beam_term_t am_add = beam_atom("add");
  int64_t t0 = bench_now_ns();
  beam_mark_t m = beam_arena_mark();
  for (int64_t i = 1; i <= n; i++) {
    sum += i;
    BENCH_CHECK(beam_gen_server_cast(server, beam_tuple(2, am_add,
                                                        beam_int(i))));
    if ((i & 4095) == 0) {
      beam_arena_release(m);
      m = beam_arena_mark();
    }
  }
  beam_term_t total = beam_gen_server_call(server, beam_atom("sum"),
                                           BEAM_INFINITY);
  int64_t t1 = bench_now_ns();
  beam_arena_release(m);
  if (int_of(total) != sum)
    bench_fail(__FILE__, __LINE__, "sum", BEAM_EINVAL);
  BENCH_CHECK(beam_gen_server_stop(server, beam_atom("normal"),
                                   BEAM_INFINITY));
  bench_await_exit(base);
  g_res->schedulers = beam_scheduler_count();
  bench_put(g_res, "cast_ns", (double) (t1 - t0) / (double) n, 1);
}

void bench_genserver_cast(const bench_opts_t *o, bench_result_t *r) {
  boot(o, r, cast_root);
}

/* ---- agent_update ---- */

static beam_term_t agent_zero(beam_term_t arg) {
  (void) arg;
  return beam_int(0);
}

static beam_term_t agent_add(beam_term_t state, beam_term_t i) {
  return beam_int(int_of(state) + int_of(i));
}

static beam_term_t agent_value(beam_term_t state, beam_term_t arg) {
  (void) arg;
  return state;
}

static void agent_root(beam_term_t arg) {
  (void) arg;
  int64_t n = g_opts->n, sum = 0;
  size_t base = beam_process_count();
  beam_term_t r = beam_agent_start_link(agent_zero, beam_nil(), NULL);
  if (!beam_is_tuple(r) || !beam_is(beam_tuple_get(r, 0), "ok"))
    bench_fail(__FILE__, __LINE__, "beam_agent_start_link", BEAM_EINVAL);
  beam_pid_t agent = beam_tuple_get(r, 1);
  beam_term_t am_ok_ = beam_atom("ok");
  int64_t t0 = bench_now_ns();
  beam_mark_t m = beam_arena_mark();
  for (int64_t i = 1; i <= n; i++) {
    sum += i;
    beam_term_t ok = beam_agent_update(agent, agent_add, beam_int(i),
                                       BEAM_INFINITY);
    if (!beam_equal(ok, am_ok_))
      bench_fail(__FILE__, __LINE__, "beam_agent_update", BEAM_EINVAL);
    if ((i & 4095) == 0) {
      beam_arena_release(m);
      m = beam_arena_mark();
    }
  }
  beam_term_t total = beam_agent_get(agent, agent_value, beam_nil(),
                                     BEAM_INFINITY);
  int64_t t1 = bench_now_ns();
  int64_t got = int_of(total);
  beam_arena_release(m);
  if (got != sum)
    bench_fail(__FILE__, __LINE__, "sum", BEAM_EINVAL);
  BENCH_CHECK(beam_agent_stop(agent, beam_atom("normal"), BEAM_INFINITY));
  bench_await_exit(base);
  g_res->schedulers = beam_scheduler_count();
  bench_put(g_res, "update_ns", (double) (t1 - t0) / (double) n, 1);
  bench_put(g_res, "wall_ms", (double) (t1 - t0) / 1e6, 1);
}

void bench_agent_update(const bench_opts_t *o, bench_result_t *r) {
  boot(o, r, agent_root);
}

/* ---- async_stream ---- */

typedef struct counter {
  int64_t next, last;
} counter_t;

static int next_int(void *ctx, beam_term_t *elem) {
  counter_t *c = ctx;
  if (c->next > c->last)
    return 0;
  *elem = beam_int(c->next++);
  return 1;
}

static beam_term_t twice(beam_term_t x) {
  return beam_int(2 * int_of(x));
}

static void stream_root(beam_term_t arg) {
  (void) arg;
  int64_t n = g_opts->n, sum = 0, count = 0;
  size_t base = beam_process_count();
  size_t rss0 = bench_rss_bytes();
  counter_t c = {1, n};
  beam_stream_opts_t so = {.max_concurrency =
                               (unsigned) g_opts->max_concurrency,
                           .timeout_ms = BEAM_INFINITY,
                           .collect = 1}; /* the input is C: nothing to keep */
  beam_async_stream_t *s;
  int64_t t0 = bench_now_ns();
  BENCH_CHECK(beam_async_stream_open(next_int, &c, twice, &so, &s));
  beam_term_t res;
  int rc;
  /* The stream collects this heap as it goes (otp.h: collect), so RSS
  ** stays flat whatever N (rss_growth_mb). */
  while ((rc = beam_async_stream_next(s, &res)) == 1) {
    beam_term_t v;
    count++;
    if (beam_match(res, "{ok, V}", &v) != 1 || int_of(v) != 2 * count)
      bench_fail(__FILE__, __LINE__, "result", BEAM_EINVAL);
    sum += int_of(v);
  }
  BENCH_CHECK(rc);
  beam_async_stream_close(s);
  int64_t t1 = bench_now_ns();
  size_t rss1 = bench_rss_bytes();
  if (count != n || sum != n * (n + 1))
    bench_fail(__FILE__, __LINE__, "sum", BEAM_EINVAL);
  bench_await_exit(base);
  g_res->schedulers = beam_scheduler_count();
  bench_put(g_res, "elem_ns", (double) (t1 - t0) / (double) n, 1);
  bench_put(g_res, "wall_ms", (double) (t1 - t0) / 1e6, 1);
  bench_put(g_res, "rss_growth_mb",
            (double) ((int64_t) rss1 - (int64_t) rss0) / 1048576.0, 1);
}

void bench_async_stream(const bench_opts_t *o, bench_result_t *r) {
  boot(o, r, stream_root);
}
