/* SPDX-License-Identifier: MIT */
/*
** wheel_test.c: white-box tests of the timing wheel (src/timer/wheel.c):
** single timers at many distances and origins, cancel at every stage,
** ordering and ties, far and past deadlines, a randomised comparison with
** a reference model (a plain array, sorted on each advance), and 100,000
** concurrent timers. 'beam__wheel_verify' checks the wheel's internal
** invariants after every step of the randomised tests.
*/
#include "../../harness/check.h"

#include "../../../src/internal.h"
#include "../../../src/timer/wheel.h"

#define T40  ((uint64_t) 1 << 40)
#define HOUR ((uint64_t) 3600 * 1000)

typedef struct item {
  int id;
  beam__timer_t node;
} item_t;

static item_t *item_of(beam__timer_t *t) {
  return BEAM_CONTAINER_OF(t, item_t, node);
}

static int list_len(beam__timer_t *t) {
  int n = 0;
  for (; t; t = t->next)
    n++;
  return n;
}

static void verify(const beam__wheel_t *w) {
  int line = beam__wheel_verify(w);
  if (line != 0)
    BEAM__FAIL("wheel invariant broken at wheel.c:%d", line);
}

static uint64_t rng_next(uint64_t *s) { /* splitmix64 */
  uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static uint64_t rng_below(uint64_t *s, uint64_t n) {
  return n ? rng_next(s) % n : 0;
}

/* ---- Basics ---- */

BEAM_TEST(wheel_empty) {
  beam__wheel_t w;
  beam__wheel_init(&w, 1000);
  ASSERT_EQ(beam__wheel_count(&w), 0);
  ASSERT(beam__wheel_next(&w) == UINT64_MAX);
  ASSERT(beam__wheel_advance(&w, 1000) == NULL);
  ASSERT(beam__wheel_advance(&w, 1000 + T40) == NULL);
  ASSERT(beam__wheel_next(&w) == UINT64_MAX);
  verify(&w);
}

/* One timer at 'dist' ms from 'origin': never fires early, fires exactly
** when advance reaches the deadline (by one jump, by 1 ms steps near the
** deadline, and by following next()). */
static void single(uint64_t origin, uint64_t dist) {
  uint64_t d = origin + dist;
  beam__wheel_t w;
  item_t it = {.id = 1};

  /* One jump to the deadline, after a jump to just before it. */
  beam__wheel_init(&w, origin);
  beam__timer_init(&it.node);
  beam__wheel_add(&w, &it.node, d);
  ASSERT(beam__timer_pending(&it.node));
  ASSERT_EQ(beam__wheel_count(&w), 1);
  verify(&w);
  if (dist > 0) {
    ASSERT(beam__wheel_advance(&w, d - 1) == NULL);
    verify(&w);
    ASSERT(beam__wheel_next(&w) == d); /* within 1 ms: exact */
  }
  beam__timer_t *f = beam__wheel_advance(&w, d);
  ASSERT(f == &it.node && f->next == NULL);
  ASSERT_EQ(item_of(f)->id, 1);
  ASSERT(!beam__timer_pending(&it.node));
  ASSERT_EQ(beam__wheel_count(&w), 0);
  verify(&w);

  /* Jump well past the deadline. */
  beam__wheel_init(&w, origin);
  beam__wheel_add(&w, &it.node, d);
  ASSERT(beam__wheel_advance(&w, d + 12345) == &it.node);
  ASSERT_EQ(beam__wheel_count(&w), 0);

  /* Follow next(), as an idle scheduler does: each wake-up is <= the
  ** deadline and > the previous time, and there are few of them. */
  beam__wheel_init(&w, origin);
  beam__wheel_add(&w, &it.node, d);
  int wakeups = 0;
  for (;;) {
    uint64_t n = beam__wheel_next(&w);
    ASSERT(n <= d);
    ASSERT(n >= origin);
    f = beam__wheel_advance(&w, n);
    verify(&w);
    wakeups++;
    if (f) {
      ASSERT(f == &it.node);
      ASSERT(n == d);
      break;
    }
    ASSERT(wakeups <= 8);
  }

  /* 1 ms steps through the last 70 ms (crossing slot boundaries). */
  beam__wheel_init(&w, origin);
  beam__wheel_add(&w, &it.node, d);
  uint64_t t = dist > 70 ? d - 70 : origin;
  ASSERT(t == origin || beam__wheel_advance(&w, t) == NULL);
  for (;; t++) {
    f = beam__wheel_advance(&w, t);
    if (t < d) {
      ASSERT(f == NULL);
    } else {
      ASSERT(f == &it.node);
      break;
    }
  }
  ASSERT_EQ(beam__wheel_count(&w), 0);
}

BEAM_TEST(wheel_single_distances) {
  static const uint64_t dists[] = {0,
                                   1,
                                   2,
                                   63,
                                   64,
                                   65,
                                   127,
                                   128,
                                   4095,
                                   4096,
                                   4097,
                                   5000,
                                   HOUR,
                                   T40,
                                   (uint64_t) 1 << 36,
                                   ((uint64_t) 1 << 36) - 1,
                                   ((uint64_t) 1 << 36) + 1};
  static const uint64_t origins[] = {0,
                                     1,
                                     63,
                                     64,
                                     4095,
                                     12345,
                                     ((uint64_t) 1 << 36) - 1,
                                     ((uint64_t) 1 << 36) - 64,
                                     (uint64_t) 1 << 36,
                                     0x123456789abULL,
                                     ((uint64_t) 1 << 62) - 1};
  for (size_t o = 0; o < sizeof origins / sizeof *origins; o++)
    for (size_t i = 0; i < sizeof dists / sizeof *dists; i++)
      single(origins[o], dists[i]);
}

BEAM_TEST(wheel_receive_timeout_5000_is_exact) {
  beam__wheel_t w;
  item_t it;
  beam__wheel_init(&w, 777);
  beam__timer_init(&it.node);
  beam__wheel_add(&w, &it.node, 777 + 5000);
  for (uint64_t t = 777; t < 777 + 5000; t += 7)
    ASSERT(beam__wheel_advance(&w, t) == NULL);
  ASSERT(beam__wheel_advance(&w, 777 + 4999) == NULL);
  ASSERT(beam__wheel_advance(&w, 777 + 5000) == &it.node);
}

BEAM_TEST(wheel_past_deadlines_fire_next_advance) {
  beam__wheel_t w;
  item_t a = {.id = 1}, b = {.id = 2}, c = {.id = 3}, d = {.id = 4};
  beam__wheel_init(&w, 10000);
  beam__timer_init(&a.node);
  beam__timer_init(&b.node);
  beam__timer_init(&c.node);
  beam__timer_init(&d.node);
  beam__wheel_add(&w, &a.node, 10000); /* == now */
  beam__wheel_add(&w, &b.node, 5);     /* long past */
  beam__wheel_add(&w, &c.node, 9999);
  beam__wheel_add(&w, &d.node, 5); /* tie with b: after it */
  ASSERT_EQ(beam__wheel_count(&w), 4);
  ASSERT(beam__wheel_next(&w) == 10000); /* due now */
  verify(&w);
  beam__timer_t *f = beam__wheel_advance(&w, 10000); /* same time */
  ASSERT_EQ(list_len(f), 4);
  ASSERT_EQ(item_of(f)->id, 2);
  ASSERT_EQ(item_of(f->next)->id, 4);
  ASSERT_EQ(item_of(f->next->next)->id, 3);
  ASSERT_EQ(item_of(f->next->next->next)->id, 1);
  ASSERT_EQ(beam__wheel_count(&w), 0);
  ASSERT(beam__wheel_next(&w) == UINT64_MAX);
}

BEAM_TEST(wheel_init_time_zero_and_max) {
  beam__wheel_t w;
  item_t a, b;
  beam__timer_init(&a.node);
  beam__timer_init(&b.node);
  beam__wheel_init(&w, 0);
  beam__wheel_add(&w, &a.node, 0);
  beam__wheel_add(&w, &b.node, UINT64_MAX); /* "never", in practice */
  verify(&w);
  ASSERT(beam__wheel_advance(&w, 0) == &a.node);
  ASSERT(beam__wheel_next(&w) > 0);
  ASSERT(beam__wheel_advance(&w, UINT64_MAX - 1) == NULL);
  verify(&w);
  ASSERT(beam__wheel_next(&w) == UINT64_MAX); /* exact within 1 ms */
  ASSERT(beam__wheel_advance(&w, UINT64_MAX) == &b.node);
  ASSERT_EQ(beam__wheel_count(&w), 0);
}

/* ---- Cancel ---- */

BEAM_TEST(wheel_cancel_not_pending) {
  beam__wheel_t w;
  item_t it;
  beam__wheel_init(&w, 0);
  beam__timer_init(&it.node);
  ASSERT_EQ(beam__wheel_cancel(&w, &it.node), 0);
  beam__wheel_add(&w, &it.node, 10);
  ASSERT_EQ(beam__wheel_cancel(&w, &it.node), 1);
  ASSERT_EQ(beam__wheel_cancel(&w, &it.node), 0); /* twice */
  beam__wheel_add(&w, &it.node, 10);
  ASSERT(beam__wheel_advance(&w, 10) == &it.node);
  ASSERT_EQ(beam__wheel_cancel(&w, &it.node), 0); /* after firing */
  ASSERT_EQ(beam__wheel_count(&w), 0);
  verify(&w);
}

BEAM_TEST(wheel_cancel_before_and_after_cascade) {
  /* Stage k: advance to a point where the 5000 ms timer has cascaded k
  ** times (level 2 -> 1 at 4096, 1 -> 0 at 4992), then cancel. */
  static const uint64_t stops[] = {0, 1, 4095, 4096, 4991, 4992, 4999};
  for (size_t i = 0; i < sizeof stops / sizeof *stops; i++) {
    beam__wheel_t w;
    item_t a, b, c;
    beam__wheel_init(&w, 0);
    beam__timer_init(&a.node);
    beam__timer_init(&b.node);
    beam__timer_init(&c.node);
    beam__wheel_add(&w, &a.node, 5000);
    beam__wheel_add(&w, &b.node, 5000); /* same slot, other positions */
    beam__wheel_add(&w, &c.node, 5000);
    ASSERT(beam__wheel_advance(&w, stops[i]) == NULL);
    ASSERT_EQ(beam__wheel_cancel(&w, &b.node), 1); /* middle */
    verify(&w);
    ASSERT_EQ(beam__wheel_cancel(&w, &c.node), 1); /* tail */
    verify(&w);
    ASSERT_EQ(beam__wheel_cancel(&w, &a.node), 1); /* last one */
    verify(&w);
    ASSERT_EQ(beam__wheel_count(&w), 0);
    ASSERT(beam__wheel_next(&w) == UINT64_MAX);
    ASSERT(beam__wheel_advance(&w, 10000) == NULL);
  }
}

BEAM_TEST(wheel_cancel_one_of_many_keeps_others) {
  beam__wheel_t w;
  item_t it[5];
  beam__wheel_init(&w, 0);
  for (int i = 0; i < 5; i++) {
    it[i].id = i;
    beam__timer_init(&it[i].node);
    beam__wheel_add(&w, &it[i].node, 3000);
  }
  ASSERT_EQ(beam__wheel_cancel(&w, &it[0].node), 1); /* head */
  ASSERT(beam__wheel_advance(&w, 2999) == NULL);
  ASSERT_EQ(beam__wheel_cancel(&w, &it[3].node), 1);
  beam__timer_t *f = beam__wheel_advance(&w, 3000);
  ASSERT_EQ(list_len(f), 3);
  ASSERT_EQ(item_of(f)->id, 1);
  ASSERT_EQ(item_of(f->next)->id, 2);
  ASSERT_EQ(item_of(f->next->next)->id, 4);
}

BEAM_TEST(wheel_far_timers) {
  beam__wheel_t w;
  item_t a, b, c;
  uint64_t o = 1000;
  beam__wheel_init(&w, o);
  beam__timer_init(&a.node);
  beam__timer_init(&b.node);
  beam__timer_init(&c.node);
  beam__wheel_add(&w, &a.node, o + ((uint64_t) 1 << 45));
  beam__wheel_add(&w, &b.node, o + T40 + 3);
  beam__wheel_add(&w, &c.node, o + T40 + 3 + ((uint64_t) 1 << 37));
  verify(&w);
  ASSERT_EQ(beam__wheel_cancel(&w, &c.node), 1);
  ASSERT(beam__wheel_next(&w) <= o + T40 + 3);
  ASSERT(beam__wheel_advance(&w, o + T40 + 2) == NULL);
  verify(&w);
  ASSERT(beam__wheel_advance(&w, o + T40 + 3) == &b.node);
  /* Cancelling the smaller far timer leaves a stale lower bound, which
  ** must only cost an early re-filing. */
  beam__wheel_add(&w, &b.node, o + ((uint64_t) 1 << 44));
  beam__wheel_add(&w, &c.node, o + ((uint64_t) 1 << 43));
  ASSERT_EQ(beam__wheel_cancel(&w, &c.node), 1);
  ASSERT(beam__wheel_advance(&w, o + ((uint64_t) 1 << 43) + 5) == NULL);
  verify(&w);
  ASSERT(beam__wheel_advance(&w, o + ((uint64_t) 1 << 44)) == &b.node);
  ASSERT(beam__wheel_advance(&w, o + ((uint64_t) 1 << 45) - 1) == NULL);
  ASSERT(beam__wheel_advance(&w, o + ((uint64_t) 1 << 45)) == &a.node);
  ASSERT_EQ(beam__wheel_count(&w), 0);
}

/* ---- Ordering ---- */

BEAM_TEST(wheel_order_and_ties) {
  enum { N = 12 };
  beam__wheel_t w;
  item_t it[N];
  /* Deadlines given out of order; equal deadlines are added at different
  ** times (so filed at different levels) and must keep add order. */
  beam__wheel_init(&w, 0);
  for (int i = 0; i < N; i++) {
    it[i].id = i;
    beam__timer_init(&it[i].node);
  }
  beam__wheel_add(&w, &it[0].node, 70000);
  beam__wheel_add(&w, &it[1].node, 5000);
  beam__wheel_add(&w, &it[2].node, 64);
  beam__wheel_add(&w, &it[3].node, 70000);
  /* 64 fires; 5000 cascades from level 2 to level 1 at 4096. */
  ASSERT(beam__wheel_advance(&w, 4100) == &it[2].node);
  beam__wheel_add(&w, &it[4].node, 5000);
  beam__wheel_add(&w, &it[5].node, 4101);
  beam__wheel_add(&w, &it[6].node, 69999);
  ASSERT(beam__wheel_advance(&w, 4995) == &it[5].node);
  beam__wheel_add(&w, &it[7].node, 5000); /* level 0 by now */
  beam__wheel_add(&w, &it[8].node, 70000);
  beam__wheel_add(&w, &it[9].node, 4000); /* past: due */
  beam__wheel_add(&w, &it[10].node, 65536);
  beam__wheel_add(&w, &it[11].node, 70000);
  verify(&w);
  static const int want[] = {9, 1, 4, 7, 10, 6, 0, 3, 8, 11};
  beam__timer_t *f = beam__wheel_advance(&w, 100000);
  ASSERT_EQ(list_len(f), 10);
  for (int i = 0; f; f = f->next, i++)
    ASSERT_EQ(item_of(f)->id, want[i]);
  ASSERT_EQ(beam__wheel_count(&w), 0);
}

BEAM_TEST(wheel_readd_fired_timers) {
  /* A periodic timer: re-added from the fired list, every 1000 ms. */
  beam__wheel_t w;
  item_t a;
  beam__wheel_init(&w, 0);
  beam__timer_init(&a.node);
  beam__wheel_add(&w, &a.node, 1000);
  int fires = 0;
  for (uint64_t t = 0; t <= 100000; t += 250) {
    beam__timer_t *f = beam__wheel_advance(&w, t);
    while (f) {
      beam__timer_t *next = f->next; /* read before re-adding */
      ASSERT_EQ(f->deadline, t);
      fires++;
      beam__wheel_add(&w, f, t + 1000);
      f = next;
    }
  }
  ASSERT_EQ(fires, 100);
  ASSERT_EQ(beam__wheel_count(&w), 1);
}

/* ---- Randomised comparison with a reference model ---- */

typedef struct model {
  int n;
  item_t *it;
  int *pending;
  uint64_t *deadline;
  uint64_t *seq; /* add order, for ties */
  uint64_t next_seq;
  uint64_t now;
  int *buf; /* scratch for the expected fired set */
} model_t;

static model_t *sort_model; /* qsort has no context argument */

static int cmp_fired(const void *pa, const void *pb) {
  int a = *(const int *) pa, b = *(const int *) pb;
  const model_t *m = sort_model;
  if (m->deadline[a] != m->deadline[b])
    return m->deadline[a] < m->deadline[b] ? -1 : 1;
  return m->seq[a] < m->seq[b] ? -1 : m->seq[a] > m->seq[b];
}

static uint64_t random_deadline(uint64_t *rs, uint64_t now) {
  uint64_t r = rng_below(rs, 100), dist;
  if (r < 8)
    return now - BEAM_MIN(now, rng_below(rs, 200)); /* past or now */
  if (r < 35)
    dist = rng_below(rs, 64);
  else if (r < 55)
    dist = rng_below(rs, 8192);
  else if (r < 75)
    dist = rng_below(rs, (uint64_t) 1 << 20);
  else if (r < 90)
    dist = rng_below(rs, (uint64_t) 1 << 36);
  else if (r < 98)
    dist = rng_below(rs, (uint64_t) 1 << 44);
  else
    return UINT64_MAX - rng_below(rs, 3);
  return now + dist;
}

static uint64_t random_step(uint64_t *rs, const beam__wheel_t *w) {
  uint64_t r = rng_below(rs, 100);
  if (r < 10)
    return 0;
  if (r < 40)
    return rng_below(rs, 70);
  if (r < 60)
    return rng_below(rs, 6000);
  if (r < 70)
    return rng_below(rs, (uint64_t) 1 << 24);
  if (r < 75)
    return rng_below(rs, (uint64_t) 1 << 38); /* may cross the span */
  if (r < 77)
    return rng_below(rs, (uint64_t) 1 << 44);
  /* Like an idle scheduler: to next(), or just before it. */
  uint64_t n = beam__wheel_next(w);
  if (n == UINT64_MAX)
    return rng_below(rs, 5000);
  return n - w->now - (n > w->now && (r & 1));
}

/* Compare next() with the model: a lower bound >= now, exact when the
** earliest deadline is in now's 64 ms block; 'now' when something is due. */
static void check_next(const model_t *m, const beam__wheel_t *w) {
  uint64_t min = UINT64_MAX;
  int any = 0;
  for (int i = 0; i < m->n; i++)
    if (m->pending[i]) {
      any = 1;
      min = BEAM_MIN(min, m->deadline[i]);
    }
  uint64_t got = beam__wheel_next(w);
  if (!any) {
    ASSERT(got == UINT64_MAX);
  } else if (min <= m->now) {
    ASSERT(got == m->now);
  } else {
    ASSERT(got > m->now);
    ASSERT(got <= min);
    if ((min >> 6) == (m->now >> 6))
      ASSERT(got == min);
  }
}

static void random_run(uint64_t seed, int n, int ops) {
  uint64_t rs = seed;
  model_t m = {0};
  m.n = n;
  m.it = calloc((size_t) n, sizeof *m.it);
  m.pending = calloc((size_t) n, sizeof *m.pending);
  m.deadline = calloc((size_t) n, sizeof *m.deadline);
  m.seq = calloc((size_t) n, sizeof *m.seq);
  m.buf = calloc((size_t) n, sizeof *m.buf);
  ASSERT(m.it && m.pending && m.deadline && m.seq && m.buf);
  m.now = rng_below(&rs, 4) == 0 ? 0 : rng_below(&rs, (uint64_t) 1 << 48);
  TLOG("seed %" PRIu64 " origin %" PRIu64, seed, m.now);

  beam__wheel_t w;
  beam__wheel_init(&w, m.now);
  for (int i = 0; i < n; i++) {
    m.it[i].id = i;
    beam__timer_init(&m.it[i].node);
  }
  size_t count = 0, fired_total = 0;
  for (int op = 0; op < ops; op++) {
    uint64_t r = rng_below(&rs, 100);
    int i = (int) rng_below(&rs, (uint64_t) n);
    if (r < 50) { /* add (or cancel + re-add if pending) */
      if (m.pending[i]) {
        ASSERT_EQ(beam__wheel_cancel(&w, &m.it[i].node), 1);
        count--;
      }
      uint64_t d = random_deadline(&rs, m.now);
      beam__wheel_add(&w, &m.it[i].node, d);
      m.pending[i] = 1;
      m.deadline[i] = d;
      m.seq[i] = m.next_seq++;
      count++;
    } else if (r < 70) { /* cancel, pending or not */
      ASSERT_EQ(beam__wheel_cancel(&w, &m.it[i].node), m.pending[i]);
      count -= (size_t) m.pending[i];
      m.pending[i] = 0;
    } else { /* advance */
      uint64_t step = random_step(&rs, &w);
      if (step > UINT64_MAX - 1 - m.now)
        step = 0;
      m.now += step;
      int k = 0;
      for (int j = 0; j < n; j++)
        if (m.pending[j] && m.deadline[j] <= m.now)
          m.buf[k++] = j;
      sort_model = &m;
      qsort(m.buf, (size_t) k, sizeof *m.buf, cmp_fired);
      beam__timer_t *f = beam__wheel_advance(&w, m.now);
      for (int j = 0; j < k; j++, f = f->next) {
        ASSERT(f != NULL);
        if (item_of(f)->id != m.buf[j])
          BEAM__FAIL("op %d: fired #%d is id %d (deadline %" PRIu64
                     "), model says id %d (deadline %" PRIu64 ")",
                     op, j, item_of(f)->id, f->deadline, m.buf[j],
                     m.deadline[m.buf[j]]);
        ASSERT(!beam__timer_pending(f));
        m.pending[m.buf[j]] = 0;
      }
      ASSERT(f == NULL);
      count -= (size_t) k;
      fired_total += (size_t) k;
    }
    ASSERT_EQ(beam__wheel_count(&w), count);
    check_next(&m, &w);
    if (n <= 512 || op % 64 == 0)
      verify(&w);
  }
  TLOG("  %zu fired, %zu pending at the end", fired_total, count);
  free(m.it);
  free(m.pending);
  free(m.deadline);
  free(m.seq);
  free(m.buf);
}

BEAM_TEST_T(wheel_random_vs_model, 60) {
  int ops = (int) (20000 * beam_test_scale());
  if (ops < 2000)
    ops = 2000;
  for (uint64_t seed = 1; seed <= 8; seed++)
    random_run(seed * 0x1234567ULL, 64, ops);
  random_run(99, 8, ops); /* few timers: many empty-wheel jumps */
  random_run(100, 2000, ops);
}

/* ---- Many timers ---- */

BEAM_TEST_T(wheel_100k_concurrent_timers, 60) {
  enum { N = 100000 };
  item_t *it = calloc(N, sizeof *it);
  ASSERT(it != NULL);
  uint64_t rs = 42, origin = 5000000;
  beam__wheel_t w;
  beam__wheel_init(&w, origin);
  for (int i = 0; i < N; i++) {
    it[i].id = i;
    beam__timer_init(&it[i].node);
    /* Mostly receive-timeout-like spans, some long ones. */
    uint64_t d = origin + 1 + rng_below(&rs, i % 10 ? 60000 : 10 * HOUR);
    beam__wheel_add(&w, &it[i].node, d);
  }
  ASSERT_EQ(beam__wheel_count(&w), N);
  verify(&w);
  /* Cancel every third one, as most timeouts are. */
  for (int i = 0; i < N; i += 3)
    ASSERT_EQ(beam__wheel_cancel(&w, &it[i].node), 1);
  size_t left = beam__wheel_count(&w);
  ASSERT_EQ(left, N - (N + 2) / 3);
  verify(&w);
  /* Advance in uneven steps; every timer fires exactly at its time. */
  uint64_t now = origin, last = 0;
  size_t fired = 0;
  while (beam__wheel_count(&w) > 0) {
    uint64_t prev = now;
    now += 1 + rng_below(&rs, 200) + (rng_below(&rs, 50) == 0) * 100000;
    for (beam__timer_t *f = beam__wheel_advance(&w, now); f; f = f->next) {
      ASSERT(f->deadline <= now); /* not early */
      ASSERT(f->deadline > prev); /* not late: not due at the last advance */
      ASSERT(f->deadline >= last);
      ASSERT(item_of(f)->id % 3 != 0);
      last = f->deadline;
      fired++;
    }
  }
  ASSERT_EQ(fired, left);
  verify(&w);
  /* The same population, all fired by one big jump, sorted. */
  for (int i = 0; i < N; i++)
    beam__wheel_add(&w, &it[i].node, now + 1 + rng_below(&rs, 10 * HOUR));
  beam__timer_t *f = beam__wheel_advance(&w, now + 10 * HOUR);
  ASSERT_EQ(list_len(f), N);
  for (; f && f->next; f = f->next)
    ASSERT(f->deadline <= f->next->deadline);
  ASSERT_EQ(beam__wheel_count(&w), 0);
  free(it);
}
