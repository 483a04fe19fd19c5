/* SPDX-License-Identifier: MIT */
/*
** stream_test.c: Task.async_stream (include/cbeam/otp.h), one test per
** rule of docs/semantics.md §10 (T15-T22), named by its id. Durations are
** the rules' own, scaled down. Each root sets 'reached' last.
*/
#include "../harness/check.h"

#include <stdatomic.h>


#define RUN(main_fn) RUN_TO_END((main_fn), 2)

/* An input of integers, counting how many were taken. */
typedef struct ints {
  const int64_t *v;
  size_t n, taken;
} ints_t;

static int next_int(void *ctx, beam_term_t *elem) {
  ints_t *in = ctx;
  if (in->taken == in->n)
    return 0;
  *elem = beam_int(in->v[in->taken++]);
  return 1;
}

static _Atomic int running, peak, done_count;
static _Atomic int64_t started_at[32];

/* Sleeps its element's ms and returns it; counts concurrency. */
static beam_term_t sleep_elem(beam_term_t elem) {
  int now = atomic_fetch_add(&running, 1) + 1;
  int p = atomic_load(&peak);
  while (now > p && !atomic_compare_exchange_weak(&peak, &p, now))
    ;
  int64_t ms = 0;
  beam_get_int(elem, &ms);
  beam_sleep(ms);
  atomic_fetch_sub(&running, 1);
  atomic_fetch_add(&done_count, 1);
  return elem;
}

/* {Index, Ms}: records its start time, then sleeps. */
static beam_term_t timed_elem(beam_term_t elem) {
  int64_t i = 0;
  beam_get_int(beam_tuple_get(elem, 0), &i);
  atomic_store(&started_at[i], beam_monotonic_ms());
  return sleep_elem(beam_tuple_get(elem, 1));
}

static beam_term_t crash_on_bad(beam_term_t elem) {
  if (beam_is(elem, "bad"))
    beam_exit(beam_atom("bad"));
  return elem;
}

static void reset(void) {
  atomic_store(&running, 0);
  atomic_store(&peak, 0);
  atomic_store(&done_count, 0);
}

/* Every result of 's' as a list, then close it. */
static beam_term_t drain(beam_async_stream_t *s) {
  beam_term_t out[64];
  size_t n = 0;
  beam_term_t r;
  int rc;
  while ((rc = beam_async_stream_next(s, &r)) == 1 && n < 64)
    out[n++] = r;
  ASSERT_EQ(rc, 0);
  beam_async_stream_close(s);
  beam_term_t l = beam_nil();
  while (n > 0)
    l = beam_cons(out[--n], l);
  return l;
}

static beam_term_t ok(int64_t v) {
  return beam_tuple(2, beam_atom("ok"), beam_int(v));
}

/* ---- T15, T16 ---- */

static void t15_main(beam_term_t arg) {
  (void) arg;
  reset();
  int64_t v[] = {1, 2, 3};
  ints_t in = {v, 3, 0};
  beam_async_stream_t *s;
  ASSERT_OK(beam_async_stream_open(next_int, &in, sleep_elem, NULL, &s));
  ASSERT_OK(beam_sleep(30));
  ASSERT_EQ(in.taken, 0); /* lazy: nothing taken, nothing started */
  ASSERT_EQ(atomic_load(&done_count), 0);
  ASSERT_TERM_EQ(drain(s), beam_list(3, ok(1), ok(2), ok(3)));
  ASSERT_ERR(beam_async_stream_open(NULL, &in, sleep_elem, NULL, &s),
             BEAM_EINVAL);
  ASSERT_ERR(beam_async_stream_open(next_int, &in, NULL, NULL, &s),
             BEAM_EINVAL);
  beam_stream_opts_t bad = {.timeout_ms = -7};
  ASSERT_ERR(beam_async_stream_open(next_int, &in, sleep_elem, &bad, &s),
             BEAM_EINVAL);
  reached = 1;
}

BEAM_TEST_T(T15_async_stream_is_lazy, 30) {
  RUN(t15_main);
}

static void t16_main(beam_term_t arg) {
  (void) arg;
  int64_t v[] = {120, 10, 80, 20};
  beam_stream_opts_t o = {.max_concurrency = 4};
  ints_t in = {v, 4, 0};
  beam_async_stream_t *s;
  ASSERT_OK(beam_async_stream_open(next_int, &in, sleep_elem, &o, &s));
  ASSERT_TERM_EQ(drain(s), beam_list(4, ok(120), ok(10), ok(80), ok(20)));
  o.unordered = 1;
  in.taken = 0;
  ASSERT_OK(beam_async_stream_open(next_int, &in, sleep_elem, &o, &s));
  ASSERT_TERM_EQ(drain(s), beam_list(4, ok(10), ok(20), ok(80), ok(120)));
  reached = 1;
}

BEAM_TEST_T(T16_ordered_by_default_unordered_by_completion, 30) {
  RUN(t16_main);
}

/* ---- T17 ---- */

/* {I, Ms} for I in 0..n-1 */
typedef struct timed {
  const int64_t *ms;
  size_t n, taken;
} timed_t;

static int next_timed(void *ctx, beam_term_t *elem) {
  timed_t *in = ctx;
  if (in->taken == in->n)
    return 0;
  *elem = beam_tuple(2, beam_int((int64_t) in->taken), beam_int(in->ms[in->taken]));
  in->taken++;
  return 1;
}

static void t17_main(beam_term_t arg) {
  (void) arg;
  reset();
  int64_t v[20];
  for (int i = 0; i < 20; i++)
    v[i] = 5 + i % 3;
  beam_stream_opts_t o = {.max_concurrency = 3};
  ints_t in = {v, 20, 0};
  beam_async_stream_t *s;
  ASSERT_OK(beam_async_stream_open(next_int, &in, sleep_elem, &o, &s));
  beam_term_t l = drain(s);
  ASSERT_EQ(atomic_load(&peak), 3);
  ASSERT_EQ(atomic_load(&done_count), 20);
  ASSERT_TRUE(beam_is_list(l));
  /* A slow head does not stall the rest: its slot is busy, the other one
  ** keeps turning while the head's result waits to lead the output. */
  reset();
  int64_t ms[6] = {300, 10, 10, 10, 10, 10};
  timed_t tin = {ms, 6, 0};
  o.max_concurrency = 2;
  ASSERT_OK(beam_async_stream_open(next_timed, &tin, timed_elem, &o, &s));
  beam_term_t r;
  ASSERT_EQ(beam_async_stream_next(s, &r), 1);
  ASSERT_TERM_EQ(r, ok(300)); /* first, though it ended last */
  for (int i = 1; i < 6; i++)
    ASSERT_LT(atomic_load(&started_at[i]), atomic_load(&started_at[0]) + 300);
  beam_async_stream_close(s);
  reached = 1;
}

BEAM_TEST_T(T17_max_concurrency_and_slots_free_on_completion, 30) {
  RUN(t17_main);
}

/* ---- T18, T19 ---- */

static void consumer_times_out(beam_term_t arg) {
  (void) arg;
  static const int64_t v[] = {10, 2000, 2000};
  static ints_t in;
  in = (ints_t){v, 3, 0};
  beam_stream_opts_t o = {.max_concurrency = 3, .timeout_ms = 100};
  beam_async_stream_t *s;
  ASSERT_OK(beam_async_stream_open(next_int, &in, sleep_elem, &o, &s));
  beam_term_t r;
  while (beam_async_stream_next(s, &r) == 1)
    ;
  ASSERT(0); /* exits */
}

static void t19_main(beam_term_t arg) {
  (void) arg;
  reset();
  size_t base = beam_process_count();
  beam_pid_t p;
  beam_term_t ref;
  int64_t t0 = beam_monotonic_ms();
  ASSERT_OK(beam_spawn_monitor(consumer_times_out, beam_nil(), &p, &ref));
  beam_term_t why;
  ASSERT_EQ(beam_receive(5000, "{'DOWN', ~t, process, _, R}", ref, &why,
                         NULL),
            0);
  ASSERT_TERM_EQ(why, beam_fmt("{timeout, {'Elixir.Task.Supervised', "
                               "stream, [100]}}"));
  /* T18: timed from each task's start, so about 100 ms, not 2 s. */
  ASSERT_LT(beam_monotonic_ms() - t0, 1500);
  /* The other tasks were killed with it. */
  while (beam_process_count() > base)
    ASSERT_OK(beam_sleep(1));
  ASSERT_EQ(atomic_load(&done_count), 1);
  reached = 1;
}

BEAM_TEST_T(T18_T19_timeout_per_element_exits_the_consumer, 30) {
  RUN(t19_main);
}

/* ---- T20 ---- */

static void t20_main(beam_term_t arg) {
  (void) arg;
  int64_t v[] = {10, 500, 20};
  beam_stream_opts_t o = {.max_concurrency = 3, .timeout_ms = 100,
                          .kill_task_on_timeout = 1};
  ints_t in = {v, 3, 0};
  beam_async_stream_t *s;
  ASSERT_OK(beam_async_stream_open(next_int, &in, sleep_elem, &o, &s));
  beam_term_t timeout = beam_tuple(2, beam_atom("exit"), beam_atom("timeout"));
  ASSERT_TERM_EQ(drain(s), beam_list(3, ok(10), timeout, ok(20)));
  o.zip_input_on_exit = 1;
  in.taken = 0;
  ASSERT_OK(beam_async_stream_open(next_int, &in, sleep_elem, &o, &s));
  ASSERT_TERM_EQ(drain(s),
                 beam_list(3, ok(10), beam_fmt("{exit, {500, timeout}}"),
                           ok(20)));
  ASSERT_OK(beam_sleep(20));
  ASSERT_EQ(beam_mailbox_len(), 0); /* no EXIT: the killed were unlinked */
  reached = 1;
}

BEAM_TEST_T(T20_kill_task_on_timeout_continues, 30) {
  RUN(t20_main);
}

/* ---- T21 ---- */

typedef struct atoms {
  const char **v;
  size_t n, taken;
} atoms_t;

static int next_atom(void *ctx, beam_term_t *elem) {
  atoms_t *in = ctx;
  if (in->taken == in->n)
    return 0;
  *elem = beam_atom(in->v[in->taken++]);
  return 1;
}

static const char *with_bad[] = {"one", "bad", "three"};

static void plain_consumer(beam_term_t arg) {
  (void) arg;
  static atoms_t in;
  in = (atoms_t){with_bad, 3, 0};
  beam_async_stream_t *s;
  ASSERT_OK(beam_async_stream_open(next_atom, &in, crash_on_bad, NULL, &s));
  beam_term_t r;
  while (beam_async_stream_next(s, &r) == 1)
    ;
  beam_receive(BEAM_INFINITY, "never", NULL);
}

static void t21_main(beam_term_t arg) {
  (void) arg;
  beam_pid_t p;
  beam_term_t ref;
  ASSERT_OK(beam_spawn_monitor(plain_consumer, beam_nil(), &p, &ref));
  beam_term_t why;
  ASSERT_EQ(beam_receive(5000, "{'DOWN', ~t, process, _, R}", ref, &why,
                         NULL),
            0);
  ASSERT_TRUE(beam_is(why, "bad"));
  beam_trap_exit(1);
  atoms_t in = {with_bad, 3, 0};
  beam_async_stream_t *s;
  ASSERT_OK(beam_async_stream_open(next_atom, &in, crash_on_bad, NULL, &s));
  ASSERT_TERM_EQ(drain(s), beam_fmt("[{ok, one}, {exit, bad}, {ok, three}]"));
  reached = 1;
}

BEAM_TEST_T(T21_a_crash_takes_the_consumer_unless_it_traps, 30) {
  RUN(t21_main);
}

/* ---- T22 ---- */

static void t22_main(beam_term_t arg) {
  (void) arg;
  reset();
  size_t base = beam_process_count();
  int64_t v[10];
  for (int i = 0; i < 10; i++)
    v[i] = 50;
  beam_stream_opts_t o = {.max_concurrency = 2};
  ints_t in = {v, 10, 0};
  beam_async_stream_t *s;
  ASSERT_OK(beam_async_stream_open(next_int, &in, sleep_elem, &o, &s));
  beam_term_t r;
  ASSERT_EQ(beam_async_stream_next(s, &r), 1);
  ASSERT_EQ(beam_async_stream_next(s, &r), 1);
  beam_async_stream_close(s); /* take 2, then halt */
  ASSERT_LE(in.taken, 4);
  while (beam_process_count() > base)
    ASSERT_OK(beam_sleep(1));
  ASSERT_OK(beam_sleep(100));
  ASSERT_EQ(atomic_load(&done_count), 2);
  ASSERT_EQ(beam_mailbox_len(), 0);
  beam_async_stream_close(NULL);
  reached = 1;
}

BEAM_TEST_T(T22_halting_early_kills_the_rest, 30) {
  RUN(t22_main);
}

/* ---- collect: a long stream in bounded memory ---- */

/* An input walking a list term: the list is a term the stream must keep. */
typedef struct list_in {
  beam_term_t rest;
} list_in_t;

static int next_of_list(void *ctx, beam_term_t *elem) {
  list_in_t *in = ctx;
  if (beam_equal(in->rest, beam_nil()))
    return 0;
  *elem = beam_hd(in->rest);
  in->rest = beam_tl(in->rest);
  return 1;
}

static int64_t int_of(beam_term_t t) {
  int64_t v = -1;
  beam_get_int(t, &v);
  return v;
}

/* The first ten elements of 'l' as a new list (all of it if shorter). */
static beam_term_t newest_ten(beam_term_t l) {
  beam_term_t v[10];
  size_t n = 0;
  for (; n < 10 && !beam_equal(l, beam_nil()); l = beam_tl(l))
    v[n++] = beam_hd(l);
  return beam_list_v(n, v);
}

static beam_term_t boxed_double(beam_term_t elem) {
  int64_t v = 0;
  beam_get_int(elem, &v);
  return beam_fmt("{doubled, ~i, [~i, ~i]}", 2 * v, v, v);
}

static void collect_main(beam_term_t arg) {
  (void) arg;
  int64_t n = (int64_t) (50000 * beam_test_scale());
  if (n < 5000)
    n = 5000;
  beam_term_t list = beam_nil();
  for (int64_t i = n; i > 0; i--)
    list = beam_cons(beam_int(i), list);
  list_in_t in = {list};
  beam_term_t acc = beam_nil(); /* the last ten results, kept by the caller */
  beam_term_t *keep[] = {&in.rest, &acc};
  beam_stream_opts_t o = {.max_concurrency = 4, .collect = 1, .keep = keep,
                          .nkeep = 2};
  beam_async_stream_t *s;
  ASSERT_OK(beam_async_stream_open(next_of_list, &in, boxed_double, &o, &s));
  beam_process_info_t info;
  size_t heap_peak = 0;
  int64_t count = 0;
  beam_term_t r, v;
  int rc;
  while ((rc = beam_async_stream_next(s, &r)) == 1) {
    count++;
    ASSERT_EQ(beam_match(r, "{ok, {doubled, V, _}}", &v), 1);
    ASSERT_EQ(int_of(v), 2 * count); /* in order, intact */
    acc = newest_ten(beam_cons(r, acc));
    if (count % 1000 == 0) {
      ASSERT_OK(beam_process_info(beam_self(), &info));
      heap_peak = info.heap_bytes > heap_peak ? info.heap_bytes : heap_peak;
    }
  }
  ASSERT_EQ(rc, 0);
  ASSERT_EQ(count, n);
  beam_async_stream_close(s);
  ASSERT_OK(beam_process_info(beam_self(), &info));
  ASSERT_GT(info.minor_gcs + info.major_gcs, 0);
  /* The kept terms came through every collection intact. */
  ASSERT_EQ(beam_list_length(acc), 10);
  ASSERT_EQ(beam_match(beam_hd(acc), "{ok, {doubled, V, [_, _]}}", &v), 1);
  ASSERT_EQ(int_of(v), 2 * n);
  /* Bounded: the input list itself (n cells, 16 B each) shrinks as it is
  ** taken; every result ever received would be ~n * 150 B. */
  TLOG("stream collect: n=%lld peak heap %zu B", (long long) n, heap_peak);
  ASSERT_LT(heap_peak, (size_t) n * 16 * 4 + ((size_t) 4 << 20));
  reached = 1;
}

BEAM_TEST_T(async_stream_collect_keeps_the_heap_bounded, 60) {
  RUN(collect_main);
}
